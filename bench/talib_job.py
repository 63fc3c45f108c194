"""What a user would write instead of the dbt model: TA-Lib in Python, COPY in and out.

Run by the benchmark as its own process, so that its peak RSS is the job's alone:

    python -m bench.talib_job full|day --schema S --table T

`full` writes every row into a fresh table and builds its key and indexes afterwards; `day`
recomputes each scrip's whole history and upserts only the rows of the newest trading date.
Both print one JSON line: phase times, rows read and written, peak RSS.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import resource
import sys
import time
from collections.abc import Iterator

import numpy as np
import pandas as pd
import psycopg
import talib
from psycopg import sql

PRICE_COLUMNS = ("scrip", "trading_date", "open", "high", "low", "close", "volume")
OUTPUT_COLUMNS = ("scrip", "trading_date", "indicators")


def talib_keys(o, h, lo, c, v) -> dict[str, np.ndarray]:
    """The contract's 33 keys (section 3), one TA-Lib call each, on one scrip's history."""
    out: dict[str, np.ndarray] = {}
    for n in (5, 10, 20, 50, 200):
        out[f"sma_{n}"] = talib.SMA(c, n)
    for n in (12, 26, 50, 200):
        out[f"ema_{n}"] = talib.EMA(c, n)
    out["macd"], out["macd_signal"], out["macd_hist"] = talib.MACD(c, 12, 26, 9)
    out["rsi_14"] = talib.RSI(c, 14)
    out["bb_upper_20"], out["bb_middle_20"], out["bb_lower_20"] = talib.BBANDS(c, 20, 2, 2, 0)
    out["atr_14"] = talib.ATR(h, lo, c, 14)
    out["adx_14"] = talib.ADX(h, lo, c, 14)
    out["plus_di_14"] = talib.PLUS_DI(h, lo, c, 14)
    out["minus_di_14"] = talib.MINUS_DI(h, lo, c, 14)
    out["stoch_k"], out["stoch_d"] = talib.STOCH(h, lo, c, 14, 3, 0, 3, 0)
    out["cci_20"] = talib.CCI(h, lo, c, 20)
    out["willr_14"] = talib.WILLR(h, lo, c, 14)
    out["mfi_14"] = talib.MFI(h, lo, c, v, 14)
    out["obv"] = talib.OBV(c, v)
    out["roc_10"] = talib.ROC(c, 10)
    out["sar"] = talib.SAR(h, lo, 0.02, 0.2)
    out["ret_1d"] = talib.ROCP(c, 1)
    out["volatility_20"] = talib.STDDEV(talib.ROCP(c, 1), 20, 1)
    out["high_252"] = talib.MAX(h, 252)
    out["low_252"] = talib.MIN(lo, 252)
    out["volume_sma_20"] = talib.SMA(v, 20)
    return out


KEYS = tuple(talib_keys(*([np.zeros(1)] * 5)))


class PhaseClock:
    """Seconds spent per named phase, summed over many short intervals."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, phase: str) -> None:
        """Charge the time since the previous lap to `phase`."""
        now = time.perf_counter()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - self._last
        self._last = now


def read_accepted(conn: psycopg.Connection, schema: str) -> pd.DataFrame:
    """Every accepted price row, sorted by scrip and date, through one COPY."""
    query = sql.SQL(
        "copy (select {} from {}.stg_dse__prices where reject_reason is null"
        " order by scrip, trading_date) to stdout with (format csv)"
    ).format(sql.SQL(", ").join(map(sql.Identifier, PRICE_COLUMNS)), sql.Identifier(schema))
    buffer = io.BytesIO()
    with conn.cursor() as cursor, cursor.copy(query) as copy:
        for chunk in copy:
            buffer.write(chunk)
    buffer.seek(0)
    # Dates stay text: they go back out as they came in. round_trip: float8 exactly as sent.
    return pd.read_csv(
        buffer,
        names=list(PRICE_COLUMNS),
        dtype={"scrip": str, "trading_date": str, "volume": "float64"},
        float_precision="round_trip",
    )


def scrip_slices(scrips: np.ndarray) -> Iterator[slice]:
    """The row range of each scrip in an array sorted by scrip."""
    starts = np.flatnonzero(np.r_[True, scrips[1:] != scrips[:-1]])
    ends = np.r_[starts[1:], len(scrips)]
    for start, end in zip(starts, ends, strict=True):
        yield slice(int(start), int(end))


