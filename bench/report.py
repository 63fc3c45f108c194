"""The benchmark's report: the machine, the measures, the targets, as text and as JSON."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import statistics
from pathlib import Path

import psycopg

# Measure name -> what it is, in the order the table prints them.
MEASURES = {
    "a": "dbt run --full-refresh (command)",
    "a_model": "  the same, model time (run_results)",
    "b": "one new day: dbt run +indicators (command)",
    "b_model": "  the same, model time",
    "c": "no change: dbt run +indicators (command)",
    "c_model": "  the same, model time",
    "b_run": "one new day: dbt run, whole project (command)",
    "c_run": "no change: dbt run, whole project (command)",
    "b_build": "one new day: dbt build, the cron line (command)",
    "c_build": "no change: dbt build, the cron line (command)",
    "a_adjusted": "the same with adjust_prices (--adjusted)",
    "d": "write floor: create table as + key + indexes",
    "e_full": "Python + TA-Lib + COPY, full backfill",
    "e_day": "Python + TA-Lib + COPY, one new day",
}
PACKAGES = ("dbt-core", "dbt-postgres", "psycopg", "numpy", "pandas", "ta-lib")
SERVER_SETTINGS = (
    "shared_buffers",
    "work_mem",
    "maintenance_work_mem",
    "max_parallel_workers_per_gather",
    "io_method",
)


def summarize(runs: list[float | None]) -> dict:
    """Median and every repetition, in seconds."""
    values = [round(r, 3) for r in runs if r is not None]
    return {"median": round(statistics.median(values), 3) if values else None, "runs": values}


# --------------------------------------------------------------------------- the machine


def _meminfo_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_info(conn: psycopg.Connection) -> dict:
    """What the figures depend on: CPUs, memory, PostgreSQL and its settings, the versions."""
    settings = {
        name: conn.execute("select current_setting(%s, true)", [name]).fetchone()[0]
        for name in SERVER_SETTINGS
    }
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": _cpu_model(),
        "memory_gib": _meminfo_gib(),
        "os": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "postgresql": conn.execute("show server_version").fetchone()[0],
        "postgresql_settings": {k: v for k, v in settings.items() if v is not None},
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in PACKAGES},
    }


def format_machine(machine: dict) -> str:
    packages = ", ".join(f"{k} {v}" for k, v in machine["packages"].items())
    settings = ", ".join(f"{k}={v}" for k, v in machine["postgresql_settings"].items())
    return "\n".join(
        [
            f"machine: {machine['cpus']} CPUs ({machine['cpus_usable']} usable), "
            f"{machine['cpu_model']}, {machine['memory_gib']} GiB memory, {machine['os']}",
            f"load average at start: {machine['load_average_at_start']}",
            f"PostgreSQL {machine['postgresql']} ({settings})",
            f"Python {machine['python']}; {packages}",
        ]
    )


# --------------------------------------------------------------------------- the targets


def _medians(scales: dict, scale: int) -> dict[str, float | None]:
    found = scales.get(str(scale))
    if not found:
        return dict.fromkeys(MEASURES)
    return {name: measure["median"] for name, measure in found["measures"].items()}


def _target(name: str, value: float | None, limit: float | None, how: str) -> dict:
    if value is None or limit is None:
        return {"target": name, "value": value, "limit": limit, "how": how, "status": "n/a"}
    status = "met" if value <= limit else "missed"
    return {"target": name, "value": value, "limit": round(limit, 3), "how": how, "status": status}


def _times(value: float | None, factor: float, plus: float = 0.0) -> float | None:
    return None if value is None else value * factor + plus


def evaluate_targets(scales: dict) -> list[dict]:
    """Each target of issue 5 per scale run, plus the two comparing 10x with 1x."""
    targets = []
    for scale in sorted(int(s) for s in scales):
        m = _medians(scales, scale)
        targets += [
            _target(f"a <= 1.5 x d ({scale}x)", m["a"], _times(m["d"], 1.5), "1.5 x d"),
            _target(
                f"a <= 0.5 x e_full ({scale}x)", m["a"], _times(m["e_full"], 0.5), "0.5 x e_full"
            ),
            _target(f"c <= 5 s ({scale}x)", m["c"], 5.0, "5 s"),
            _target(f"b <= c + 1 s ({scale}x)", m["b"], _times(m["c"], 1.0, 1.0), "c + 1 s"),
            _target(f"c_build <= 5 s ({scale}x)", m["c_build"], 5.0, "5 s"),
            _target(
                f"b_build <= c_build + 1 s ({scale}x)",
                m["b_build"],
                _times(m["c_build"], 1.0, 1.0),
                "c_build + 1 s",
            ),
            _target(f"c_run <= 5 s ({scale}x)", m["c_run"], 5.0, "5 s"),
            _target(
                f"b_run <= c_run + 1 s ({scale}x)",
                m["b_run"],
                _times(m["c_run"], 1.0, 1.0),
                "c_run + 1 s",
            ),
        ]
        targets.append(
            _target(
                f"a_adjusted <= 1.1 x a ({scale}x)",
                m.get("a_adjusted"),
                _times(m["a"], 1.1),
                "1.1 x a",
            )
        )
    one, ten = _medians(scales, 1), _medians(scales, 10)
    targets += [
        _target("b at 10x <= 1.5 x b at 1x", ten["b"], _times(one["b"], 1.5), "1.5 x b(1x)"),
        _target("a at 10x <= 11 x a at 1x", ten["a"], _times(one["a"], 11), "11 x a(1x)"),
    ]
    return targets


# --------------------------------------------------------------------------- the text


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _count(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def format_measures(scale: str, result: dict) -> list[str]:
    w = result["workload"]
    lines = [
        f"== {scale}x: {w['scrips']} scrips x {w['days']} trading days, "
        f"{w['accepted_rows']:,} accepted rows ({w['source_rows']:,} source rows), "
        f"database {w['database']}",
        f"{'measure':<8} {'what':<46} {'median s':>9}  runs s",
    ]
    for name, what in MEASURES.items():
        measure = result["measures"][name]
        runs = "  ".join(_seconds(r) for r in measure["runs"])
        lines.append(f"{name:<8} {what:<46} {_seconds(measure['median']):>9}  {runs}")
    return lines


def format_details(result: dict) -> list[str]:
    mem = result["memory"]
    backend = mem["postgres_backend_during_a"]
    lines = [
        "memory: PostgreSQL backend running the model during a: "
        + (
            f"VmHWM {backend['backend_vmhwm_mb']} MB (shared buffers it touched included), "
            f"peak private RssAnon {backend['backend_rss_anon_mb']} MB (sampled every 50 ms), "
            f"with parallel workers {backend['with_parallel_workers_vmhwm_mb']} MB"
            if backend["backend_vmhwm_mb"] is not None
            else "not measured (server not on this machine?)"
        ),
        f"        temp files written during a: {mem['temp_mb_during_a']} MB (max of runs)",
        f"        Python job peak RSS: e_full {mem['python_e_full_mb']} MB, "
        f"e_day {mem['python_e_day_mb']} MB",
    ]
    for name in ("b", "c", "b_run", "c_run", "b_build", "c_build"):
        rows = {k: _count(v) for k, v in result["rows"][name].items() if k != "per_run"}
        lines.append(
            f"rows {name} (median of runs): written {rows['written']} (new xmin), deleted "
            f"{rows['deleted']}; read {rows['read_source']} from the source table and "
            f"{rows['read_indicators']} from indicators (seq_tup_read + idx_tup_fetch)"
        )
    released = ", ".join(
        f"{r['date']}: {r['rows']} ({r.get('before', 'model')})" for r in result["rows"]["released"]
    )
    lines.append(f"new source rows released before each b: {released}")
    for name, parts in result["breakdown_s"].items():
        text = ", ".join(f"{k} {v:.2f}" for k, v in parts.items())
        lines.append(f"{name:<6} breakdown, s (median): {text}")
    sizes = ", ".join(f"{k} {v}" for k, v in result["sizes"].items())
    lines.append(f"sizes: {sizes}")
    return lines


def format_targets(targets: list[dict]) -> list[str]:
    lines = [
        "== targets (medians of whole commands)",
        f"{'target':<30} {'value s':>9} {'limit s':>9}  status",
    ]
    for t in targets:
        value, limit = _seconds(t["value"]), _seconds(t["limit"])
        lines.append(f"{t['target']:<30} {value:>9} {limit:>9}  {t['status']}")
    return lines


def format_report(report: dict) -> str:
    lines = [format_machine(report["machine"]), f"command: {report['command']}"]
    for scale, result in report["scales"].items():
        lines += ["", *format_measures(scale, result), *format_details(result)]
    lines += ["", *format_targets(report["targets"])]
    return "\n".join(lines)
