"""The numpy reference indicators against real TA-Lib, key by key and row by row.

Pass criterion for every key and every row: ``ref`` is NaN exactly where TA-Lib is NaN,
and elsewhere ``|ref - talib| <= 1e-9 * max(1, |talib|)``, and for prices below 1 also
``<= 1e-9 * max(level, |talib|)`` with level the median close.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dse_indicators.reference import KEYS, compute_all
from dse_indicators.reference._common import fused_multiply_add
from tests.python.talib_oracle import talib_keys

TOLERANCE = 1e-9
DATA_DIR = Path(__file__).parent / "data"
# The shared reference data sits beside the checkout (MIT sample; see seeds/_seeds.yml).
SHARED_DSE_DIR = (
    Path(__file__).resolve().parents[3] / "shared/reference/dse/tashreef-dse-eod-sample/Unadjusted"
)

Series = np.ndarray
Ohlcv = tuple[Series, Series, Series, Series, Series]


# --------------------------------------------------------------------------- oracle


def assert_matches_talib(data: Ohlcv, label: str) -> None:
    """Compare every key of ``compute_all`` with TA-Lib on one series."""
    o, h, lo, c, v = (np.ascontiguousarray(a, dtype=np.float64) for a in data)
    ours = compute_all(o, h, lo, c, v)
    theirs = talib_keys(o, h, lo, c, v)
    assert tuple(ours) == KEYS, f"{label}: compute_all keys differ from KEYS"
    failures = []
    for key in KEYS:
        ref, exp = ours[key], theirs[key]
        assert ref.dtype == np.float64 and ref.shape == exp.shape, f"{label}/{key}: bad array"
        ref_nan, exp_nan = np.isnan(ref), np.isnan(exp)
        if not np.array_equal(ref_nan, exp_nan):
            rows = np.flatnonzero(ref_nan != exp_nan)
            failures.append(f"{key}: NaN pattern differs at rows {rows[:8].tolist()}")
            continue
        defined = ~exp_nan
        if not defined.any():
            continue
        # The contract's max(1, |talib|), and for prices below 1 (where that is an absolute
        # 1e-9) the same relative to the price level: min(1, median close).
        level = (min(1.0, float(np.median(np.abs(c)))) if c.size else 1.0) or 1.0
        error = np.abs(ref[defined] - exp[defined]) / np.maximum(level, np.abs(exp[defined]))
        worst = int(np.argmax(error))
        if error[worst] > TOLERANCE:
            row = int(np.flatnonzero(defined)[worst])
            failures.append(
                f"{key}: row {row} ref={ref[row]!r} talib={exp[row]!r} (rel {error[worst]:.3g})"
            )
    assert not failures, f"{label} (n={len(c)}):\n  " + "\n  ".join(failures)


# ------------------------------------------------------------------- series builders


def ohlcv_from_close(close: Series, spread: float = 0.01, volume: float | Series = 1000.0) -> Ohlcv:
    """A tidy OHLCV frame around ``close`` (open = previous close)."""
    c = np.asarray(close, dtype=np.float64)
    o = np.concatenate([c[:1], c[:-1]])
    h = np.maximum(o, c) * (1.0 + spread)
    lo = np.minimum(o, c) * (1.0 - spread)
    v = np.broadcast_to(np.asarray(volume, dtype=np.float64), c.shape).copy()
    return o, h, lo, c, v


def dse_like(seed: int, length: int) -> Ohlcv:
    """Random walk on the DSE 0.1 Tk tick, with the features real DSE data has.

    * flat stretches of identical OHLC for 30+ rows (some with zero volume);
    * zero-volume stretches with prices still moving;
    * no-trade bars, either open = high = low = close = last price, or the dsebd
      archive form open = high = low = 0 with close carrying the last price;
    * closes outside [low, high] (DSE's CLOSEP is computed, not the last trade)
      and the odd high < low row.
    """
    rng = np.random.default_rng(seed)
    level = float(rng.choice([3.0, 9.8, 45.0, 250.0, 1500.0, 6000.0]))
    close = np.maximum(np.round(level * np.exp(np.cumsum(rng.normal(0, 0.02, length))), 1), 0.1)
    open_ = np.round(close * (1 + rng.normal(0, 0.005, length)), 1)
    high = np.round(np.maximum(open_, close) * (1 + rng.uniform(0, 0.03, length)), 1)
    low = np.round(np.minimum(open_, close) * (1 - rng.uniform(0, 0.03, length)), 1)
    volume = np.round(rng.lognormal(10, 1.5, length))

    def stretch(min_len: int, max_len: int) -> slice:
        size = int(rng.integers(min_len, max_len + 1))
        start = int(rng.integers(0, max(1, length - size)))
        return slice(start, min(length, start + size))

    if length >= 40:
        for _ in range(int(rng.integers(1, 3))):  # flat, identical OHLC
            flat = stretch(30, 45)
            price = close[flat.start]
            open_[flat] = high[flat] = low[flat] = close[flat] = price
            if rng.random() < 0.5:
                volume[flat] = 0.0
        volume[stretch(20, 40)] = 0.0  # zero volume while prices move
    for row in rng.choice(length, size=length // 15, replace=False):  # no-trade bars
        last = close[row - 1] if row > 0 else close[row]
        close[row] = last
        volume[row] = 0.0
        if rng.random() < 0.5:
            open_[row] = high[row] = low[row] = last
        else:
            open_[row] = high[row] = low[row] = 0.0
    for row in rng.choice(length, size=length // 25, replace=False):  # CLOSEP outside
        close[row] = high[row] + 0.1 if rng.random() < 0.5 else max(low[row] - 0.1, 0.1)
    for row in rng.choice(length, size=length // 100, replace=False):  # high < low
        high[row], low[row] = low[row], high[row]
    return open_, high, low, close, volume


def smooth_random_walk(seed: int, length: int, level: float) -> Ohlcv:
    """Untruncated float random walk around ``level`` (no tick rounding)."""
    rng = np.random.default_rng(seed)
    close = level * np.exp(np.cumsum(rng.normal(0, 0.015, length)))
    return ohlcv_from_close(close, spread=0.008, volume=rng.lognormal(8, 1, length))


def read_dse_csv(path: Path) -> Ohlcv:
    """Date,Open,High,Low,Close,Volume (ascending dates) as five float64 arrays."""
    table = np.genfromtxt(path, delimiter=",", skip_header=1, usecols=(1, 2, 3, 4, 5))
    table = np.atleast_2d(table)
    return tuple(np.ascontiguousarray(table[:, i]) for i in range(5))  # type: ignore[return-value]


# ----------------------------------------------------------------------------- tests

# Every warm-up boundary +-1 (first defined index: 4, 9, 13, 14, 17, 19, 20, 25, 27,
# 33, 49, 199, 251), plus a few plain lengths.
WARMUP_LENGTHS = sorted(
    {w + d for w in (4, 9, 11, 13, 14, 17, 19, 20, 25, 27, 33, 49, 199, 251) for d in (0, 1, 2)}
)
RANDOM_LENGTHS = [1, 2, 3, 7, *WARMUP_LENGTHS, 300, 451, 600]


@pytest.mark.parametrize("length", RANDOM_LENGTHS)
def test_dse_like_random_walks(length: int) -> None:
    for seed in range(3):
        assert_matches_talib(dse_like(1000 * length + seed, length), f"dse_like seed={seed}")


@pytest.mark.parametrize("seed", range(12))
def test_float_random_walks(seed: int) -> None:
    rng = np.random.default_rng(seed)
    length = int(rng.integers(1, 601))
    level = float(rng.choice([0.5, 20.0, 300.0, 4000.0]))
    assert_matches_talib(smooth_random_walk(seed, length, level), f"random walk seed={seed}")


def test_gp_fixture_real_prices() -> None:
    data = read_dse_csv(DATA_DIR / "GP.csv")
    assert len(data[3]) == 3147
    assert_matches_talib(data, "GP.csv fixture")


@pytest.mark.skipif(
    not SHARED_DSE_DIR.is_dir(), reason=f"shared DSE sample not present at {SHARED_DSE_DIR}"
)
@pytest.mark.parametrize(
    "ticker", ["1JANATAMF", "AAMRANET", "BATBC", "GP", "SQURPHARMA", "TB20Y0744"]
)
def test_shared_dse_sample(ticker: str) -> None:
    path = SHARED_DSE_DIR / f"{ticker}.csv"
    if not path.is_file():
        pytest.skip(f"{path} is missing")
    assert_matches_talib(read_dse_csv(path), ticker)


def _edge_series() -> dict[str, Ohlcv]:
    n = 300
    steps = np.arange(n, dtype=np.float64)
    rng = np.random.default_rng(7)
    walk = np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    cases: dict[str, Ohlcv] = {
        "single row": ohlcv_from_close(np.array([100.0])),
        "single row no volume": ohlcv_from_close(np.array([100.0]), volume=0.0),
        "two rows": ohlcv_from_close(np.array([100.0, 101.0])),
        "constant prices": ohlcv_from_close(np.full(n, 55.5), spread=0.0),
        "constant prices zero volume": ohlcv_from_close(np.full(n, 55.5), spread=0.0, volume=0.0),
        "constant close, constant range": (
            np.full(n, 10.0),
            np.full(n, 11.0),
            np.full(n, 9.0),
            np.full(n, 10.0),
            np.full(n, 500.0),
        ),
        "zero volume throughout": ohlcv_from_close(100 * walk, volume=0.0),
        "prices around 0.0001": ohlcv_from_close(1e-4 * walk),
        "prices around 0.0001 ticked": ohlcv_from_close(np.round(1e-4 * walk, 6)),
        "prices around 1e6": ohlcv_from_close(1e6 * walk, volume=3.0),
        "prices around 1e6 tiny moves": ohlcv_from_close(
            1e6 + np.round(rng.normal(0, 1e-3, n).cumsum(), 4), spread=1e-9
        ),
        "strictly rising": ohlcv_from_close(50.0 + steps),
        "strictly falling": ohlcv_from_close(400.0 - steps),
        "rising by one tick": ohlcv_from_close(np.round(10.0 + 0.1 * steps, 1), spread=0.0),
        "zero closes": ohlcv_from_close(np.where(steps % 17 < 3, 0.0, 20.0 + steps % 5)),
        "alternating": ohlcv_from_close(np.where(steps % 2 == 0, 10.0, 10.1)),
    }
    for length in (5, 14, 20, 27, 33, 251):  # fewer rows than a warm-up, and its edge
        cases[f"constant prices n={length}"] = ohlcv_from_close(np.full(length, 7.0))
        cases[f"rising n={length}"] = ohlcv_from_close(1.0 + np.arange(length, dtype=float))
    return cases


EDGE_SERIES = _edge_series()


@pytest.mark.parametrize("name", list(EDGE_SERIES))
def test_edge_series(name: str) -> None:
    assert_matches_talib(EDGE_SERIES[name], name)


def test_documented_edge_values() -> None:
    """Spot-check the edge rules docs/talib-conventions.md states."""
    o, h, lo, c, v = ohlcv_from_close(np.full(60, 55.5), spread=0.0, volume=0.0)
    out = compute_all(o, h, lo, c, v)
    for key in ("rsi_14", "adx_14", "plus_di_14", "cci_20", "willr_14", "stoch_k", "mfi_14"):
        defined = out[key][~np.isnan(out[key])]
        assert defined.size and np.all(defined == 0.0), key
    assert np.all(out["bb_upper_20"][19:] == out["bb_lower_20"][19:])
    assert out["obv"][0] == v[0]
    zero = compute_all(*ohlcv_from_close(np.array([0.0, 5.0, 0.0, 6.0] * 3)))
    assert zero["ret_1d"][1] == 0.0 and zero["roc_10"][10] == 0.0


# Series on which a separately rounded ``sar + af * (ep - sar)`` lands one ulp away from
# TA-Lib's fused result and flips a reversal (rows 4, 13 and 9 respectively).
SAR_FMA_CASES = [
    dict(seed=1022033, length=160, tick=0.1, base=1, max_step=3, wild=True, volume_kind="zero"),
    dict(
        seed=1002355, length=160, tick=1e-6, base=1000, max_step=3, wild=False, volume_kind="zero"
    ),
    dict(seed=2033465, length=160, tick=0.1, base=1, max_step=3, wild=True, volume_kind="zero"),
]


@pytest.mark.parametrize("case", SAR_FMA_CASES, ids=lambda case: str(case["seed"]))
def test_sar_reversals_need_fused_multiply_add(case: dict) -> None:
    assert_matches_talib(tick_bars(**case), f"tick_bars {case}")


def test_fused_multiply_add_rounds_once() -> None:
    # 0.1 * 10.0 rounds to exactly 1.0; the fused product keeps 0.1's representation error.
    assert fused_multiply_add(0.1, 10.0, -1.0) == 2.0**-54
    assert fused_multiply_add(0.02, 3.5 - 1.25, 1.25) == 0.02 * (3.5 - 1.25) + 1.25
    assert fused_multiply_add(2.0, 0.0, -0.0) == 0.0


# ------------------------------------------------------------------ property test


def tick_bars(
    seed: int, length: int, tick: float, base: int, max_step: int, wild: bool, volume_kind: str
) -> Ohlcv:
    """Prices on a coarse tick grid (many ties, flats, zeros), any magnitude.

    ``wild`` bars are unconstrained (high < low, close outside the range, ...).
    """
    rng = np.random.default_rng(seed)
    ticks = base + 40 + np.cumsum(rng.integers(-max_step, max_step + 1, length))
    close = np.maximum(ticks, 0) * tick
    if wild:
        open_, high, low = (rng.integers(0, 60, length) * tick + base * tick for _ in range(3))
    else:
        open_ = np.concatenate([close[:1], close[:-1]])
        high = np.maximum(open_, close) + rng.integers(0, 3, length) * tick
        low = np.maximum(np.minimum(open_, close) - rng.integers(0, 3, length) * tick, 0.0)
    if volume_kind == "zero":
        volume = np.zeros(length)
    elif volume_kind == "constant":
        volume = np.full(length, 1000.0)
    elif volume_kind == "random":
        volume = np.round(rng.lognormal(8, 2, length))
    else:
        volume = np.where(rng.random(length) < 0.3, np.round(rng.lognormal(8, 2, length)), 0.0)
    return tuple(np.asarray(a, dtype=np.float64) for a in (open_, high, low, close, volume))  # type: ignore[return-value]


@st.composite
def tick_ohlcv(draw: st.DrawFn) -> Ohlcv:
    return tick_bars(
        seed=draw(st.integers(min_value=0, max_value=2**32 - 1)),
        length=draw(st.integers(min_value=1, max_value=320)),
        tick=draw(st.sampled_from([1e-6, 1e-4, 0.01, 0.1, 1.0, 50.0])),
        base=draw(st.sampled_from([0, 1, 10, 1000, 10**7])),
        max_step=draw(st.integers(min_value=0, max_value=6)),
        wild=draw(st.booleans()),
        volume_kind=draw(st.sampled_from(["zero", "constant", "random", "sparse"])),
    )


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(tick_ohlcv())
def test_property_random_ohlcv(data: Ohlcv) -> None:
    assert_matches_talib(data, "hypothesis")
