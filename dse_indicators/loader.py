"""Loading price files into the source table.

Understands the source layout itself (txn_scrip, txn_date, ...) and the one-file-per-scrip layout
`Date,Open,High,Low,Close,Volume` (the scrip is the file name). Loading is idempotent: the rows
of a file replace the source rows of the same (scrip, date), so loading twice changes nothing
and a corrected file replaces the old values.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import psycopg
from psycopg import sql

from dse_indicators import source_table

PER_SCRIP_COLUMNS = {
    "date": "txn_date",
    "open": "txn_open",
    "high": "txn_high",
    "low": "txn_low",
    "close": "txn_close",
    "volume": "txn_volume",
}


class BadPriceFile(ValueError):
    """A file that cannot be read as prices, with what is wrong."""


def read_price_file(path: Path) -> pd.DataFrame:
    """The file's rows in the source layout, values kept as the file writes them (text)."""
    if not path.is_file():
        raise BadPriceFile(f"{path}: no such file")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    lower = {column.strip().lower(): column for column in frame.columns}
    if set(source_table.COLUMNS) <= set(lower):
        frame = frame.rename(columns={lower[c]: c for c in source_table.COLUMNS})
    elif set(PER_SCRIP_COLUMNS) <= set(lower):
        frame = frame.rename(columns={lower[c]: t for c, t in PER_SCRIP_COLUMNS.items()})
        frame["txn_scrip"] = path.stem.upper()
    else:
        raise BadPriceFile(
            f"{path}: columns {list(frame.columns)} are neither the source layout "
            f"({', '.join(source_table.COLUMNS)}) nor Date,Open,High,Low,Close,Volume"
        )
    frame = frame[list(source_table.COLUMNS)]
    return frame.map(lambda value: None if value.strip() in ("", "--") else value.strip())


def load_files(conn: psycopg.Connection, paths: list[Path]) -> int:
    """Load every file in one transaction; returns the number of rows written."""
    frames = [read_price_file(path) for path in paths]
    source_table.create(conn)
    target = source_table.table_name()
    written = 0
    with conn.transaction():
        for frame in frames:
            keys = frame[["txn_scrip", "txn_date"]].drop_duplicates().dropna()
            conn.execute("create temporary table if not exists loaded_keys (s text, d date)")
            conn.execute("truncate loaded_keys")
            with conn.cursor() as cursor, cursor.copy("copy loaded_keys from stdin") as copy:
                for key in keys.itertuples(index=False, name=None):
                    copy.write_row(key)
            conn.execute(
                sql.SQL(
                    "delete from {} as t using loaded_keys as k"
                    " where t.txn_scrip = k.s and t.txn_date = k.d"
                ).format(target)
            )
            written += source_table.copy_frame(conn, frame)
    return written
