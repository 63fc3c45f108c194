"""Volume indicators: On-Balance Volume and the volume moving average."""

from __future__ import annotations

import numpy.typing as npt

from ._common import FloatArray, as_series, undefined
from .moving_averages import sma


def obv(close: npt.ArrayLike, volume: npt.ArrayLike) -> FloatArray:
    """On-Balance Volume, TA-Lib ``OBV(close, volume)``.

    ``obv[0] = volume[0]`` (the first row's volume, not 0). For ``i >= 1``:
    ``obv[i] = obv[i-1] + volume[i]`` if ``close[i] > close[i-1]``,
    ``obv[i-1] - volume[i]`` if ``close[i] < close[i-1]``, else ``obv[i-1]``.

    Warm-up: none, defined from index 0.

    State carried row to row: previous close, previous OBV.
    """
    c, v = as_series(close), as_series(volume)
    out = undefined(len(c))
    if len(c) == 0:
        return out
    total = v[0]
    out[0] = total
    for i in range(1, len(c)):
        if c[i] > c[i - 1]:
            total += v[i]
        elif c[i] < c[i - 1]:
            total -= v[i]
        out[i] = total
    return out


def volume_sma(volume: npt.ArrayLike, period: int = 20) -> FloatArray:
    """Simple moving average of volume, TA-Lib ``SMA(volume, period)``; see :func:`sma`.

    Warm-up: first defined index ``period - 1`` (19); NaN before.
    """
    return sma(volume, period)
