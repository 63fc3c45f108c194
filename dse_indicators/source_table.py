"""The source price table: creating it and writing rows into it with COPY."""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd
import psycopg
from psycopg import sql

COLUMNS = ("txn_scrip", "txn_date", "txn_open", "txn_high", "txn_low", "txn_close", "txn_volume")
DEFAULT_SCHEMA = "public"
DEFAULT_TABLE = "ws_dse_daily_prices"


def table_name(schema: str = DEFAULT_SCHEMA, table: str = DEFAULT_TABLE) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))


def create(conn: psycopg.Connection, schema: str = DEFAULT_SCHEMA, table: str = DEFAULT_TABLE):
    """Create the source table in the contract's layout, if it is not there yet."""
    conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
    conn.execute(
        sql.SQL(
            "create table if not exists {} ("
            " txn_scrip text, txn_date date,"
            " txn_open numeric, txn_high numeric, txn_low numeric, txn_close numeric,"
            " txn_volume bigint)"
        ).format(table_name(schema, table))
    )


def count_rows(conn: psycopg.Connection, schema=DEFAULT_SCHEMA, table=DEFAULT_TABLE) -> int:
    row = conn.execute(sql.SQL("select count(*) from {}").format(table_name(schema, table)))
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


def copy_rows(
    conn: psycopg.Connection,
    rows: Iterable[tuple],
    schema: str = DEFAULT_SCHEMA,
    table: str = DEFAULT_TABLE,
) -> int:
    """COPY rows (in COLUMNS order) into the source table; returns how many were written."""
    statement = sql.SQL("copy {} ({}) from stdin").format(
        table_name(schema, table), sql.SQL(", ").join(map(sql.Identifier, COLUMNS))
    )
    written = 0
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([_cell(value) for value in row])
            written += 1
    return written


def copy_frame(conn: psycopg.Connection, frame: pd.DataFrame, **where) -> int:
    """COPY a DataFrame whose columns are COLUMNS into the source table."""
    return copy_rows(conn, frame[list(COLUMNS)].itertuples(index=False, name=None), **where)
