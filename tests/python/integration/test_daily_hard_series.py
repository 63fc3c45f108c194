"""The daily path on the hard series: the edge series and random ones arrive in pieces, each
piece a `dbt run` that continues from the stored state, with the pieces cut at awkward rows
around the state rows (every 16th); after every run each key equals TA-Lib on the source
cleaned in Python, and at the end the table equals a full refresh bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
import talib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dse_indicators import source_table
from dse_indicators.reference import KEYS
from tests.python.cleaning_rules import read_source
from tests.python.integration.checks import (
    assert_equals_talib,
    assert_prices_are_the_source,
    compare_with_talib,
    read_table,
)
from tests.python.integration.test_incremental import assert_same_as_full_refresh
from tests.python.integration.test_sql_vs_reference import EDGE_SERIES, ohlcv_rows, write_series

# Rows 16, 32, 48 and 64 keep the state (row_num is 1-based). Each run adds the rows up to the
# next cut: just before, at and just after a state row, and a long stretch at the end.
CUTS = [1, 15, 17, 31, 32, 47, 49, 64, 65, 200]


def sar_reversal_on_a_state_row() -> tuple[np.ndarray, ...]:
    """Rising for 47 rows, then a crash: the SAR reverses on row 48, a state row."""
    n = 120
    c = np.concatenate([50.0 + np.arange(47), 96.0 - 0.7 * np.arange(n - 47) - 8.0])
    h, lo = c + 0.5, c - 0.5
    o = np.concatenate([c[:1], c[:-1]])
    o = np.clip(o, lo, h)
    return o, h, lo, c, np.full(n, 5000.0)


def flat_across_a_state_row() -> tuple[np.ndarray, ...]:
    """A flat stretch with no volume from row 25 to row 45, across state row 32."""
    rng = np.random.default_rng(3)
    c = 40 * np.exp(np.cumsum(rng.normal(0, 0.02, 100)))
    h, lo = c * 1.01, c * 0.99
    o, v = c.copy(), np.round(rng.lognormal(9, 1, 100))
    for a in (o, h, lo, c):
        a[24:45] = c[23]
    v[24:45] = 0
    return o, h, lo, c, v


SERIES = {
    **EDGE_SERIES,
    "SAR_AT_48": sar_reversal_on_a_state_row(),
    "FLAT_AT_32": flat_across_a_state_row(),
}


def test_the_sar_series_reverses_on_a_state_row():
    _, h, lo, _, _ = SERIES["SAR_AT_48"]
    sar = talib.SAR(h, lo, 0.02, 0.2)
    above = sar > h
    assert not above[1:47].any() and above[47]  # row 48: the first with the SAR above


def run_in_pieces(project, series: dict, cuts: list[int]) -> None:
    """Each run adds the next rows of every series; after each, every key equals TA-Lib."""
    done = 0
    for cut in [*cuts, max(len(s[3]) for s in series.values())]:
        if cut <= done:
            continue
        with project.connect() as conn:
            for scrip, columns in series.items():
                piece = [np.asarray(a)[done:cut] for a in columns]
                if len(piece[3]):
                    write_series(conn, scrip, *piece, offset=done)
        project.dbt("run")
        with project.connect() as conn:
            by_scrip = read_table(conn)
            cleaned = read_source(conn)
        assert_prices_are_the_source(by_scrip, cleaned)
        assert_equals_talib(compare_with_talib(by_scrip, set(KEYS), cleaned))
        done = cut


@pytest.fixture(scope="module")
def fresh(project):
    def reset():
        with project.connect() as conn:
            source_table.create(conn)
            conn.execute("truncate public.ws_dse_daily_prices")
            conn.execute("drop schema if exists analytics cascade")

    return reset


@pytest.mark.timeout(600)
def test_edge_series_in_pieces_equal_talib_and_a_full_refresh(project, fresh):
    fresh()
    run_in_pieces(project, SERIES, CUTS)
    assert_same_as_full_refresh(project)


def _series(rows, level: float) -> tuple[np.ndarray, ...]:
    c = level * np.exp(np.cumsum([r[0] for r in rows]))
    o = c * (1 + np.array([r[3] for r in rows]))
    h = np.maximum(o, c) * (1 + np.array([r[1] for r in rows]))
    lo = np.minimum(o, c) * (1 - np.array([r[2] for r in rows]))
    v = np.array([r[4] for r in rows], dtype=float)
    for i, row in enumerate(rows):
        if row[5] and i:
            o[i], h[i], lo[i], c[i] = o[i - 1], h[i - 1], lo[i - 1], c[i - 1]
    return o, h, lo, c, v


@pytest.mark.timeout(600)
@settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    first=ohlcv_rows,
    second=ohlcv_rows,
    level=st.sampled_from([0.01, 7.3, 286.6, 1e5]),
    cuts=st.lists(st.integers(1, 320), min_size=1, max_size=3),
)
def test_random_series_in_pieces_equal_talib_and_a_full_refresh(
    project, fresh, first, second, level, cuts
):
    fresh()
    run_in_pieces(
        project, {"RANDOM_A": _series(first, level), "RANDOM_B": _series(second, 1.0)}, sorted(cuts)
    )
    assert_same_as_full_refresh(project)
