"""Reference (numpy) implementation of every indicator, proven equal to TA-Lib.

This package is the executable specification the SQL models mirror. Each function takes
one scrip's rows in date order as 1-D float64 arrays and returns float64 arrays of the
same length, NaN where the value is undefined (warm-up). ``docs/talib-conventions.md``
describes every definition, seed, warm-up and edge rule.
"""

from __future__ import annotations

import numpy.typing as npt

from dse_indicators import catalogue

from ._common import FloatArray, as_series
from .directional import adx, minus_di, plus_di
from .extremes import rolling_max, rolling_min
from .macd import macd
from .momentum import cci, mfi, roc, rocp, rsi, stoch, willr
from .moving_averages import ema, sma
from .sar import sar
from .volatility import atr, bbands, return_volatility, rolling_variance, stddev
from .volume import obv, volume_sma

# The keys in the catalogue's order (seeds/indicator_catalogue.csv, their one home): the
# contract's TA-Lib keys, each computed below.
KEYS: tuple[str, ...] = catalogue.keys("talib")


def compute_all(
    open: npt.ArrayLike,
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
) -> dict[str, FloatArray]:
    """Every indicator in :data:`KEYS` for one scrip (rows in date order).

    ``open`` is accepted for a uniform OHLCV signature; no indicator uses it.
    """
    o, h, lo, c, v = (as_series(a) for a in (open, high, low, close, volume))
    if not len(o) == len(h) == len(lo) == len(c) == len(v):
        raise ValueError("open, high, low, close and volume must have the same length")

    out: dict[str, FloatArray] = {}
    for period in (5, 10, 20, 50, 200):
        out[f"sma_{period}"] = sma(c, period)
    for period in (12, 26, 50, 200):
        out[f"ema_{period}"] = ema(c, period)
    out["macd"], out["macd_signal"], out["macd_hist"] = macd(c, 12, 26, 9)
    out["rsi_14"] = rsi(c, 14)
    out["bb_upper_20"], out["bb_middle_20"], out["bb_lower_20"] = bbands(c, 20, 2.0, 2.0)
    out["atr_14"] = atr(h, lo, c, 14)
    out["adx_14"] = adx(h, lo, c, 14)
    out["plus_di_14"] = plus_di(h, lo, c, 14)
    out["minus_di_14"] = minus_di(h, lo, c, 14)
    out["stoch_k"], out["stoch_d"] = stoch(h, lo, c, 14, 3, 3)
    out["cci_20"] = cci(h, lo, c, 20)
    out["willr_14"] = willr(h, lo, c, 14)
    out["mfi_14"] = mfi(h, lo, c, v, 14)
    out["obv"] = obv(c, v)
    out["roc_10"] = roc(c, 10)
    out["sar"] = sar(h, lo, 0.02, 0.2)
    out["ret_1d"] = rocp(c, 1)
    out["volatility_20"] = return_volatility(c, 20)
    out["high_252"] = rolling_max(h, 252)
    out["low_252"] = rolling_min(lo, 252)
    out["volume_sma_20"] = volume_sma(v, 20)
    return {key: out[key] for key in KEYS}


__all__ = [
    "KEYS",
    "adx",
    "atr",
    "bbands",
    "cci",
    "compute_all",
    "ema",
    "macd",
    "mfi",
    "minus_di",
    "obv",
    "plus_di",
    "return_volatility",
    "roc",
    "rocp",
    "rolling_max",
    "rolling_min",
    "rolling_variance",
    "rsi",
    "sar",
    "sma",
    "stddev",
    "stoch",
    "volume_sma",
    "willr",
]
