"""The benchmark of issue 5: dbt against the write floor and against a Python + TA-Lib job.

    python -m bench [--scales 1,10] [--repeat 3] [--json out/bench.json]

Per scale it generates DSE-like prices into a fresh database of its own, then measures, each
the median of --repeat runs: (a) `dbt run --full-refresh`, (b) a run after one new trading day,
(c) a run with no change, (d) the write floor in plain SQL, (e) the same keys computed with
TA-Lib in Python and written with COPY, as a full backfill and for one new day. docs/benchmarks.md
says what each figure means.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import psycopg
from psycopg import sql

from bench import data as bench_data
from bench import observe as bench_observe
from bench import report as bench_report
from bench.dbt_project import DbtFailed, DbtProject
from dse_indicators import database, paths

# The embedded server's package warns about a missing XDG_RUNTIME_DIR on servers; it is harmless.
warnings.filterwarnings("ignore", module="platformdirs")

SOURCE_TABLE = ("public", "ws_dse_daily_prices")


class JobFailed(RuntimeError):
    """The TA-Lib job ended with an error; carries its output."""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Scale:
    """One scale of the benchmark: its workload, its database, its dbt project."""

    def __init__(self, factor: int, args: argparse.Namespace, env: dict, project_dir: Path):
        self.factor = factor
        self.args = args
        self.schema = args.schema
        self.database = f"{args.database_prefix}_{factor}x"
        self.server_env = env
        self.env = {**env, "PGDATABASE": self.database, "DBT_SCHEMA": self.schema}
        self.workload = bench_data.Workload(
            scrips=args.scrips * factor,
            days=args.days,
            held_days=args.repeat * len(DAILY_MEASURES),
            seed=args.seed,
            end=args.end,
        )
        self.project_dir = project_dir
        self.tag = f"[{factor}x]"

    def connect(self) -> psycopg.Connection:
        return bench_data.connect(self.server_env, self.database)


# --------------------------------------------------------------------------- the measures


def measure_full_refresh(scale: Scale, project: DbtProject, conn: psycopg.Connection) -> dict:
    """a: full rebuilds, watching the model's backend memory and the temp files it spills."""
    timings, memory, spilled = [], [], []
    for rep in range(1 if scale.args.daily_only else scale.args.repeat):
        temp_before = bench_observe.temp_bytes(conn)
        with scale.connect() as watch_conn, bench_observe.MemoryWatch(watch_conn) as watch:
            timing = project.run_indicators(full_refresh=True)
        bench_observe.wait_for_other_backends(conn)
        spilled.append(bench_observe.temp_bytes(conn) - temp_before)
        memory.append(watch.summary())
        timings.append(timing)
        log(f"{scale.tag} a {rep + 1}: {timing.seconds:.2f} s, model {_rounded(timing.statements)}")
    return {"timings": timings, "memory": memory, "temp_bytes": spilled}


def measure_adjusted(scale: Scale, project: DbtProject, conn: psycopg.Connection) -> list:
    """a_adjusted: full rebuilds with adjust_prices over generated actions (bench.data.ACTIONS)."""
    actions = bench_data.create_actions(conn, scale.workload)
    adjusted = dataclasses.replace(
        project, vars_yaml=json.dumps({**json.loads(project.vars_yaml), "adjust_prices": True})
    )
    timings = []
    for rep in range(scale.args.repeat):
        timings.append(adjusted.run_indicators(full_refresh=True))
        log(f"{scale.tag} a_adjusted {rep + 1} ({actions} actions): {timings[-1].seconds:.2f} s")
    return timings


def measure_floor(scale: Scale, conn: psycopg.Connection) -> list[dict[str, float]]:
    """d: the write floor, a fresh table each time; seconds per step and in total."""
    keys = bench_data.catalogue_keys(scale.project_dir)
    runs = []
    for rep in range(scale.args.repeat):
        runs.append(bench_data.build_write_floor(conn, scale.schema, keys))
        log(f"{scale.tag} d {rep + 1}: {_rounded(runs[-1])}")
    return runs


