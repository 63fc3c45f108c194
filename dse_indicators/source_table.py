"""The source price table: creating it and writing rows into it with COPY.

Its place and column names are the dbt vars (`project.source`); rows arrive in the order of
COLUMNS, the contract's default names, whatever the table calls them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd
import psycopg
from psycopg import sql

from dse_indicators import project
from dse_indicators.project import Source

# The contract's names (section 2): those of price files once read, and of generated data.
COLUMNS = ("txn_scrip", "txn_date", "txn_open", "txn_high", "txn_low", "txn_close", "txn_volume")
TYPES = ("text", "date", "numeric", "numeric", "numeric", "numeric", "bigint")


def _source(source: Source | None) -> Source:
    return source or project.source()


def table_name(source: Source | None = None) -> sql.Composed:
    source = _source(source)
    return sql.SQL("{}.{}").format(sql.Identifier(source.schema), sql.Identifier(source.table))


def column_list(source: Source | None = None) -> sql.Composed:
    """The source's columns, in the order of COLUMNS."""
    return sql.SQL(", ").join(map(sql.Identifier, _source(source).columns))


def create(conn: psycopg.Connection, source: Source | None = None) -> None:
    """Create the source table in the contract's layout, if it is not there yet."""
    source = _source(source)
    conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(source.schema)))
    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind))
        for name, kind in zip(source.columns, TYPES, strict=True)
    )
    conn.execute(sql.SQL("create table if not exists {} ({})").format(table_name(source), columns))


def exists(conn: psycopg.Connection, source: Source | None = None) -> bool:
    found = conn.execute("select to_regclass(%s)", [table_name(source).as_string(conn)])
    return found.fetchone()[0] is not None


def count_rows(conn: psycopg.Connection, source: Source | None = None) -> int:
    row = conn.execute(sql.SQL("select count(*) from {}").format(table_name(source)))
    return row.fetchone()[0]


def _cell(value) -> str | None:
    """One value as COPY text: None, NaN and pandas' NA become NULL; floats keep 4 decimals."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


def copy_rows(conn: psycopg.Connection, rows: Iterable[tuple], source: Source | None = None) -> int:
    """COPY rows (in COLUMNS order) into the source table; returns how many were written."""
    statement = sql.SQL("copy {} ({}) from stdin").format(table_name(source), column_list(source))
    written = 0
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([_cell(value) for value in row])
            written += 1
    return written


def copy_frame(conn: psycopg.Connection, frame: pd.DataFrame, source: Source | None = None) -> int:
    """COPY a DataFrame whose columns are COLUMNS into the source table."""
    return copy_rows(conn, frame[list(COLUMNS)].itertuples(index=False, name=None), source)
