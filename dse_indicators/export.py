"""The feature matrix for training: the indicators table as Parquet, incrementally.

Layout of the output directory (readable by pandas, pyarrow, polars, DuckDB, Spark):

    DIR/_manifest.json                      what has been exported (ignored by readers: `_`)
    DIR/year=2025/part-00001-0.parquet      export 1, worker 0: rows of 2025
    DIR/year=2025/part-00002-0.parquet      export 2 appended newer rows

Columns: scrip, trading_date, price_open .. price_close (float64), price_volume (int64), then
one float64 column per indicator key, null where the key is absent (warm-up). Rows are sorted
by scrip and date inside each file.

How it reads: PostgreSQL turns each JSONB value into text once (`indicators ->> key`) and
joins one scrip's rows into one CSV text, so the client receives a few hundred large values
rather than a message per row, and pyarrow's C++ CSV reader turns them into columns. Two
workers (connections) share the scrips and read one snapshot. Memory stays bounded by the
longest scrip history and the write buffer, whatever the size of the table. The JSONB-to-text
conversion in PostgreSQL is most of the time (about 0.15 us per value).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import os
import queue
import re
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from psycopg import sql

from dse_indicators import database, target
from dse_indicators.errors import UserError, did_you_mean

PRICE_COLUMNS = ("price_open", "price_high", "price_low", "price_close", "price_volume")
MANIFEST = "_manifest.json"
MANIFEST_FORMAT = 1
# Rows buffered per worker before they are written as one row group per year.
FLUSH_ROWS = 65_536
# Scrip texts gathered before one CSV parse: large enough for pyarrow's threads to pay off.
PARSE_BYTES = 4 << 20
NEVER = dt.date(1, 1, 1)
# Connections reading at once: one per core of a small server; PostgreSQL does the heavy part.
JOBS = 2
ROWS_PER_JOB = 100_000
_PART_NAME = re.compile(r"part-(\d{5})-\d+\.parquet")


@dataclasses.dataclass(frozen=True)
class ExportRequest:
    out_dir: Path
    since: dt.date | None = None
    scrips: Sequence[str] | None = None
    keys: Sequence[str] | None = None
    schema: str = "public"
    jobs: int = JOBS
    rebuild: bool = False


@dataclasses.dataclass
class ExportResult:
    rows: int
    scrips: int
    keys: list[str]
    files: list[str]
    first_date: dt.date | None
    last_date: dt.date | None
    stale_rows: int
    seconds: float


# --------------------------------------------------------------------------- the manifest


def read_manifest(out_dir: Path) -> dict | None:
    """The manifest of an earlier export into out_dir; None for a new or empty directory."""
    path = out_dir / MANIFEST
    if path.is_file():
        manifest = json.loads(path.read_text())
        if manifest.get("format") != MANIFEST_FORMAT:
            raise UserError(f"{path}: unknown manifest format; export into a new directory")
        return manifest
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"{out_dir} is a file: -o needs a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        raise UserError(
            f"{out_dir} is not empty and holds no {MANIFEST}: export into a new or empty "
            "directory (an export only appends to a directory it created)"
        )
    return None


def _write_manifest(out_dir: Path, manifest: dict) -> None:
    temporary = out_dir / f".{MANIFEST}.tmp"
    temporary.write_text(json.dumps(manifest, indent=1, sort_keys=True, default=str) + "\n")
    os.replace(temporary, out_dir / MANIFEST)


def _remove_unfinished(out_dir: Path, manifest: dict | None) -> None:
    """Files of an export that died before recording itself: they would duplicate rows."""
    last = manifest["exports"][-1]["number"] if manifest else 0
    for path in out_dir.glob("year=*/*part-*.parquet"):
        found = _PART_NAME.fullmatch(path.name.lstrip("."))
        if path.name.startswith(".") or (found and int(found.group(1)) > last):
            path.unlink()


def _remove_export(out_dir: Path, manifest: dict) -> None:
    """--rebuild: delete what earlier exports wrote, and nothing else."""
    for export in manifest["exports"]:
        for name in export["files"]:
            (out_dir / name).unlink(missing_ok=True)
    for folder in out_dir.glob("year=*"):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    (out_dir / MANIFEST).unlink()


# --------------------------------------------------------------------------- what to export


def natural_order(key: str) -> tuple:
    """sma_5 before sma_10 before sma_20: names compared with their numbers as numbers."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", key))


