"""Shared helpers and constants for the reference indicators.

Every indicator takes 1-D float64 arrays holding one scrip's rows in date order and
returns a float64 array of the same length, NaN where the value is undefined (warm-up).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: TA-Lib's "near zero" band (``TA_EPSILON`` in TA-Lib 0.8.x).
EPSILON = 1e-14


def as_series(values: npt.ArrayLike) -> FloatArray:
    """Return ``values`` as a 1-D float64 array (no copy when already float64)."""
    series = np.asarray(values, dtype=np.float64)
    if series.ndim != 1:
        raise ValueError(f"expected a 1-D series, got shape {series.shape}")
    return series


def undefined(length: int) -> FloatArray:
    """An all-NaN output of ``length`` rows."""
    return np.full(length, np.nan, dtype=np.float64)


def is_zero(value: float) -> bool:
    """TA-Lib's fixed band: ``-1e-14 < value < 1e-14``.

    Only used for dimensionless quantities (the DI sum inside ADX).
    """
    return -EPSILON < value < EPSILON


def is_zero_scaled(value: float, scale: float) -> bool:
    """TA-Lib's scale-aware zero test: ``|value| <= 1e-14 * scale``.

    ``value`` is a difference of prices and ``scale`` the sum of the magnitudes of the
    prices it came from, so the test asks "are these prices equal to within a few tens
    of ulp?" whatever the price level is.
    """
    return abs(value) <= EPSILON * scale


def true_range(high: float, low: float, prev_close: float) -> float:
    """Wilder's true range of one bar: the largest of ``high - low``,
    ``|prev_close - high|`` and ``|prev_close - low|`` (compared in that order)."""
    greatest = high - low
    to_high = abs(prev_close - high)
    if to_high > greatest:
        greatest = to_high
    to_low = abs(prev_close - low)
    if to_low > greatest:
        greatest = to_low
    return greatest


def fused_multiply_add(a: float, b: float, c: float) -> float:
    """``a * b + c`` rounded once, like C's ``fma()``.

    TA-Lib 0.8 evaluates several recursions (EMA, MACD, ATR, SAR) with a fused
    multiply-add. Rounding the product separately changes the last bit now and then;
    harmless for a value, but SAR compares its result with prices, so one ulp can flip
    a reversal. The exact rational sum below is correctly rounded to float64 (Python's
    int / int division rounds correctly).
    """
    if not (math.isfinite(a) and math.isfinite(b) and math.isfinite(c)):
        return a * b + c
    a_num, a_den = a.as_integer_ratio()
    b_num, b_den = b.as_integer_ratio()
    c_num, c_den = c.as_integer_ratio()
    numerator = a_num * b_num * c_den + c_num * a_den * b_den
    if numerator == 0:
        return a * b + c  # keeps IEEE's sign of zero
    return numerator / (a_den * b_den * c_den)
