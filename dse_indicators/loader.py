"""Loading price files into the source table, idempotently.

Each file's rows replace the source rows of the same (scrip, date) keys, as if the keys were
deleted and the file's rows inserted; keys whose rows are already exactly those of the file
are left untouched. So loading a file twice changes nothing, and a corrected file replaces
the old values. All files load in one transaction: an error anywhere writes nothing.

Files are streamed (CSV with pyarrow's reader, Parquet by row groups) into a temporary table
with COPY; memory does not grow with the file. Layouts and cleaning: `price_files`.
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

from dse_indicators import source_table
from dse_indicators.price_files import (
    BadPriceFile,
    PriceFile,
    ReadingRules,
    clean,
    open_price_file,
)

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
) -> LoadReport:
    """Load the files in one transaction; BadPriceFile (and nothing written) on bad input."""
    started = time.monotonic()
    files = inspect_files(paths, rules)
    reports = []
    with conn.transaction():
        source_table.create(conn)
        conn.execute(
            "create temporary table incoming (txn_scrip text, txn_date date, txn_open numeric,"
            " txn_high numeric, txn_low numeric, txn_close numeric, txn_volume bigint)"
            " on commit drop"
        )
        for price_file in files:
            report = FileReport(price_file.path, price_file.describe())
            report.rows_read = _stage(conn, price_file, progress)
            if progress:
                progress(price_file, price_file.size, report.rows_read, True)
            report.rounded_volumes = price_file.rounded_volumes
            report.nulled_numbers = price_file.nulled_numbers
            report.rejects = _count_rejects(conn)
            report.rows_replaced, report.rows_written = _replace_changed_keys(conn)
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
def _key(table: str) -> sql.Composable:
    return sql.SQL(
        "coalesce({t}.txn_scrip, E'\\x01'), coalesce({t}.txn_date, '-infinity'::date)"
    ).format(t=sql.Identifier(table))


def _replace_changed_keys(conn: psycopg.Connection) -> tuple[int, int]:
    """Delete and insert the keys whose rows differ; returns (rows deleted, rows inserted)."""
    names = {
        "target": source_table.table_name(),
        "columns": sql.SQL(", ").join(map(sql.Identifier, source_table.COLUMNS)),
        "incoming_key": _key("incoming"),
        "target_key": _key("t"),
        "differing_key": _key("differing"),
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


# The cleaning rules of the interface (contract section 2), applied to the staged rows, with
# today as the run date, so that the report says what `dbt run` will reject.
_REJECTS = """
with bars as (
    select
        txn_scrip, txn_date, txn_close as close, txn_volume as volume,
        coalesce(txn_volume = 0 and txn_close > 0 and coalesce(txn_open, 0) = 0
            and coalesce(txn_high, 0) = 0 and coalesce(txn_low, 0) = 0, false) as flat,
        txn_open, txn_high, txn_low
    from incoming
),
typed as (
    select *,
        case when flat then close else txn_open end as open,
        case when flat then close else txn_high end as high,
        case when flat then close else txn_low end as low
    from bars
),
checked as (
    select *,
        case
            when txn_scrip is null or txn_date is null then 'missing_key'
            when open is null or high is null or low is null or close is null then 'missing_price'
            when 'NaN' in (open, high, low, close)
                or abs(open) = 'Infinity' or abs(high) = 'Infinity'
                or abs(low) = 'Infinity' or abs(close) = 'Infinity' then 'non_finite_price'
            when open <= 0 or high <= 0 or low <= 0 or close <= 0 then 'non_positive_price'
            when high < low then 'high_below_low'
            when volume is null then 'missing_volume'
            when volume < 0 then 'negative_volume'
            when txn_date > current_date + 1 then 'future_date'
        end as reason
    from typed
),
ranked as (
    select reason, row_number() over (
        partition by txn_scrip, txn_date, reason is null order by volume desc, close desc
    ) as rank
    from checked
)
select coalesce(reason, 'duplicate'), count(*) from ranked
where reason is not null or rank > 1
group by 1
"""


def _count_rejects(conn: psycopg.Connection) -> Counter:
    """How many staged rows `dbt run` will reject, by reason."""
    return Counter(dict(conn.execute(_REJECTS).fetchall()))
