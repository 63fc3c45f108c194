"""Comparisons the integration tests share: the table against the cleaned source and TA-Lib,
and physical rewrites."""

from __future__ import annotations

import struct
from collections import defaultdict

import numpy as np
import psycopg

from tests.python.cleaning_rules import Cleaned, columns
from tests.python.talib_oracle import relative_difference, talib_keys

TOLERANCE = 1e-9


def read_table(conn: psycopg.Connection, schema: str = "analytics") -> dict[str, list[tuple]]:
    """Each scrip's rows in date order: (date, open, high, low, close, volume, indicators)."""
    rows = conn.execute(
        f"select scrip, trading_date, price_open, price_high, price_low, price_close, "
        f"price_volume, indicators from {schema}.indicators order by scrip, trading_date"
    ).fetchall()
    by_scrip: dict[str, list[tuple]] = defaultdict(list)
    for row in rows:
        by_scrip[row[0]].append(row[1:])
    return by_scrip


def assert_prices_are_the_source(by_scrip: dict[str, list[tuple]], cleaned: Cleaned) -> None:
    """The table's rows and price_* columns are, bit for bit, the source cleaned by the
    contract's rules (tests/python/cleaning_rules.py), not by the staging SQL."""
    got = {scrip: [row[:6] for row in rows] for scrip, rows in by_scrip.items()}
    want = {
        scrip: [(b.trading_date, b.open, b.high, b.low, b.close, b.volume) for b in bars]
        for scrip, bars in cleaned.accepted.items()
    }
    assert got.keys() == want.keys(), (got.keys() - want.keys(), want.keys() - got.keys())
    for scrip, rows in want.items():
        wrong = [(w, g) for w, g in zip(rows, got[scrip], strict=False) if _bits(w) != _bits(g)]
        assert len(rows) == len(got[scrip]) and not wrong, (scrip, wrong[:3])


def _bits(row: tuple) -> tuple:
    return tuple(struct.pack(">d", x) if isinstance(x, float) else x for x in row)


def price_level(close: np.ndarray) -> float:
    """The scale a tiny-priced scrip's errors are judged at: min(1, median |close|)."""
    return (min(1.0, float(np.median(np.abs(close)))) if close.size else 1.0) or 1.0


def compare_with_talib(
    by_scrip: dict[str, list[tuple]], keys: set[str], cleaned: Cleaned
) -> dict[str, dict]:
    """Per key: rows checked, largest relative difference, and every mismatch found.

    TA-Lib's inputs are the source's rows cleaned in Python (`cleaned`), never the table's own
    price columns. Two measures must hold: the contract's |v - talib| / max(1, |talib|), and,
    for prices below 1 where that turns absolute, the same relative to the price level
    (|v - talib| / max(level, |talib|), level = min(1, median close)).
    """
    report = {key: {"rows": 0, "worst": 0.0, "mismatches": []} for key in keys}
    for scrip, rows in by_scrip.items():
        bars = cleaned.accepted.get(scrip, [])
        assert [b.trading_date for b in bars] == [row[0] for row in rows], scrip
        inputs = columns(bars)
        expected = talib_keys(*inputs)
        level = price_level(inputs[3])
        for key in keys:
            entry = report[key]
            for i, row in enumerate(rows):
                want, got = expected[key][i], row[6].get(key)
                entry["rows"] += 1
                if np.isnan(want) or got is None:
                    if not (np.isnan(want) and got is None):
                        entry["mismatches"].append((scrip, row[0], got, want))
                    continue
                difference = max(
                    relative_difference(got, want), abs(got - want) / max(level, abs(want))
                )
                entry["worst"] = max(entry["worst"], difference)
                if difference > TOLERANCE:
                    entry["mismatches"].append((scrip, row[0], got, want))
    return report


def assert_equals_talib(report: dict[str, dict]) -> None:
    failures = {k: v["mismatches"][:3] for k, v in report.items() if v["mismatches"]}
    assert not failures, f"keys differing from TA-Lib (first mismatches): {failures}"


def row_versions(conn: psycopg.Connection, schema: str = "analytics") -> dict[tuple, str]:
    """(scrip, date) -> xmin: a row rewritten in any way gets a new xmin."""
    rows = conn.execute(f"select scrip, trading_date, xmin::text from {schema}.indicators")
    return {(scrip, day): xmin for scrip, day, xmin in rows}
