"""Loading price files into the source table, idempotently.

Each file's rows replace the source rows of the same (scrip, date) keys, as if the keys were
deleted and the file's rows inserted; keys whose rows are already exactly those of the file
are left untouched. So loading a file twice changes nothing, and a corrected file replaces
the old values. All files load in one transaction: an error anywhere writes nothing.

Files are streamed (CSV with pyarrow's reader, Parquet by row groups) into a temporary table
with COPY; memory does not grow with the file. Layouts and cleaning: `price_files`. The
table's place and column names are the dbt vars (`project.Source`).

The report says, per file, which of its keys' rows `dbt run` will reject and why: the staging
rules as dbt renders them (`cleaning`), run after the file's rows are in, against the whole
source table, as the staging view judges them.
"""

from __future__ import annotations

import dataclasses
import io
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import psycopg
import pyarrow.csv as pa_csv
from psycopg import sql

from dse_indicators import cleaning, project, source_table
from dse_indicators.price_files import (
    BadPriceFile,
    PriceFile,
    ReadingRules,
    clean,
    open_price_file,
)
from dse_indicators.project import Source

__all__ = [
    "BadPriceFile",
    "FileReport",
    "LoadReport",
    "ReadingRules",
    "inspect_files",
    "load_files",
]

# (file, bytes read, rows read, done reading) as a file streams in, then once more when its
# rows are read and the slower step, comparing them with the table, begins.
ProgressCallback = Callable[[PriceFile, int, int, bool], None]


@dataclasses.dataclass
class FileReport:
    path: Path
    layout: str
    rows_read: int = 0
    rows_written: int = 0  # inserted: new keys, or keys whose rows changed
    rows_replaced: int = 0  # deleted: the old rows of those changed keys
    rounded_volumes: int = 0
    nulled_numbers: int = 0
    rejects: Counter = dataclasses.field(default_factory=Counter)

    @property
    def rows_unchanged(self) -> int:
        return self.rows_read - self.rows_written


@dataclasses.dataclass
class LoadReport:
    files: list[FileReport]
    seconds: float = 0.0

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_written(self) -> int:
        return sum(f.rows_written for f in self.files)


def inspect_files(paths: Sequence[Path], rules: ReadingRules | None = None) -> list[PriceFile]:
    """Open every file and clean its first batch: most mistakes show before anything is written."""
    files = []
    for path in paths:
        price_file = open_price_file(Path(path), rules)
        for batch, _ in price_file.batches():
            clean(batch, price_file, first_row=1)
            break
        files.append(price_file)
    return files


def load_files(
    conn: psycopg.Connection,
    paths: Sequence[Path],
    rules: ReadingRules | None = None,
    progress: ProgressCallback | None = None,
    source: Source | None = None,
    reject_counts: str | None = None,
) -> LoadReport:
    """Load the files in one transaction; BadPriceFile (and nothing written) on bad input.

    `reject_counts` is the query of `cleaning.render_reject_counts`; without it no file's
    rejects are counted.
    """
    started = time.monotonic()
    files = inspect_files(paths, rules)
    source = source or project.source()
    reports = []
    with conn.transaction():
        source_table.create(conn, source)
        # The source's own column names, in the order of the rows COPY brings.
        conn.execute(
            sql.SQL("create temporary table incoming ({}) on commit drop").format(
                sql.SQL(", ").join(
                    sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind))
                    for name, kind in zip(source.columns, source_table.TYPES, strict=True)
                )
            )
        )
        for price_file in files:
            report = FileReport(price_file.path, price_file.describe())
            report.rows_read = _stage(conn, price_file, progress)
            if progress:
                progress(price_file, price_file.size, report.rows_read, True)
            report.rounded_volumes = price_file.rounded_volumes
            report.nulled_numbers = price_file.nulled_numbers
            report.rows_replaced, report.rows_written = _replace_changed_keys(conn, source)
            if reject_counts:
                report.rejects = _count_rejects(conn, source, reject_counts)
            conn.execute("truncate incoming")
            reports.append(report)
    return LoadReport(reports, time.monotonic() - started)


def _stage(conn: psycopg.Connection, price_file: PriceFile, progress) -> int:
    """COPY the file's cleaned rows into the temporary table `incoming`; returns rows read."""
    rows = 0
    price_file.rounded_volumes = price_file.nulled_numbers = 0  # counted again from the start
    options = pa_csv.WriteOptions(include_header=False)
    with conn.cursor() as cursor, cursor.copy("copy incoming from stdin (format csv)") as copy:
        for batch, bytes_read in price_file.batches():
            buffer = io.BytesIO()
            pa_csv.write_csv(clean(batch, price_file, rows + 1), buffer, options)
            copy.write(buffer.getbuffer())
            rows += batch.num_rows
            if progress:
                progress(price_file, bytes_read, rows, False)
    return rows


# A key with a missing scrip or date still names its rows: the file's (GP, no date) rows
# replace the table's (GP, no date) rows. Sentinels keep the joins hashable.
def _key(table: str, source: Source) -> sql.Composable:
    key = "coalesce({t}.{scrip}, E'\\x01'), coalesce({t}.{day}, '-infinity'::date)"
    return sql.SQL(key).format(
        t=sql.Identifier(table),
        scrip=sql.Identifier(source.column("scrip")),
        day=sql.Identifier(source.column("date")),
    )


def _replace_changed_keys(conn: psycopg.Connection, source: Source) -> tuple[int, int]:
    """Delete and insert the keys whose rows differ; returns (rows deleted, rows inserted)."""
    names = {
        "target": source_table.table_name(source),
        "columns": source_table.column_list(source),
        "incoming_key": _key("incoming", source),
        "target_key": _key("t", source),
        "differing_key": _key("differing", source),
    }
    conn.execute(
        sql.SQL(
            "create temporary table changed_keys (scrip, day) on commit drop as"
            " with held as ("
            "  select {columns} from {target} as t"
            "  where ({target_key}) in (select {incoming_key} from incoming)"
            " ), differing as ("
            "  (select {columns} from incoming except all select {columns} from held)"
            "  union all"
            "  (select {columns} from held except all select {columns} from incoming)"
            " )"
            " select distinct {differing_key} from differing"
        ).format(**names)
    )
    deleted = conn.execute(
        sql.SQL(
            "delete from {target} as t where ({target_key}) in (select * from changed_keys)"
        ).format(**names)
    ).rowcount
    inserted = conn.execute(
        sql.SQL(
            "insert into {target} ({columns}) select {columns} from incoming"
            " where ({incoming_key}) in (select * from changed_keys)"
        ).format(**names)
    ).rowcount
    conn.execute("drop table changed_keys")
    return deleted, inserted


def _count_rejects(conn: psycopg.Connection, source: Source, reject_counts: str) -> Counter:
    """How many rows of the file's keys `dbt run` will reject, by reason."""
    conn.execute(
        cleaning.keys_table(
            sql.Identifier(source.column("scrip")), sql.Identifier(source.column("date"))
        )
    )
    counts = Counter(dict(conn.execute(reject_counts).fetchall()))
    conn.execute(sql.SQL("drop table {}").format(sql.Identifier(cleaning.KEYS_TABLE)))
    return counts
