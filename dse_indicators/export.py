"""The feature matrix for training: the indicators table as Parquet, incrementally.

Layout of the output directory (readable by pandas, pyarrow, polars, DuckDB, Spark):

    DIR/_manifest.json                      what has been exported (ignored by readers: `_`)
    DIR/year=2025/part-00001-0.parquet      export 1, worker 0: rows of 2025
    DIR/year=2025/part-00002-0.parquet      export 2 appended newer rows

Columns: scrip, trading_date, price_open .. price_close (float64), price_volume (int64),
price_factor (float64), then one float64 column per indicator key, null where the key is
absent (warm-up) or JSON null, 1 and 0 for true and false. Rows are sorted by scrip and date
inside each file. With adjust_prices the prices are the table's adjusted ones and
price_factor their factor (printed price = price / price_factor); price_volume stays the
printed whole shares (the adjusted volume is price_volume / price_factor).

How it reads: the model keeps, beside the JSONB document, a bytea `features` with the same
numbers as big-endian float8 in a fixed key order (NaN where a key is absent). PostgreSQL
gathers each scrip's rows into a few binary arrays and one byte string; numpy reads those as
they are, so no JSON and no text is parsed on either side. Two workers (connections) share
the scrips and read one snapshot. Memory stays bounded by the longest scrip history and the
write buffer, whatever the size of the table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
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
import pyarrow.parquet as pq
from psycopg import sql

from dse_indicators import database, pg_arrays, target
from dse_indicators.errors import UserError, did_you_mean

PRICE_COLUMNS = (
    "price_open", "price_high", "price_low", "price_close", "price_volume", "price_factor",
)  # fmt: skip
MANIFEST = "_manifest.json"
MANIFEST_FORMAT = 1
# Rows buffered per worker before they are written as one row group per year.
FLUSH_ROWS = 65_536
# Scrips' arrays gathered before they become one Arrow table.
PARSE_BYTES = 16 << 20
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
        if "computed_at" in manifest:  # written before the column was renamed updated_at
            manifest["updated_at"] = manifest.pop("computed_at")
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
    """The keys packed in `features`, in their order, as the model wrote them in its comment."""
    query = (
        "select col_description(a.attrelid, a.attnum) from pg_attribute as a"
        " where a.attrelid = %s::regclass and a.attname = 'features' and not a.attisdropped"
    )
    found = conn.execute(query, [table.as_string(conn)]).fetchone()
    if not found or not (found[0] or "").startswith("keys "):
        raise UserError(
            f"{table.as_string(conn)} has no features column (an older build): "
            "rebuild it once with `dbt run --full-refresh --select indicators`"
        )
    return found[0].removeprefix("keys ").split(",")


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


ARRAY_COLUMNS = (("trading_date", "date"), *((c, "float8") for c in PRICE_COLUMNS[:4]))
ARRAY_COLUMNS += (("price_volume", "int8"), ("price_factor", "float8"))
#: What each array aggregates: the printed whole shares, whatever the table's volume type.
_ARRAY_EXPRESSIONS = {"price_volume": "round(i.price_volume * i.price_factor)::bigint"}


def _scrip_arrays_query(table: sql.Identifier) -> sql.Composed:
    """One row per scrip: its rows after its watermark as arrays in date order, and their
    features bytes joined into one byte string."""
    arrays = sql.SQL(", ").join(
        sql.SQL("array_agg({})").format(
            sql.SQL(_ARRAY_EXPRESSIONS[column])
            if column in _ARRAY_EXPRESSIONS
            else sql.Identifier("i", column)
        )
        for column, _ in ARRAY_COLUMNS
    )
    return sql.SQL(
        "copy ("
        " select w.scrip, rows.*"
        " from unnest(%s::text[], %s::date[]) with ordinality as w (scrip, after, n)"
        " cross join lateral ("
        # The ordered subquery feeds array_agg in date order; the reader checks that it did.
        "  select {arrays}, string_agg(i.features, ''::bytea) as features,"
        "   max(i.updated_at) as updated_at from ("
        "   select * from {table} as i where i.scrip = w.scrip and i.trading_date > w.after"
        "   order by i.trading_date"
        "  ) as i"
        " ) as rows"
        " where rows.updated_at is not null order by w.n"
        ") to stdout (format binary)"
    ).format(arrays=arrays, table=table)


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

    def add(self, year: int, table: pa.Table, first: dt.date, last: dt.date) -> None:
        """Buffer rows of one year, dated first .. last."""
        self.first_date = min(filter(None, [self.first_date, first]))
        self.last_date = max(filter(None, [self.last_date, last]))
        self.buffers.setdefault(year, []).append(table)
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
                    # Full-precision floats barely compress, and compressing them costs a
                    # large share of the export's time (docs/cli.md has the figures).
                    compression="none",
                    # Dictionaries and statistics pay off for scrip and date; on floats they
                    # cost time and no reader filters on them.
                    use_dictionary=["scrip"],
                    write_statistics=["scrip", "trading_date"],
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
    """One connection's share of the scrips: a reader thread receives each scrip's arrays, a
    converter thread turns them into columns and writes Parquet, so the server never waits.
    """

    def __init__(self, snapshot, query, scrips, afters, keys, writer: _PartWriter, on_scrips):
        self.snapshot, self.query = snapshot, query
        self.scrips, self.afters = scrips, afters
        # The exported keys' positions among the features' keys, and how many those are.
        self.positions, self.width = keys
        self.writer = writer
        self.on_scrips = on_scrips
        self.error: BaseException | None = None
        self.files: list[str] = []
        self.last_dates: dict[str, dt.date] = {}
        self.updated_at: dt.datetime | None = None
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
        scrips: list[tuple[str, list[bytes]]] = []
        size = 0
        with conn.cursor() as cursor, cursor.copy(self.query, [self.scrips, self.afters]) as copy:
            # bytea: each array arrives as its raw binary form, with nothing decoded in Python.
            copy.set_types(["text", *["bytea"] * (len(ARRAY_COLUMNS) + 1), "timestamptz"])
            for scrip, *arrays, updated_at in copy.rows():
                scrips.append((scrip, arrays))
                size += sum(len(array) for array in arrays)
                if self.updated_at is None or updated_at > self.updated_at:
                    self.updated_at = updated_at
                if size >= PARSE_BYTES:
                    if not self._put(scrips):
                        return
                    scrips, size = [], 0
        if scrips:
            self._put(scrips)

    def _convert_blocks(self) -> None:
        while (block := self._blocks.get()) is not None:
            if self.error is None:
                try:
                    self._convert(block)
                except BaseException as error:
                    self._fail(error)
        try:
            if self.error is None:
                self.files = self.writer.close()
            else:
                self.writer.abort()
        except BaseException as error:
            self._fail(error)

    def _convert(self, scrips: list[tuple[str, list[bytes]]]) -> None:
        """Scrips' arrays -> one Arrow table per year, each value copied once or twice."""
        parts: dict[str, list[np.ndarray]] = {column: [] for column, _ in ARRAY_COLUMNS}
        parts["features"] = []
        for scrip, (*arrays, features) in scrips:
            views = {
                column: pg_arrays.parse(array, element, native=False)
                for (column, element), array in zip(ARRAY_COLUMNS, arrays, strict=True)
            }
            # Days since 1970, as Arrow's date32 counts them.
            dates = views["trading_date"].astype(np.int32) + pg_arrays.DATE_EPOCH_DAYS
            if len(features) != 8 * self.width * len(dates):
                raise pg_arrays.ArrayFormatError(
                    f"{scrip}: the features bytes do not hold {self.width} keys per row"
                )
            views["features"] = np.frombuffer(features, ">f8").reshape(len(dates), self.width)
            if not (np.diff(dates) > 0).all():  # array_agg did not follow the subquery's order
                order = np.argsort(dates, kind="stable")
                views, dates = {c: v[order] for c, v in views.items()}, dates[order]
            views["trading_date"] = dates
            for column, values in views.items():
                parts[column].append(values)
            self.last_dates[scrip] = _date(dates[-1])
        counts = [len(dates) for dates in parts["trading_date"]]
        dates = np.concatenate(parts["trading_date"])
        years = dates.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int32) + 1970
        # Rows grouped by year, in scrip and date order within each: a stable sort.
        order = None if (np.diff(years) >= 0).all() else np.argsort(years, kind="stable")

        def grouped(values: np.ndarray) -> np.ndarray:
            return values if order is None else values[..., order]

        columns = {
            "scrip": grouped(np.repeat(np.arange(len(scrips), dtype=np.int64), counts)),
            "trading_date": grouped(dates),
            **{c: grouped(np.concatenate(parts[c], dtype=_native(c))) for c in PRICE_COLUMNS},
        }
        # (rows, all keys) big-endian -> (exported keys, rows) native: one row per key.
        features = np.concatenate(parts["features"], dtype=np.float64).T[self.positions]
        features = grouped(features)
        years = grouped(years)
        names = _arrow_strings([scrip for scrip, _ in scrips])
        starts = [0, *(np.flatnonzero(np.diff(years)) + 1), len(years)]
        for start, end in itertools.pairwise(starts):
            rows = slice(start, end)
            fields = [
                names.take(_arrow_numbers(columns["scrip"][rows])),
                pa.Array.from_buffers(
                    pa.date32(), end - start, [None, pa.py_buffer(columns["trading_date"][rows])]
                ),
                *(_arrow_numbers(columns[c][rows]) for c in PRICE_COLUMNS),
                # NaN in the array: the key is absent from the JSONB, a null in the file.
                *(_arrow_numbers(values[rows], nan_is_null=True) for values in features),
            ]
            table = pa.Table.from_arrays(fields, schema=self.writer.schema)
            span = columns["trading_date"][rows]
            self.writer.add(int(years[start]), table, _date(span.min()), _date(span.max()))
        self.on_scrips(len(scrips), len(dates))