def run_talib_job(scale: Scale, mode: str) -> dict:
    """e: the Python job in its own process (its peak RSS is its own), timed as a whole."""
    command = [sys.executable, "-m", "bench.talib_job", mode]
    command += ["--schema", scale.schema]
    started = time.perf_counter()
    result = subprocess.run(
        command,
        env={**os.environ, **scale.env},
        cwd=scale.project_dir,  # `bench` is a folder of the checkout, not an installed package
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise JobFailed(f"the TA-Lib job ({mode}) failed:\n{result.stderr}")
    report = json.loads(result.stdout.strip().splitlines()[-1])
    log(f"{scale.tag} e_{mode}: {seconds:.2f} s, {report['phases_s']}")
    return {**report, "seconds": seconds}


def observed_run(scale: Scale, project: DbtProject, conn: psycopg.Connection, how: str) -> dict:
    """One daily dbt command (DAILY_COMMANDS) with the rows it read and (re)wrote."""
    tables = {"source": SOURCE_TABLE, "indicators": (scale.schema, "indicators")}
    bench_observe.snapshot_row_versions(conn, scale.schema)
    before = bench_observe.table_counters(conn, tables)
    timing = project.run_daily(how)
    bench_observe.wait_for_other_backends(conn)
    deltas = bench_observe.counter_deltas(before, bench_observe.table_counters(conn, tables))
    written = bench_observe.rows_written(conn, scale.schema)
    return {
        "seconds": timing.seconds,
        "model_seconds": timing.model_seconds,
        "statements": timing.statements,
        **written,
        "read_source": deltas["source"]["read"],
        "read_indicators": deltas["indicators"]["read"],
        "counters": deltas,
    }


# b (a new day) and c (no change) for each way of running the daily job: b and c the model
# alone (+indicators), b_run and c_run plain `dbt run`, b_build and c_build `dbt build`.
DAILY_MEASURES = {"model": ("b", "c"), "run": ("b_run", "c_run"), "build": ("b_build", "c_build")}


def measure_daily(scale: Scale, project: DbtProject, conn: psycopg.Connection) -> dict:
    """b, c and e_day: per repetition and way of running, one new trading day arrives, then the
    command runs twice (the day, then no change); the Python job once per repetition."""
    runs: dict[str, list] = {name: [] for pair in DAILY_MEASURES.values() for name in pair}
    runs |= {"e_day": [], "released": []}
    for rep in range(scale.args.repeat):
        for how, names in DAILY_MEASURES.items():
            day, released = bench_data.release_next_day(conn)
            runs["released"].append({"date": day.isoformat(), "rows": released, "before": how})
            for name in names:
                runs[name].append(observed_run(scale, project, conn, how))
                found = runs[name][-1]
                log(
                    f"{scale.tag} {name} {rep + 1} ({day}, {released} new source rows): "
                    f"{found['seconds']:.2f} s, {found['written']} rows written, "
                    f"model {_rounded(found['statements'])}"
                )
        if not scale.args.daily_only:
            runs["e_day"].append(run_talib_job(scale, "day"))
    return runs


# --------------------------------------------------------------------------- one scale


def _median_of(runs: list[dict], key: str):
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def _rounded(seconds: dict[str, float]) -> dict[str, float]:
    return {name: round(value, 2) for name, value in seconds.items()}


def _medians(breakdowns: list[dict[str, float]]) -> dict[str, float]:
    """Per part (a phase, a statement tag), the median over the runs; 0 where a run lacks it."""
    names = dict.fromkeys(name for b in breakdowns for name in b)
    return {n: round(statistics.median(b.get(n, 0.0) for b in breakdowns), 3) for n in names}


def _peak(values: list) -> float | None:
    found = [v for v in values if v is not None]
    return max(found) if found else None


def _backend_memory(memory: list[dict]) -> dict:
    """The largest figures over the repetitions of a."""
    keys = ("backend_vmhwm_mb", "backend_rss_anon_mb", "with_parallel_workers_vmhwm_mb")
    return {key: _peak([m.get(key) for m in memory]) for key in keys} | {"per_run": memory}


def summarize_scale(scale: Scale, found: dict) -> dict:
    """The figures of one scale: measures (median and runs), memory, rows, sizes."""
    full, daily = found["full"], found["daily"]
    summarize = bench_report.summarize
    measures = {
        "a": summarize([t.seconds for t in full["timings"]]),
        "a_model": summarize([t.model_seconds for t in full["timings"]]),
        "b": summarize([r["seconds"] for r in daily["b"]]),
        "b_model": summarize([r["model_seconds"] for r in daily["b"]]),
        "c": summarize([r["seconds"] for r in daily["c"]]),
        "c_model": summarize([r["model_seconds"] for r in daily["c"]]),
        "b_run": summarize([r["seconds"] for r in daily["b_run"]]),
        "c_run": summarize([r["seconds"] for r in daily["c_run"]]),
        "b_build": summarize([r["seconds"] for r in daily["b_build"]]),
        "c_build": summarize([r["seconds"] for r in daily["c_build"]]),
        "a_adjusted": summarize([t.seconds for t in found.get("adjusted", [])]),
        "d": summarize([run["total"] for run in found["floor"]]),
        "e_full": summarize([j["seconds"] for j in found["e_full"]]),
        "e_day": summarize([j["seconds"] for j in daily["e_day"]]),
    }
    rows = {
        name: {
            key: _median_of(daily[name], key)
            for key in ("written", "deleted", "read_source", "read_indicators")
        }
        | {"per_run": daily[name]}
        for pair in DAILY_MEASURES.values()
        for name in pair
    }
    rows["released"] = daily["released"]
    memory = {
        "postgres_backend_during_a": _backend_memory(full["memory"]),
        "temp_mb_during_a": round(max(full["temp_bytes"]) / 1024**2, 1),
        "python_e_full_mb": _peak([j["peak_rss_mb"] for j in found["e_full"]]),
        "python_e_day_mb": _peak([j["peak_rss_mb"] for j in daily["e_day"]]),
    }
    return {
        "workload": found["workload"],
        "measures": measures,
        "memory": memory,
        "rows": rows,
        "breakdown_s": {
            "a": _medians([t.statements for t in full["timings"]]),
            **{
                name: _medians([r["statements"] for r in daily[name]])
                for pair in DAILY_MEASURES.values()
                for name in pair
            },
            "d": _medians(found["floor"]),
            "e_full": _medians([j["phases_s"] for j in found["e_full"]]),
            "e_day": _medians([j["phases_s"] for j in daily["e_day"]]),
        },
        "sizes": found["sizes"],
    }


def table_sizes(conn: psycopg.Connection, schema: str, tables: list[str]) -> dict[str, str]:
    sizes = {}
    for table in tables:
        total = bench_data.table_bytes(conn, schema, table) / 1024**2
        document = bench_data.average_row_bytes(conn, schema, table)
        sizes[table] = f"{total:.0f} MB with indexes, {document} B per document"
    return sizes


def run_scale(scale: Scale, work_dir: Path) -> dict:
    w = scale.workload
    log(f"{scale.tag} {scale.database}: {w.scrips} scrips x {w.days} days (+{w.held_days} held)")
    bench_data.recreate_database(scale.server_env, scale.database)
    try:
        found = measure_scale(scale, work_dir)
    finally:
        if not scale.args.keep:  # a 1x database takes several GB
            bench_data.drop_database(scale.server_env, scale.database)
    return summarize_scale(scale, found)


def measure_scale(scale: Scale, work_dir: Path) -> dict:
    w = scale.workload
    vars_yaml = json.dumps({"run_date": w.end.isoformat()})  # JSON is YAML
    project = DbtProject.prepare(scale.project_dir, work_dir / scale.database, scale.env, vars_yaml)
    with scale.connect() as conn:
        loaded = bench_data.load_prices(conn, w)
        log(f"{scale.tag} loaded {loaded.source_rows} source rows, {loaded.held_rows} held back")
        project.invoke("parse")  # every timed run then starts from a warm partial-parse cache
        full = measure_full_refresh(scale, project, conn)
        accepted = bench_data.accepted_rows(conn, scale.schema)
        # A daily job meets a vacuumed table, not one just rebuilt.
        indicators = sql.Identifier(scale.schema, "indicators")
        conn.execute(sql.SQL("vacuum analyze {}").format(indicators))
        found = {"full": full, "floor": [], "e_full": []}
        sizes = {}
        if not scale.args.daily_only:
            found["floor"] = measure_floor(scale, conn)
            # The floor is measured: its size is kept, its disk space freed (large at 10x).
            sizes = table_sizes(conn, scale.schema, ["write_floor"])
            floor = sql.Identifier(scale.schema, "write_floor")
            conn.execute(sql.SQL("drop table {}").format(floor))
            found["e_full"] = [run_talib_job(scale, "full") for _ in range(scale.args.repeat)]
        found["daily"] = measure_daily(scale, project, conn)
        if scale.args.adjusted:  # last: it leaves an adjusted table behind
            found["adjusted"] = measure_adjusted(scale, project, conn)
        jobs = [] if scale.args.daily_only else ["talib_indicators"]
        found["sizes"] = table_sizes(conn, scale.schema, ["indicators", *jobs]) | sizes
    found["workload"] = {
        "database": scale.database,
        "scrips": w.scrips,
        "days": w.days,
        "seed": w.seed,
        "end": w.end.isoformat(),
        "source_rows": loaded.source_rows,
        "accepted_rows": accepted,
        "held_back_rows": loaded.held_rows,
    }
    return found


# --------------------------------------------------------------------------- the command


def _scales(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of whole numbers: {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("scales are whole numbers >= 1, e.g. 1,10")
    return sorted(set(values))


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Benchmark dse-indicators on generated DSE-like prices: dbt full refresh (a), one "
            "new day (b), no change (c), the SQL write floor (d) and a Python + TA-Lib job "
            "(e_full, e_day). Each scale gets a fresh database, dropped at the end; the server "
            "is the one the PG* variables name, else the embedded one."
        ),
        epilog="Not a test: about 20 minutes at 1x on 2 cores, hours at 10x. docs/benchmarks.md",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--scale",
        type=_positive,
        metavar="N",
        help="run this one scale: N times the scrips (e.g. 10)",
    )
    which.add_argument(
        "--scales",
        type=_scales,
        default=[1],
        metavar="LIST",
        help="comma-separated scales, e.g. 1,10 (default 1)",
    )
    parser.add_argument("--repeat", type=_positive, default=3, help="repetitions (default 3)")
    parser.add_argument("--scrips", type=_positive, default=490, help="scrips at 1x (default 490)")
    parser.add_argument("--days", type=_positive, default=1700, help="trading days (default 1700)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--end",
        type=dt.date.fromisoformat,
        default=dt.date(2025, 12, 31),
        help="last trading day of the data and the run_date of dbt (default 2025-12-31)",
    )
    parser.add_argument(
        "--json", type=Path, metavar="PATH", help="also write the results as JSON to this file"
    )
    parser.add_argument(
        "--database-prefix",
        default="dse_bench",
        help="databases are named PREFIX_<scale>x, dropped and recreated (default dse_bench)",
    )
    parser.add_argument(
        "--schema", default="analytics", help="dbt target schema (default analytics)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument(
        "--adjusted",
        action="store_true",
        help="also a full refresh with adjust_prices over generated corporate actions "
        "(a_adjusted), after the daily runs",
    )
    parser.add_argument(
        "--daily-only",
        action="store_true",
        help="one full refresh, then the daily runs only (no write floor, no Python job): "
        "e.g. with --days 17000 for the daily job at 10 times the history",
    )
    return parser


def run(args: argparse.Namespace, command: str) -> dict:
    project_dir = paths.project_root()
    if not (project_dir / "dbt_project.yml").is_file():
        raise SystemExit("run the benchmark from the dse-indicators checkout")
    env = database.environment()
    with bench_data.connect(env, env.get("PGDATABASE") or "postgres") as conn:
        machine = bench_report.machine_info(conn)
    print(bench_report.format_machine(machine), flush=True)
    report = {"machine": machine, "command": command, "scales": {}}
    with tempfile.TemporaryDirectory(prefix="dse-bench-") as work:
        for factor in [args.scale] if args.scale else args.scales:
            scale = Scale(factor, args, env, project_dir)
            report["scales"][str(factor)] = run_scale(scale, Path(work))
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report["targets"] = bench_report.evaluate_targets(report["scales"])
    return report


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    command = shlex.join(["python", "-m", "bench", *argv])
    try:
        report = run(args, command)
    except database.DatabaseUnavailable as error:
        print(error, file=sys.stderr)
        return 3
    except (DbtFailed, JobFailed, psycopg.Error) as error:
        print(f"benchmark stopped: {error}", file=sys.stderr)
        return 1
    print()
    print(bench_report.format_report(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n")
        print(f"\nresults written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
