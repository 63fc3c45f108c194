"""The SQL against the numpy reference (itself proven equal to TA-Lib): edge series through a
real `dbt build`, and a property test on random series through the model's compiled SQL."""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dse_indicators import source_table
from dse_indicators.reference import KEYS, compute_all
from tests.python.cleaning_rules import columns, read_source
from tests.python.integration.checks import (
    assert_equals_talib,
    assert_prices_are_the_source,
    compare_with_talib,
    price_level,
    read_table,
)
from tests.python.talib_oracle import relative_difference

TOLERANCE = 1e-9
START = datetime.date(2020, 1, 1)


def write_series(conn, scrip: str, o, h, lo, c, v, offset: int = 0) -> None:
    """One scrip's rows, prices written with repr() so the database holds the exact floats;
    `offset`: the first row's position in the scrip's series (one day per row)."""
    rows = [
        (scrip, START + datetime.timedelta(days=offset + i), repr(float(o[i])), repr(float(h[i])),
         repr(float(lo[i])),
         repr(float(c[i])), int(v[i]))
        for i in range(len(c))
    ]  # fmt: skip
    source_table.copy_rows(conn, rows)


def walk(n: int, level: float, seed: int, flat: slice | None = None, volume: float = 1e5):
    rng = np.random.default_rng(seed)
    c = level * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    o = c * np.exp(rng.normal(0, 0.005, n))
    h = np.maximum(o, c) * np.exp(np.abs(rng.normal(0, 0.01, n)))
    lo = np.minimum(o, c) * np.exp(-np.abs(rng.normal(0, 0.01, n)))
    v = np.round(rng.lognormal(np.log(volume), 1, n)) if volume else np.zeros(n)
    if flat is not None:
        o[flat] = h[flat] = lo[flat] = c[flat] = c[flat.start - 1]
    return o, h, lo, c, v


EDGE_SERIES = {
    "ONE_ROW": walk(1, 50.0, 1),
    "SHORT_13": walk(13, 50.0, 2),
    "SHORT_27": walk(27, 50.0, 3),
    "SHORT_33": walk(33, 50.0, 4),
    "CONSTANT": tuple(np.full(300, x) for x in (25.5, 25.5, 25.5, 25.5, 1000.0)),
    "NO_VOLUME": walk(300, 80.0, 5, volume=0),
    "TINY": walk(300, 0.0001, 6),
    "HUGE": walk(300, 1_000_000.0, 7),
    "FLOOR": walk(400, 120.0, 8, flat=slice(150, 260)),
    "RISING": tuple(np.linspace(10, 300, 300) + d for d in (0.0, 0.5, -0.5, 0.2, 0.0)),
    "FALLING": tuple(np.linspace(300, 10, 300) + d for d in (0.0, 0.5, -0.5, -0.2, 0.0)),
}


@pytest.fixture(scope="module")
def built(project):
    with project.connect() as conn:
        source_table.create(conn)
        for scrip, series in EDGE_SERIES.items():
            write_series(conn, scrip, *series)
    project.dbt("build", "--exclude", "dse_sample_prices")
    return project


def test_edge_series_equal_talib(built):
    with built.connect() as conn:
        by_scrip = read_table(conn)
        cleaned = read_source(conn)
    assert set(by_scrip) == set(EDGE_SERIES)
    assert {s: len(rows) for s, rows in by_scrip.items()} == {
        s: len(series[3]) for s, series in EDGE_SERIES.items()
    }
    assert_prices_are_the_source(by_scrip, cleaned)
    assert_equals_talib(compare_with_talib(by_scrip, set(KEYS), cleaned))
    one_row = by_scrip["ONE_ROW"][0][6]
    assert {k: one_row[k] for k in KEYS if k in one_row} == {"obv": EDGE_SERIES["ONE_ROW"][4][0]}


def test_audit_passes_then_finds_a_tampered_value(built, capsys):
    from dse_indicators import cli

    env = {"DBT_SCHEMA": "analytics", **built.env}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        assert cli.main(["audit", "--scrip", "HUGE", "--scrip", "FLOOR"]) == 0
        assert "OK: 2 scrip(s)" in capsys.readouterr().out
        with built.connect() as conn:
            conn.execute(
                "update analytics.indicators set indicators = jsonb_set(indicators, '{rsi_14}', "
                "to_jsonb((indicators ->> 'rsi_14')::float8 + 1e-6)) "
                "where scrip = 'FLOOR' and row_num = 100"
            )
        assert cli.main(["audit", "--scrip", "FLOOR"]) == 1
        out = capsys.readouterr().out
        assert "FLOOR: 1 mismatch(es)" in out and "rsi_14" in out and "MISMATCH" in out
        assert cli.main(["audit", "--scrip", "NOSUCH"]) == 2


@pytest.fixture(scope="module")
def model_sql(built) -> str:
    """The model's full-refresh SELECT, as dbt compiled it."""
    built.dbt("compile", "--select", "indicators", "--full-refresh")
    compiled = next(Path(built.work, "target", "compiled").rglob("marts/indicators.sql"))
    return compiled.read_text()


ohlcv_rows = st.lists(
    st.tuples(
        st.floats(-0.1, 0.1),  # log return of the close
        st.floats(0, 0.05),  # high above max(open, close), relative
        st.floats(0, 0.05),  # low below min(open, close), relative
        st.floats(-0.03, 0.03),  # open against close, relative
        st.integers(0, 10**7) | st.just(0),  # volume
        st.booleans(),  # repeat the previous bar (flat stretches)
    ),
    min_size=1,
    max_size=320,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=ohlcv_rows, level=st.sampled_from([0.01, 7.3, 286.6, 1e5]))
def test_random_series_equal_the_reference(built, model_sql, rows, level):
    c = level * np.exp(np.cumsum([r[0] for r in rows]))
    o = c * (1 + np.array([r[3] for r in rows]))
    h = np.maximum(o, c) * (1 + np.array([r[1] for r in rows]))
    lo = np.minimum(o, c) * (1 - np.array([r[2] for r in rows]))
    v = np.array([r[4] for r in rows], dtype=float)
    for i, row in enumerate(rows):
        if row[5] and i:
            o[i], h[i], lo[i], c[i] = o[i - 1], h[i - 1], lo[i - 1], c[i - 1]
    with built.connect() as conn:
        conn.execute("truncate public.ws_dse_daily_prices")
        write_series(conn, "RANDOM", o, h, lo, c, v)
        got = conn.execute(
            f"select indicators, price_open, price_high, price_low, price_close, price_volume "
            f"from ({model_sql}) as computed order by trading_date"
        ).fetchall()
        # The reference's inputs: the source as the tests' own cleaning rules read it.
        (bars,) = read_source(conn).accepted.values()
    expected = compute_all(*columns(bars))
    level = price_level(columns(bars)[3])
    assert len(got) == len(rows)
    assert [tuple(row[1:]) for row in got] == [
        (b.open, b.high, b.low, b.close, b.volume) for b in bars
    ]
    for i, (document, *_) in enumerate(got):
        for key in KEYS:
            want = expected[key][i]
            if np.isnan(want):
                assert key not in document, (key, i)
            else:
                assert relative_difference(document[key], want) <= TOLERANCE, (key, i)
                assert abs(document[key] - want) <= TOLERANCE * max(level, abs(want)), (key, i)
