"""Rolling highest / lowest value (TA-Lib MAX / MIN)."""

from __future__ import annotations

import numpy.typing as npt

from ._common import FloatArray, as_series, undefined


def rolling_max(values: npt.ArrayLike, period: int) -> FloatArray:
    """Highest value of the last ``period`` rows (current row included), TA-Lib
    ``MAX(values, period)``.

    Warm-up: first defined index ``period - 1``; NaN before. No rounding is involved:
    the output is always one of the inputs.

    State carried row to row: the last ``period`` values (or a monotonic deque).
    """
    x = as_series(values)
    out = undefined(len(x))
    for i in range(period - 1, len(x)):
        out[i] = x[i - period + 1 : i + 1].max()
    return out


def rolling_min(values: npt.ArrayLike, period: int) -> FloatArray:
    """Lowest value of the last ``period`` rows (current row included), TA-Lib
    ``MIN(values, period)``.

    Warm-up: first defined index ``period - 1``; NaN before.

    State carried row to row: the last ``period`` values (or a monotonic deque).
    """
    x = as_series(values)
    out = undefined(len(x))
    for i in range(period - 1, len(x)):
        out[i] = x[i - period + 1 : i + 1].min()
    return out