def list_scrips(conn: psycopg.Connection, table: sql.Identifier) -> list[str]:
    """Every scrip, one index probe per scrip rather than a scan of the table."""
    query = sql.SQL(
        "with recursive scrips as ("
        " (select scrip from {t} order by scrip limit 1)"
        " union all"
        " select (select i.scrip from {t} as i where i.scrip > s.scrip order by i.scrip limit 1)"
        " from scrips as s where s.scrip is not null"
        ") select scrip from scrips where scrip is not null"
    ).format(t=table)
    return [row[0] for row in conn.execute(query)]


def list_keys(conn: psycopg.Connection, table: sql.Identifier) -> list[str]:
    """The keys of each scrip's newest row: a key, once past its warm-up, stays present."""
    query = sql.SQL(
        "with recursive scrips as ("
        " (select scrip from {t} order by scrip limit 1)"
        " union all"
        " select (select i.scrip from {t} as i where i.scrip > s.scrip order by i.scrip limit 1)"
        " from scrips as s where s.scrip is not null"
        ") select distinct key from scrips"
        " cross join lateral (select indicators from {t} as i where i.scrip = scrips.scrip"
        "  order by i.trading_date desc limit 1) as newest"
        " cross join lateral jsonb_object_keys(newest.indicators) as key"
    ).format(t=table)
    return sorted((row[0] for row in conn.execute(query)), key=natural_order)


def _unknown(names: Sequence[str], known: list[str], what: str, hint: str) -> str:
    missing = [name for name in names if name not in set(known)]
    guesses = ", ".join(name + did_you_mean(name, known) for name in missing)
    return f"unknown {what}: {guesses}. {hint}"


def _check_scrips(conn, table, wanted: Sequence[str]) -> list[str]:
    query = sql.SQL(
        "select s from unnest(%s::text[]) as s where not exists (select from {} where scrip = s)"
    ).format(table)
    return [row[0] for row in conn.execute(query, [list(wanted)])]


# --------------------------------------------------------------------------- reading


def _scrip_csv_query(table: sql.Identifier, keys: Sequence[str]) -> sql.Composed:
    """One row per scrip: its rows after its watermark as CSV text, in date order."""
    fields = [sql.SQL("i.trading_date")]
    fields += [sql.SQL("i.{}").format(sql.Identifier(c)) for c in PRICE_COLUMNS]
    # coalesce: concat_ws drops nulls, and a CSV line needs every field, empty or not.
    fields += [sql.SQL("coalesce(i.indicators ->> {}, '')").format(sql.Literal(k)) for k in keys]
    return sql.SQL(
        "copy ("
        " select w.scrip, rows.csv, rows.computed_at"
        " from unnest(%s::text[], %s::date[]) with ordinality as w (scrip, after, n)"
        " cross join lateral ("
        "  select string_agg(concat_ws(',', {fields}), E'\\n' order by i.trading_date) as csv,"
        "   max(i.computed_at) as computed_at"
        "  from {table} as i where i.scrip = w.scrip and i.trading_date > w.after"
        " ) as rows"
        " where rows.csv is not null order by w.n"
        ") to stdout (format binary)"
    ).format(fields=sql.SQL(", ").join(fields), table=table)


def _arrow_schema(keys: Sequence[str]) -> pa.Schema:
    return pa.schema(
        [
            ("scrip", pa.string()),
            ("trading_date", pa.date32()),
            *((c, pa.int64() if c == "price_volume" else pa.float64()) for c in PRICE_COLUMNS),
            *((k, pa.float64()) for k in keys),
        ]
    )


