"""Simple and exponential moving averages (TA-Lib SMA / EMA)."""

from __future__ import annotations

import numpy.typing as npt

from ._common import FloatArray, as_series, fused_multiply_add, undefined


def sma(values: npt.ArrayLike, period: int) -> FloatArray:
    """Simple moving average, TA-Lib ``SMA(values, period)``.

    Definition: ``out[i] = (values[i-period+1] + ... + values[i]) / period``.

    Warm-up: first defined index ``period - 1``; NaN before.

    Summation: like TA-Lib, one running total is carried along the series. It starts
    at 0.0, the first ``period - 1`` values are added in order, then for each row the
    row's value is added, the output is ``total / period``, and the value leaving the
    window is subtracted. Mirroring that order keeps the result bit-identical to
    TA-Lib; a freshly summed window differs only by rounding (~1e-15 relative).

    State carried row to row: the running total and the last ``period`` values.
    """
    x = as_series(values)
    out = undefined(len(x))
    if len(x) < period:
        return out
    total = 0.0
    for i in range(period - 1):
        total += x[i]
    for i in range(period - 1, len(x)):
        total += x[i]
        out[i] = total / period
        total -= x[i - period + 1]
    return out


def ema(values: npt.ArrayLike, period: int) -> FloatArray:
    """Exponential moving average, TA-Lib ``EMA(values, period)`` (default compatibility).

    Smoothing factor ``k = 2 / (period + 1)``.

    Seeding: the first value, at index ``period - 1``, is the simple average of the
    first ``period`` values (summed in order from 0.0, then divided by ``period``).

    Recursion for every later row: ``ema = (value - ema) * k + ema``, evaluated as one
    fused multiply-add like TA-Lib (see :func:`fused_multiply_add`).

    Warm-up: first defined index ``period - 1``; NaN before.

    State carried row to row: rows seen, the running sum while seeding, the previous EMA.
    """
    x = as_series(values)
    out = undefined(len(x))
    if len(x) < period:
        return out
    k = 2.0 / (period + 1)
    total = 0.0
    for i in range(period):
        total += x[i]
    prev = total / period
    out[period - 1] = prev
    for i in range(period, len(x)):
        prev = fused_multiply_add(x[i] - prev, k, prev)
        out[i] = prev
    return out