def _native(column: str) -> np.dtype:
    """The numpy type an array column is read into, as pg_arrays defines it for its element."""
    return pg_arrays.ELEMENTS[dict(ARRAY_COLUMNS)[column]][1]


def _arrow_numbers(values: np.ndarray, nan_is_null: bool = False) -> pa.Array:
    """A numpy column as an Arrow array, built from its buffers (pa.array would import pandas)."""
    values = np.ascontiguousarray(values)
    validity = None
    if nan_is_null:
        present = ~np.isnan(values)
        if not present.all():
            validity = pa.py_buffer(np.packbits(present, bitorder="little"))
    kind = pa.float64() if values.dtype.kind == "f" else pa.int64()
    return pa.Array.from_buffers(kind, len(values), [validity, pa.py_buffer(values)])


def _arrow_strings(texts: list[str]) -> pa.Array:
    encoded = [text.encode() for text in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(text) for text in encoded], out=offsets[1:])
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    return pa.Array.from_buffers(pa.string(), len(encoded), buffers)


def _date(days: np.integer) -> dt.date:
    """A date from its days since 1970."""
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(days))


def _begin_snapshot(conn: psycopg.Connection, snapshot: str | None) -> None:
    """A read-only transaction; with `snapshot`, one that sees what the first connection sees."""
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.read_only = True
    if snapshot:
        conn.execute(sql.SQL("set transaction snapshot {}").format(sql.Literal(snapshot)))


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
    known_keys: list[str]  # the order of the keys in the features bytes


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
    return _Plan(keys, scrips, afters, since, chosen, estimate, known_keys)


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
    if not manifest.get("updated_at") or not manifest["last_dates"]:
        return 0
    done = manifest["last_dates"]
    since = dt.date.fromisoformat(manifest["since"]) if manifest["since"] else NEVER
    query = sql.SQL(
        "select count(*) from {} as i join unnest(%s::text[], %s::date[]) as w (scrip, last)"
        " on i.scrip = w.scrip and i.trading_date <= w.last"
        " where i.trading_date >= %s and i.updated_at > %s"
    ).format(table)
    args = [list(done), list(done.values()), since, manifest["updated_at"]]
    return conn.execute(query, args).fetchone()[0]


def _start_workers(request, plan: _Plan, table, snapshot, export_no, progress) -> list[_Worker]:
    query = _scrip_arrays_query(table)
    schema = _arrow_schema(plan.keys)
    keys = ([plan.known_keys.index(key) for key in plan.keys], len(plan.known_keys))
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
        worker = _Worker(snapshot, query, scrips, afters, keys, writer, on_scrips)
        worker.start()
        workers.append(worker)
    return workers


def _next_manifest(manifest, source: str, plan: _Plan, workers, result, export_no) -> dict:
    last_dates = dict(manifest["last_dates"]) if manifest else {}
    for worker in workers:
        last_dates.update((s, d.isoformat()) for s, d in worker.last_dates.items())
    marks = [w.updated_at for w in workers if w.updated_at]
    if manifest and manifest["updated_at"]:
        marks.append(dt.datetime.fromisoformat(manifest["updated_at"]))
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
        # The newest updated_at exported: rows in DIR rewritten later are reported as stale.
        "updated_at": max(marks).isoformat() if marks else None,
        "last_dates": dict(sorted(last_dates.items())),
        "exports": [*(manifest["exports"] if manifest else []), entry],
    }
