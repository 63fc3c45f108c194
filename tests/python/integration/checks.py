"""Comparisons the integration tests share: the table against TA-Lib, and physical rewrites."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import psycopg

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


def compare_with_talib(by_scrip: dict[str, list[tuple]], keys: set[str]) -> dict[str, dict]:
    """Per key: rows checked, largest relative difference, and every mismatch found."""
    report = {key: {"rows": 0, "worst": 0.0, "mismatches": []} for key in keys}
    for scrip, rows in by_scrip.items():
        columns = [np.array([row[i] for row in rows], dtype=float) for i in range(1, 6)]
        expected = talib_keys(*columns)
        for key in keys:
            entry = report[key]
            for i, row in enumerate(rows):
                want, got = expected[key][i], row[6].get(key)
                entry["rows"] += 1
                if np.isnan(want) or got is None:
                    if not (np.isnan(want) and got is None):
                        entry["mismatches"].append((scrip, row[0], got, want))
                    continue
                difference = relative_difference(got, want)
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