def document(values: list[float]) -> str:
    """One JSONB document: the keys TA-Lib has a value for (NaN during warm-up is dropped)."""
    return json.dumps({k: v for k, v in zip(KEYS, values, strict=True) if math.isfinite(v)})


def indicator_rows(prices: pd.DataFrame, clock: PhaseClock, last_day: str | None):
    """(scrip, trading_date, json) rows; with `last_day` only the rows of that date."""
    scrips = prices["scrip"].to_numpy()
    dates = prices["trading_date"].to_numpy()
    inputs = [prices[name].to_numpy(dtype="float64") for name in PRICE_COLUMNS[2:]]
    for rows in scrip_slices(scrips):
        if last_day is not None and dates[rows.stop - 1] != last_day:
            continue  # the scrip did not trade on the new day: nothing of it changes
        clock.lap("other")
        matrix = np.column_stack(list(talib_keys(*(x[rows] for x in inputs)).values()))
        clock.lap("talib")
        first = rows.stop - 1 if last_day is not None else rows.start
        for offset, values in enumerate(matrix[first - rows.start :].tolist()):
            row = first + offset
            text = document(values)
            clock.lap("json")
            yield scrips[row], dates[row], text


def copy_rows(conn: psycopg.Connection, table: sql.Composable, rows, clock: PhaseClock) -> int:
    statement = sql.SQL("copy {} ({}) from stdin").format(
        table, sql.SQL(", ").join(map(sql.Identifier, OUTPUT_COLUMNS))
    )
    written = 0
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            written += 1
            clock.lap("copy")
    return written


def write_full(conn: psycopg.Connection, table: sql.Composable, rows, clock: PhaseClock) -> int:
    """A fresh table, filled by COPY; key and indexes built afterwards (faster than during)."""
    conn.execute(sql.SQL("drop table if exists {}").format(table))
    conn.execute(
        sql.SQL("create table {} (scrip text, trading_date date, indicators jsonb)").format(table)
    )
    written = copy_rows(conn, table, rows, clock)
    for ddl in (
        "alter table {} add primary key (scrip, trading_date)",
        "create index on {} using gin (indicators jsonb_path_ops)",
        "create index on {} (scrip)",
        "create index on {} (trading_date)",
    ):
        conn.execute(sql.SQL(ddl).format(table))
    clock.lap("index")
    return written


def write_day(conn: psycopg.Connection, table: sql.Composable, rows, clock: PhaseClock) -> int:
    """Upsert the new rows through a staging temp table."""
    conn.execute(
        sql.SQL("create temp table stage on commit drop as select {} from {} limit 0").format(
            sql.SQL(", ").join(map(sql.Identifier, OUTPUT_COLUMNS)), table
        )
    )
    written = copy_rows(conn, sql.Identifier("stage"), rows, clock)
    conn.execute(
        sql.SQL(
            "insert into {} (scrip, trading_date, indicators) select * from stage"
            " on conflict (scrip, trading_date) do update set indicators = excluded.indicators"
        ).format(table)
    )
    clock.lap("upsert")
    return written


def run(mode: str, schema: str, table_name: str) -> dict:
    clock = PhaseClock()
    table = sql.Identifier(schema, table_name)
    with psycopg.connect() as conn:  # the PG* variables say where; one transaction
        prices = read_accepted(conn, schema)
        clock.lap("read")
        last_day = prices["trading_date"].max() if mode == "day" else None
        rows = indicator_rows(prices, clock, last_day)
        writer = write_full if mode == "full" else write_day
        written = writer(conn, table, rows, clock)
        conn.commit()
        clock.lap("commit")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {
        "mode": mode,
        "rows_read": len(prices),
        "rows_written": written,
        "phases_s": {name: round(s, 3) for name, s in clock.seconds.items()},
        "peak_rss_mb": round(peak_kb / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.talib_job",
        description="The TA-Lib + COPY job the benchmark compares dbt with (PG* say where).",
    )
    parser.add_argument("mode", choices=["full", "day"], help="full backfill or the newest day")
    parser.add_argument("--schema", required=True, help="schema of stg_dse__prices and the table")
    parser.add_argument("--table", default="talib_indicators", help="output table")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.mode, args.schema, args.table)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
