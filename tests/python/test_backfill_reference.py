"""The old backfill keys: the literal reference on hand-checked cases, and the O(1) sliding
formulation held to it on long histories.

``backfill`` is the contract's text evaluated row by row (W = the last min(t, 200) rows);
``backfill_sliding`` is the O(1)-per-row form the SQL port follows. Numpy only, seconds.
"""

from __future__ import annotations

import itertools
import math
import os
from pathlib import Path

import numpy as np
import pytest

from dse_indicators.reference import backfill_sliding as sliding
from dse_indicators.reference import ema as talib_ema
from dse_indicators.reference.backfill import BACKFILL_KEYS, backfill_keys

# The sliding form against the literal one: |difference| <= TIGHT * scale, where scale is
# max(1, |value|, close). MACD is a difference of two price-level EMAs, so its rounding is
# relative to the price, not to the (possibly tiny) MACD value; the same holds for both forms.
TIGHT = 1e-12


def days(first: str, count: int) -> np.ndarray:
    return np.arange(np.datetime64(first), np.datetime64(first) + count)


def random_walk(count: int, seed: int, low: float = 0.1, high: float = 3000.0) -> np.ndarray:
    """Log-normal steps kept within [low, high], ticks of 0.1, some flat days."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, 0.03, count) * (rng.random(count) > 0.05)
    log_price = np.log(100.0)
    out = np.empty(count)
    for i, step in enumerate(steps):
        log_price = min(max(log_price + step, math.log(low)), math.log(high))
        out[i] = log_price
    return np.maximum(np.round(np.exp(out), 1), 0.1)


def ohlcv(close: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    open_ = np.maximum(np.round(close * (1 + rng.normal(0, 0.01, len(close))), 1), 0.1)
    high = np.maximum(close, open_) + np.round(rng.random(len(close)), 1)
    low = np.maximum(np.minimum(close, open_) - np.round(rng.random(len(close)), 1), 0.05)
    volume = rng.integers(0, 2_000_000, len(close)).astype(np.float64)
    return open_, high, low, close, volume


# --------------------------------------------------------------------------- literal, by hand


def test_three_rows_by_hand() -> None:
    dates = ["2024-02-27", "2024-02-28", "2024-02-29"]
    o = [10.0, 11.0, 11.0]
    h = [12.0, 12.0, 12.0]
    lo = [9.0, 10.0, 11.0]
    c = [11.0, 10.0, 12.0]
    v = [100.0, 200.5, 300.0]
    k = backfill_keys(dates, o, h, lo, c, v)
    assert list(k) == list(BACKFILL_KEYS) and len(k) == 31
    # SMA_3 / EMA_3 on row 3: mean of 11, 10, 12 = 11 (the EMA's seed is that mean).
    np.testing.assert_array_equal(k["SMA_3"], [np.nan, np.nan, 11.0])
    np.testing.assert_array_equal(k["EMA_3"], [np.nan, np.nan, 11.0])
    for key in ("SMA_5", "EMA_20", "RSI_14", "MACD_line_12_26_9", "ATR_14", "MFI_14", "CMF_20"):
        assert np.isnan(k[key]).all(), key
    # OBV: 0, then a fall of 200 (200.5 truncated), then a rise of 300.
    np.testing.assert_array_equal(k["OBV"], [0.0, -200.0, 100.0])
    # mfm: (2 - 1) / 3 = 1/3; (0 - 2) / 2 = -1; (1 - 0) / 1 = 1 (close at the high).
    np.testing.assert_allclose(k["AD_line"], [100 / 3, 100 / 3 - 200.5, 100 / 3 + 99.5])
    np.testing.assert_allclose(k["log_return"], [np.nan, math.log(10 / 11), math.log(12 / 10)])
    np.testing.assert_allclose(k["high_low_range"], [3 / 11, 2 / 10, 1 / 12])
    np.testing.assert_allclose(k["close_open_diff"], [0.1, -1 / 11, 1 / 11])
    # 2024-02-27..29: Tuesday..Thursday, week 4 and 5, the last three days of a leap February.
    np.testing.assert_array_equal(k["day_of_week"], [2, 3, 4])
    np.testing.assert_array_equal(k["week_of_month"], [4, 4, 5])
    np.testing.assert_array_equal(k["month"], [2, 2, 2])
    np.testing.assert_array_equal(k["is_month_end"], [True, True, True])
    np.testing.assert_array_equal(k["is_quarter_end"], [False, False, False])
    assert k["day_of_week"].dtype == np.int64 and k["is_month_end"].dtype == np.bool_


def test_calendar_edges() -> None:
    dates = ["2023-02-25", "2023-02-26", "2024-02-26", "2024-03-29", "2024-03-28", "2021-12-31"]
    k = backfill_keys(dates, *([np.ones(6)] * 5))
    # 2023 has 28 February days: 26..28 are the last three; 2024 has 29: 27..29.
    np.testing.assert_array_equal(k["is_month_end"], [False, True, False, True, False, True])
    np.testing.assert_array_equal(k["is_quarter_end"], [False, False, False, True, False, True])
    np.testing.assert_array_equal(k["day_of_week"], [6, 7, 1, 5, 4, 5])
    np.testing.assert_array_equal(k["week_of_month"], [4, 4, 4, 5, 4, 5])
    np.testing.assert_array_equal(k["month"], [2, 2, 2, 3, 3, 12])


def test_rsi_atr_mfi_by_hand() -> None:
    # 15 rows: changes alternate +2, -1 (7 rises of 2, 7 falls of 1): G = 1, L = 0.5.
    c = np.cumsum(np.r_[10.0, np.tile([2.0, -1.0], 7)])
    h, lo, o = c + 1.0, c - 1.0, c
    v = np.full(15, 10.0)
    k = backfill_keys(days("2024-01-01", 15), o, h, lo, c, v)
    assert np.isnan(k["RSI_14"][13]) and np.isnan(k["ATR_14"][13])
    assert k["RSI_14"][14] == pytest.approx(100 - 100 / (1 + 1.0 / 0.5))
    # TR = max(2, |h - prev c|, |l - prev c|) = 3 after a rise of 2, 2 after a fall of 1.
    assert k["ATR_14"][14] == pytest.approx((7 * 3 + 7 * 2) / 14)
    # tp = close; positive flow: the 7 rising rows, negative: the 7 falling ones.
    rising = c[1:][np.diff(c) > 0].sum() * 10
    falling = c[1:][np.diff(c) < 0].sum() * 10
    assert k["MFI_14"][14] == pytest.approx(100 - 100 / (1 + rising / falling))
    # No falls at all: RSI 100 and MFI 100.
    up = np.arange(1.0, 16.0)
    k = backfill_keys(days("2024-01-01", 15), up, up + 1, up - 0.5, up, np.ones(15))
    assert k["RSI_14"][14] == 100.0 and k["MFI_14"][14] == 100.0


def test_bollinger_cmf_volume_ratio() -> None:
    c = np.r_[np.full(19, 10.0), 30.0]
    v = np.r_[np.zeros(19), 40.0]
    h, lo = c + 1, c - 1
    k = backfill_keys(days("2024-01-01", 20), c, h, lo, c, v)
    mean, std = 11.0, math.sqrt((19 * 1.0 + 19.0**2) / 20)
    assert k["BOLLINGER_middle_20_2"][19] == pytest.approx(mean)
    assert k["BOLLINGER_upper_20_2"][19] == pytest.approx(mean + 2 * std)
    assert k["BOLLINGER_lower_20_2"][19] == pytest.approx(mean - 2 * std)
    assert k["BOLLINGER_bandwidth_20_2"][19] == pytest.approx(4 * std / mean)
    assert np.isnan(k["BOLLINGER_middle_20_2"][18])
    assert k["volume_ratio_20"][19] == pytest.approx(40.0 / 2.0)
    assert k["volume_SMA_20"][19] == 2.0 and k["volume_SMA_10"][19] == 4.0
    assert k["CMF_20"][19] == 0.0  # close mid-range: mfm 0
    # No volume in the last 20 rows: CMF and volume_ratio are null, volume SMAs 0.
    k = backfill_keys(days("2024-01-01", 20), c, h, lo, c, np.zeros(20))
    assert np.isnan(k["CMF_20"][19]) and np.isnan(k["volume_ratio_20"][19])
    assert k["volume_SMA_20"][19] == 0.0
    # Positive prices give a positive middle, so bandwidth is never null once m >= 20.
    assert not np.isnan(k["BOLLINGER_bandwidth_20_2"][19])


def test_macd_warm_up_and_seeding() -> None:
    c = random_walk(60, 3)
    o, h, lo, c, v = ohlcv(c, 3)
    k = backfill_keys(days("2024-01-01", 60), o, h, lo, c, v)
    line, signal = k["MACD_line_12_26_9"], k["MACD_signal_12_26_9"]
    assert np.isnan(line[:33]).all() and not np.isnan(line[33:]).any()
    assert np.isnan(signal[:33]).all() and not np.isnan(signal[33:]).any()
    # On row 33 (m = 34) the signal is the mean of M on rows 25..33.
    fast = talib_ema(c, 12)
    slow = talib_ema(c, 26)
    assert signal[33] == pytest.approx(np.mean(fast[25:34] - slow[25:34]), rel=1e-12)
    np.testing.assert_allclose(k["MACD_hist_12_26_9"], line - signal, rtol=0, atol=1e-12)


def test_first_199_rows_are_the_ordinary_ema() -> None:
    c = random_walk(260, 4)
    k = backfill_keys(days("2024-01-01", 260), *ohlcv(c, 4))
    for n in (3, 20, 50):
        ordinary = talib_ema(c, n)
        np.testing.assert_allclose(k[f"EMA_{n}"][:199], ordinary[:199], rtol=1e-13)
    # From m = 200 the start slides and the values part.
    assert np.max(np.abs(k["EMA_50"][199:] / talib_ema(c, 50)[199:] - 1)) > 1e-9


def test_obv_and_ad_line_cover_200_rows() -> None:
    count = 230
    c = np.arange(1.0, count + 1.0)  # always rising
    v = np.full(count, 2.9)  # truncated to 2
    h, lo = c + 1, c - 1  # mfm 0
    k = backfill_keys(days("2024-01-01", count), c, h, lo, c, v)
    np.testing.assert_array_equal(k["OBV"][:200], 2.0 * np.arange(200))
    np.testing.assert_array_equal(k["OBV"][200:], 2.0 * 199)
    k = backfill_keys(days("2024-01-01", count), c, c + 1, c - 3, c, v)  # mfm 0.5
    np.testing.assert_allclose(k["AD_line"][199:], 200 * 0.5 * 2.9)


# --------------------------------------------------------------------------- the sliding form


def assert_sliding_matches(o, h, lo, c, v, label: str) -> None:
    ref = backfill_keys(days("2000-01-01", len(c)), o, h, lo, c, v)
    got = sliding.sliding_keys(h, lo, c, v)
    scale_price = np.maximum(1.0, c)
    for key, value in got.items():
        expected = ref[key]
        assert np.array_equal(np.isnan(value), np.isnan(expected)), f"{label}/{key}: nulls"
        ok = ~np.isnan(expected)
        scale = np.maximum(np.abs(expected), scale_price)
        if key == "AD_line":
            # A sum of +/- flows: its rounding is relative to the flows summed, not to the sum.
            span = h - lo
            mfm = np.where(span == 0, 0.0, ((c - lo) - (h - c)) / np.where(span == 0, 1, span))
            scale = np.maximum(scale, sliding.sliding_sum(np.abs(mfm * v)))
        if key == "OBV":
            assert np.array_equal(value, expected), f"{label}/OBV"
            continue
        error = np.abs(value[ok] - expected[ok]) / scale[ok]
        assert error.max(initial=0) <= TIGHT, f"{label}/{key}: {error.max():.3g}"


@pytest.mark.parametrize("seed", [11, 12])
def test_sliding_equals_literal_5000_rows(seed: int) -> None:
    c = random_walk(5000, seed)
    assert_sliding_matches(*ohlcv(c, seed), f"walk {seed}")


def test_sliding_equals_literal_20000_rows() -> None:
    c = random_walk(20_000, 13, low=0.1, high=3000.0)
    assert_sliding_matches(*ohlcv(c, 13), "walk 20000")


def test_sliding_on_flat_stretches_and_tiny_prices() -> None:
    c = np.r_[np.full(400, 2500.0), random_walk(600, 6), np.full(500, 0.1), np.full(300, 37.4)]
    tiny = np.maximum(np.round(random_walk(1200, 7) / 10_000, 4), 0.1)
    for label, series in (("flat", c), ("tiny", tiny)):
        assert_sliding_matches(*ohlcv(series, 8), label)


def test_exact_terms_reproduce_every_weight() -> None:
    for key in ("EMA_3", "EMA_20", "EMA_50", "MACD_line", "MACD_signal"):
        terms = sliding.exact_terms(key)  # raises if any of the 200 weights differs
        weights = sliding.exact_weights(key)
        # An EMA is a weighted mean (weights sum to 1); MACD a difference of two (sum 0).
        assert sum(weights) == (1 if key.startswith("EMA") else 0), key
        spans = sorted({(t.first_lag, t.last_lag) for t in terms})
        assert spans[0][0] == 0 and spans[-1][1] == 199
        assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(spans)), key


# --------------------------------------------------------------------------- the restart


def test_restart_matters() -> None:
    """The literal EMA_50 and MACD part visibly from the full-history ones once m = 200."""
    c = random_walk(3000, 21)
    literal = sliding.sliding_ema(c, 50)
    full = talib_ema(c, 50)
    relative = np.abs(literal[199:] - full[199:]) / np.abs(full[199:])
    np.testing.assert_allclose(literal[:199], full[:199], rtol=1e-13)
    assert relative.max() > 1e-6
    # The MACD line and signal restart too.
    line, _, _ = sliding.sliding_macd(c)
    full_line = talib_ema(c, 12) - talib_ema(c, 26)
    assert np.max(np.abs(line[199:] - full_line[199:]) / c[199:]) > 1e-9
    # The seed's weight is (1 - a) ** 150 ~ 2.6e-3 of a mean of 50 closes: far above 1e-9,
    # so no long look-back approximation of the full EMA can stand in for it.


def test_the_sql_terms_macro_is_generated_from_exact_terms() -> None:
    """macros/indicators/dse_backfill_terms.sql is sql_terms_macro()'s output, unedited."""
    macro = Path(__file__).parents[2] / "macros" / "indicators" / "dse_backfill_terms.sql"
    if os.environ.get("DSE_UPDATE_GOLDEN"):
        macro.write_text(sliding.sql_terms_macro())
    assert macro.read_text() == sliding.sql_terms_macro()
