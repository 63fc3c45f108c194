"""Volatility indicators: ATR, standard deviation, Bollinger Bands, return volatility."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ._common import FloatArray, as_series, fused_multiply_add, true_range, undefined
from .momentum import rocp
from .moving_averages import sma


def atr(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """Average True Range with Wilder smoothing, TA-Lib ``ATR(high, low, close, period)``.

    True range of row ``i >= 1``: ``max(high - low, |close[i-1] - high|,
    |close[i-1] - low|)`` (row 0 has no true range).

    Seeding: on row ``period`` the ATR is the plain average of the true ranges of rows
    ``1 .. period``.

    Recursion (Wilder): ``atr = (atr * (period - 1) + tr) / period``, which TA-Lib
    evaluates as ``beta * atr + alpha * tr`` with ``beta = (period - 1) / period`` and
    ``alpha = 1 - beta``, fusing the ``beta * atr`` product into the addition.

    Warm-up: first defined index ``period`` (14); NaN before.

    State carried row to row: rows seen, previous close, running TR sum while seeding,
    previous ATR.
    """
    h, lo, c = as_series(high), as_series(low), as_series(close)
    n = len(c)
    out = undefined(n)
    if n <= period:
        return out
    total = 0.0
    for i in range(1, period + 1):
        total += true_range(h[i], lo[i], c[i - 1])
    prev = total / period
    out[period] = prev
    beta = (period - 1) / period
    alpha = 1.0 - beta
    for i in range(period + 1, n):
        prev = fused_multiply_add(beta, prev, alpha * true_range(h[i], lo[i], c[i - 1]))
        out[i] = prev
    return out


def rolling_variance(values: npt.ArrayLike, period: int) -> FloatArray:
    """Population variance of the last ``period`` values, TA-Lib ``VAR(values, period)``.

    Definition: ``variance = sum((w - mean)^2) / period`` over the window ``w``
    (divide by ``period``, not ``period - 1``).

    TA-Lib computes it from two running sums of deviations from a *shift* (an anchor
    near the data), ``s1 = sum(w - shift)`` and ``s2 = sum((w - shift)^2)``:
    ``variance = s2/period - (s1/period)^2``. Its rounding error is TA-Lib's own
    (up to a few 1e-9 of the variance on real DSE data), so the steps are mirrored
    exactly here to stay bit-identical:

    * the first shift is the first value of the first window; rows enter with
      ``s1 += d, s2 += d*d`` (``d = value - shift``) and, once the row's variance has
      been taken, the row leaving the window is removed the same way;
    * after each row the shift is re-anchored ("reseed") when the variance just
      computed is below ``1e-6 x s2/period`` (``s2`` after removing the leaving row),
      or the leaving row's squared deviation exceeds ``1e6 x s2``, or ``32 x period``
      rows have passed since the last reseed. A reseed sets the shift to the window
      mean (summed in order, times ``1/period``), rebuilds ``s1``/``s2`` from the
      window, recomputes the variance from them (that value is the row's output),
      floors it to 0 when it is below ``1e-12 x s2/period``, and finally removes the
      window's first row from the rebuilt sums.

    A window of identical values always gives exactly 0.

    Warm-up: first defined index ``period - 1``; NaN before.

    State carried row to row: the last ``period`` values, the shift, ``s1``, ``s2`` and
    the rows left until the forced reseed.
    """
    x = as_series(values)
    n = len(x)
    out = undefined(n)
    if n < period:
        return out
    inv_period = 1.0 / period
    lookback = period - 1
    shift = x[0]
    s1 = 0.0
    s2 = 0.0
    for j in range(lookback):
        d = x[j] - shift
        s1 += d
        s2 += d * d
    rows_until_reseed = 32 * period
    for i in range(lookback, n):
        d = x[i] - shift
        s1 += d
        s2 += d * d
        mean_dev = s1 * inv_period
        variance = s2 * inv_period - mean_dev * mean_dev

        first = i - lookback  # the window's oldest row, leaving after this one
        d = x[first] - shift
        s1 -= d
        leaving_square = d * d
        s2 -= leaving_square

        rows_until_reseed -= 1
        if (
            variance < 1e-6 * (s2 * inv_period)
            or leaving_square > 1e6 * s2
            or rows_until_reseed <= 0
        ):
            rows_until_reseed = 32 * period
            total = 0.0
            for j in range(first, i + 1):
                total += x[j]
            shift = total * inv_period
            s1 = 0.0
            s2 = 0.0
            for j in range(first, i + 1):
                d = x[j] - shift
                s1 += d
                s2 += d * d
            mean_dev = s1 * inv_period
            variance = s2 * inv_period - mean_dev * mean_dev
            if variance < 1e-12 * (s2 * inv_period):
                variance = 0.0
            d = x[first] - shift
            s1 -= d
            s2 -= d * d
        out[i] = variance
    return out


def stddev(values: npt.ArrayLike, period: int, nbdev: float = 1.0) -> FloatArray:
    """Population standard deviation of the last ``period`` values, times ``nbdev``,
    TA-Lib ``STDDEV(values, period, nbdev)``: ``sqrt(VAR(values, period)) * nbdev``
    with the variance of :func:`rolling_variance` (no threshold: TA-Lib 0.8.1 takes
    the square root unconditionally; the variance is never negative).

    Warm-up: first defined index ``period - 1``; NaN before.
    """
    variance = rolling_variance(values, period)
    return np.sqrt(variance) * nbdev


def bbands(
    close: npt.ArrayLike, period: int = 20, nbdev_up: float = 2.0, nbdev_down: float = 2.0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Bollinger Bands with an SMA middle band, TA-Lib
    ``BBANDS(close, period, nbdev_up, nbdev_down, matype=SMA)``.

    ``middle = SMA(close, period)`` (running sum, see :func:`sma`);
    ``sd = STDDEV(close, period, 1)`` (population, see :func:`rolling_variance`);
    ``upper = middle + nbdev_up * sd``; ``lower = middle - nbdev_down * sd``.
    A window of identical closes gives ``sd = 0`` so all three bands coincide.

    Warm-up: first defined index ``period - 1`` (19); NaN before.

    Returns ``(upper, middle, lower)``.
    """
    x = as_series(close)
    middle = sma(x, period)
    deviation = stddev(x, period)
    return middle + deviation * nbdev_up, middle, middle - deviation * nbdev_down


def return_volatility(close: npt.ArrayLike, period: int = 20) -> FloatArray:
    """Volatility of daily returns, TA-Lib ``STDDEV(ROCP(close, 1), period, 1)``.

    ``ROCP(close, 1)`` is NaN on row 0; TA-Lib's Python wrapper skips leading NaNs, so
    the standard deviation runs over rows ``1 ..`` and the first defined index is
    ``period`` (20), not ``period - 1``.
    """
    returns = rocp(close, 1)
    out = undefined(len(returns))
    out[1:] = stddev(returns[1:], period)
    return out