class _PartWriter:
    """One worker's files: a Parquet file per year, buffered into large row groups."""

    def __init__(self, out_dir: Path, schema: pa.Schema, export_no: int, worker_no: int):
        self.out_dir = out_dir
        self.schema = schema
        self.name = f"part-{export_no:05d}-{worker_no}.parquet"
        self.buffers: dict[int, list[pa.Table]] = {}
        self.buffered = 0
        self.writers: dict[int, pq.ParquetWriter] = {}
        self.rows = 0
        self.first_date: dt.date | None = None
        self.last_date: dt.date | None = None

    def add(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        first, last = pc.min_max(table["trading_date"]).values()
        self.first_date = min(filter(None, [self.first_date, first.as_py()]))
        self.last_date = max(filter(None, [self.last_date, last.as_py()]))
        years = pc.year(table["trading_date"]).to_numpy()
        distinct = np.unique(years)
        for year in distinct:
            part = table if len(distinct) == 1 else table.filter(years == year)
            self.buffers.setdefault(int(year), []).append(part)
        self.buffered += table.num_rows
        if self.buffered >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        for year, parts in self.buffers.items():
            writer = self.writers.get(year)
            if writer is None:
                folder = self.out_dir / f"year={year}"
                folder.mkdir(parents=True, exist_ok=True)
                writer = pq.ParquetWriter(
                    folder / f".{self.name}",
                    self.schema,
                    compression="snappy",
                    # Dictionaries pay off for scrip only; on floats they cost 3x the time.
                    use_dictionary=["scrip"],
                )
                self.writers[year] = writer
            rows = pa.concat_tables(parts)
            writer.write_table(rows)
            self.rows += rows.num_rows  # what the files hold, as reported
        self.buffers.clear()
        self.buffered = 0

    def abort(self) -> None:
        """After a failure: remove this worker's unfinished files."""
        for year, writer in self.writers.items():
            writer.close()
            (self.out_dir / f"year={year}" / f".{self.name}").unlink(missing_ok=True)

    def close(self) -> list[str]:
        """Finish every file and give it its visible name; returns them relative to out_dir."""
        self.flush()
        names = []
        for year, writer in sorted(self.writers.items()):
            writer.close()
            folder = self.out_dir / f"year={year}"
            os.replace(folder / f".{self.name}", folder / self.name)
            names.append(f"year={year}/{self.name}")
        return names


class _Worker:
    """One connection's share of the scrips: a reader thread receives each scrip's CSV text,
    a converter thread parses it and writes Parquet, so the server never waits for the parse.
    """

    def __init__(self, snapshot: str, query, scrips, afters, writer: _PartWriter, on_scrips):
        self.snapshot, self.query = snapshot, query
        self.scrips, self.afters = scrips, afters
        self.writer = writer
        self.on_scrips = on_scrips
        self.error: BaseException | None = None
        self.files: list[str] = []
        self.last_dates: dict[str, dt.date] = {}
        self.computed_at: dt.datetime | None = None
        names = writer.schema.names[1:]  # everything but scrip, which the CSV text leaves out
        self.read_options = pa_csv.ReadOptions(column_names=names, block_size=1 << 20)
        self.convert_options = pa_csv.ConvertOptions(
            column_types={name: writer.schema.field(name).type for name in names},
            null_values=[""],
            quoted_strings_can_be_null=False,
        )
        self._blocks: queue.Queue = queue.Queue(maxsize=2)
        self._threads = [
            threading.Thread(target=self._read, daemon=True),
            threading.Thread(target=self._convert_blocks, daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def join(self) -> None:
        for thread in self._threads:
            thread.join()

    def _fail(self, error: BaseException) -> None:
        if self.error is None:
            self.error = error

    def _put(self, block) -> bool:
        """Queue a block; False once the converter has failed (then stop reading)."""
        while self.error is None:
            try:
                self._blocks.put(block, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _read(self) -> None:
        try:
            with database.connect() as conn:
                _begin_snapshot(conn, self.snapshot)
                self._read_blocks(conn)
        except BaseException as error:  # handed to the main thread, which reports it
            self._fail(error)
        finally:
            self._put(None)

    def _read_blocks(self, conn: psycopg.Connection) -> None:
        texts: list[bytes] = []
        scrips: list[tuple[str, int]] = []
        size = 0
        with conn.cursor() as cursor, cursor.copy(self.query, [self.scrips, self.afters]) as copy:
            # bytea: the CSV text arrives as raw bytes, with nothing decoded in Python.
            copy.set_types(["text", "bytea", "timestamptz"])
            for scrip, text, computed_at in copy.rows():
                texts.append(text)
                scrips.append((scrip, text.count(b"\n") + 1))
                size += len(text)
                if self.computed_at is None or computed_at > self.computed_at:
                    self.computed_at = computed_at
                if size >= PARSE_BYTES:
                    if not self._put((texts, scrips)):
                        return
                    texts, scrips, size = [], [], 0
        if texts:
            self._put((texts, scrips))

    def _convert_blocks(self) -> None:
        while (block := self._blocks.get()) is not None:
            if self.error is None:
                try:
                    self._convert(*block)
                except BaseException as error:
                    self._fail(error)
        try:
            if self.error is None:
                self.files = self.writer.close()
            else:
                self.writer.abort()
        except BaseException as error:
            self._fail(error)

    def _convert(self, texts: list[bytes], scrips: list[tuple[str, int]]) -> None:
        table = pa_csv.read_csv(
            io.BytesIO(b"\n".join(texts)),
            read_options=self.read_options,
            convert_options=self.convert_options,
        )
        counts = np.fromiter((n for _, n in scrips), dtype=np.int64, count=len(scrips))
        names = pa.array([scrip for scrip, _ in scrips], pa.string())
        column = names.take(pa.array(np.repeat(np.arange(len(scrips)), counts)))
        # Each scrip's rows are in date order: its last row is its newest date.
        newest = table["trading_date"].take(pa.array(np.cumsum(counts) - 1)).to_pylist()
        self.last_dates.update(zip((scrip for scrip, _ in scrips), newest, strict=True))
        self.writer.add(table.add_column(0, "scrip", column))
        self.on_scrips(len(scrips), table.num_rows)


def _begin_snapshot(conn: psycopg.Connection, snapshot: str | None) -> None:
    """A read-only transaction; with `snapshot`, one that sees what the first connection sees."""
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.read_only = True
    if snapshot:
        conn.execute(sql.SQL("set transaction snapshot {}").format(sql.Literal(snapshot)))
    conn.execute("set datestyle = 'ISO'")  # the CSV reader expects YYYY-MM-DD
    conn.execute("set extra_float_digits = 1")  # shortest exact float text, whatever the server


# --------------------------------------------------------------------------- the export


def export(request: ExportRequest, progress: Callable[[int, int, int], None] | None = None):
    """Append to request.out_dir the rows newer than what it holds; see the module doc.

    `progress(scrips_done, scrips_total, rows_done)` is called as the workers go.
    """
    started = time.monotonic()
    out_dir = request.out_dir
    manifest = read_manifest(out_dir)
    with database.connect() as conn:
        _begin_snapshot(conn, None)
        table = target.indicators_table(conn, request.schema)
        (snapshot,) = conn.execute("select pg_export_snapshot()").fetchone()
        plan = _plan(conn, table, request, None if request.rebuild else manifest)
        source = _source_name(conn, request.schema)
        stale = 0
        if manifest and request.rebuild:
            _remove_export(out_dir, manifest)
            manifest = None
        elif manifest:
            stale = _stale_rows(conn, table, manifest)
        out_dir.mkdir(parents=True, exist_ok=True)
        _remove_unfinished(out_dir, manifest)
        export_no = manifest["exports"][-1]["number"] + 1 if manifest else 1
        workers = _start_workers(request, plan, table, snapshot, export_no, progress)
        for worker in workers:
            worker.join()  # the snapshot lives as long as this transaction
    for worker in workers:
        if worker.error is not None:
            raise worker.error
    result = ExportResult(
        rows=sum(worker.writer.rows for worker in workers),
        scrips=sum(1 for worker in workers for _ in worker.last_dates),
        keys=plan.keys,
        files=sorted(name for worker in workers for name in worker.files),
        first_date=min((w.writer.first_date for w in workers if w.writer.rows), default=None),
        last_date=max((w.writer.last_date for w in workers if w.writer.rows), default=None),
        stale_rows=stale,
        seconds=time.monotonic() - started,
    )
    if result.rows or not manifest:
        _write_manifest(out_dir, _next_manifest(manifest, source, plan, workers, result, export_no))
    return result


@dataclasses.dataclass
class _Plan:
    keys: list[str]
    scrips: list[str]
    afters: list[dt.date]
    since: dt.date | None
    scrips_chosen: bool
    rows_estimate: int


def _plan(conn, table, request: ExportRequest, manifest: dict | None) -> _Plan:
    """Keys, scrips and per-scrip watermarks, all checked before anything is written."""
    if manifest:
        _check_source(conn, request, manifest)
    known_keys = list_keys(conn, table)
    keys = list(request.keys or (manifest["keys"] if manifest else known_keys))
    absent = [key for key in keys if key not in known_keys]
    if absent:
        raise UserError(
            _unknown(absent, known_keys, "key(s)", f"The table has: {', '.join(known_keys)}.")
        )
    if manifest and keys != manifest["keys"]:
        raise UserError(
            f"{request.out_dir} holds the keys {', '.join(manifest['keys'])}: export the same "
            "keys (leave out --keys), or into a new directory, or add --rebuild"
        )
    if request.scrips:
        scrips = sorted(set(request.scrips))
        unknown = _check_scrips(conn, table, scrips)
        if unknown:
            hint = "`dse-indicators status --all` lists the scrips."
            raise UserError(_unknown(unknown, list_scrips(conn, table), "scrip(s)", hint))
    elif manifest and manifest["scrips"]:
        scrips = manifest["scrips"]
    else:
        scrips = list_scrips(conn, table)
    since = request.since
    if since is None and manifest and manifest["since"]:
        since = dt.date.fromisoformat(manifest["since"])
    floor = since - dt.timedelta(days=1) if since else NEVER
    done = manifest["last_dates"] if manifest else {}
    afters = [max(floor, dt.date.fromisoformat(done[s])) if s in done else floor for s in scrips]
    chosen = bool(request.scrips) or bool(manifest and manifest["scrips"])
    estimate = _estimate_rows(conn, table, min(afters, default=NEVER))
    estimate = estimate * len(scrips) // max(len(list_scrips(conn, table)), 1)
    return _Plan(keys, scrips, afters, since, chosen, estimate)


def _source_name(conn, schema: str) -> str:
    (database,) = conn.execute("select current_database()").fetchone()
    return f"{database}: {schema}.indicators"


def _check_source(conn, request: ExportRequest, manifest: dict) -> None:
    """Appending another table's rows would mix two histories in one directory."""
    here = _source_name(conn, request.schema)
    if manifest["source"] != here:
        raise UserError(
            f"{request.out_dir} holds an export of {manifest['source']}, not of {here}: "
            "export into a new directory, or add --rebuild to replace it"
        )


def _estimate_rows(conn, table, after: dt.date) -> int:
    """About how many rows lie after `after`: the planner's count, or the date index's."""
    if after == NEVER:
        query = "select reltuples::bigint from pg_class where oid = %s::regclass"
        (estimate,) = conn.execute(query, [table.as_string(conn)]).fetchone()
        if estimate >= 0:  # -1: never analysed yet
            return estimate
    query = sql.SQL("select count(*) from {} where trading_date > %s").format(table)
    return conn.execute(query, [after]).fetchone()[0]


def _stale_rows(conn, table, manifest: dict) -> int:
    """Rows already in DIR that a later dbt run rewrote (late or corrected prices)."""
    if not manifest.get("computed_at") or not manifest["last_dates"]:
        return 0
    done = manifest["last_dates"]
    since = dt.date.fromisoformat(manifest["since"]) if manifest["since"] else NEVER
    query = sql.SQL(
        "select count(*) from {} as i join unnest(%s::text[], %s::date[]) as w (scrip, last)"
        " on i.scrip = w.scrip and i.trading_date <= w.last"
        " where i.trading_date >= %s and i.computed_at > %s"
    ).format(table)
    args = [list(done), list(done.values()), since, manifest["computed_at"]]
    return conn.execute(query, args).fetchone()[0]


def _start_workers(request, plan: _Plan, table, snapshot, export_no, progress) -> list[_Worker]:
    query = _scrip_csv_query(table, plan.keys)
    schema = _arrow_schema(plan.keys)
    lock = threading.Lock()
    done = {"scrips": 0, "rows": 0}

    def on_scrips(scrips: int, rows: int) -> None:
        with lock:
            done["scrips"] += scrips
            done["rows"] += rows
            if progress:
                progress(done["scrips"], len(plan.scrips), done["rows"])

    # A second connection pays off on large exports only; small ones stay in one file per year.
    jobs = max(1, min(request.jobs, len(plan.scrips), -(-plan.rows_estimate // ROWS_PER_JOB)))
    workers = []
    for worker_no in range(jobs):
        # Round robin: neighbouring scrips (often of similar length) go to different workers.
        writer = _PartWriter(request.out_dir, schema, export_no, worker_no)
        scrips, afters = plan.scrips[worker_no::jobs], plan.afters[worker_no::jobs]
        worker = _Worker(snapshot, query, scrips, afters, writer, on_scrips)
        worker.start()
        workers.append(worker)
    return workers


def _next_manifest(manifest, source: str, plan: _Plan, workers, result, export_no) -> dict:
    last_dates = dict(manifest["last_dates"]) if manifest else {}
    for worker in workers:
        last_dates.update((s, d.isoformat()) for s, d in worker.last_dates.items())
    marks = [w.computed_at for w in workers if w.computed_at]
    if manifest and manifest["computed_at"]:
        marks.append(dt.datetime.fromisoformat(manifest["computed_at"]))
    entry = {
        "number": export_no,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "rows": result.rows,
        "first_date": result.first_date.isoformat() if result.first_date else None,
        "last_date": result.last_date.isoformat() if result.last_date else None,
        "stale_rows": result.stale_rows,
        "files": result.files,
    }
    return {
        "format": MANIFEST_FORMAT,
        "source": source,
        "keys": plan.keys,
        "columns": _arrow_schema(plan.keys).names,
        "scrips": plan.scrips if plan.scrips_chosen else None,
        "since": plan.since.isoformat() if plan.since else None,
        # The newest computed_at exported: rows in DIR rewritten later are reported as stale.
        "computed_at": max(marks).isoformat() if marks else None,
        "last_dates": dict(sorted(last_dates.items())),
        "exports": [*(manifest["exports"] if manifest else []), entry],
    }
