"""A few rows of the indicators table, as a quick look after a run."""

from __future__ import annotations

import psycopg
from psycopg import sql

SHOWN_KEYS = ("sma_20", "ema_12", "rsi_14", "macd", "bb_upper_20", "atr_14")


def latest_rows(conn: psycopg.Connection, schema: str, limit: int) -> list[tuple]:
    """The newest row of `limit` scrips: scrip, date, close and a few keys."""
    keys = sql.SQL(", ").join(sql.SQL("(indicators ->> {})::float8").format(k) for k in SHOWN_KEYS)
    query = sql.SQL(
        "select scrip, trading_date, price_close, {keys} from ("
        " select distinct on (scrip) * from {table} order by scrip, trading_date desc"
        ") as latest order by scrip limit {limit}"
    ).format(keys=keys, table=sql.Identifier(schema, "indicators"), limit=limit)
    return conn.execute(query).fetchall()


def table_summary(conn: psycopg.Connection, schema: str) -> tuple[int, int, object, object]:
    """Rows, scrips, first and last date of the indicators table."""
    query = sql.SQL(
        "select count(*), count(distinct scrip), min(trading_date), max(trading_date) from {}"
    ).format(sql.Identifier(schema, "indicators"))
    return conn.execute(query).fetchone()


def format_rows(rows: list[tuple]) -> str:
    header = ("scrip", "trading_date", "close", *SHOWN_KEYS)
    cells = [header] + [
        (
            row[0],
            str(row[1]),
            *("" if v is None else f"{v:,.2f}" if abs(v) >= 100 else f"{v:.4f}" for v in row[2:]),
        )
        for row in rows
    ]
    widths = [max(len(str(line[i])) for line in cells) for i in range(len(header))]
    return "\n".join(
        "  ".join(str(value).rjust(width) for value, width in zip(line, widths, strict=True))
        for line in cells
    )
