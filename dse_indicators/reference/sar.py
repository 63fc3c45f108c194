"""Wilder's Parabolic SAR (TA-Lib SAR)."""

from __future__ import annotations

import numpy.typing as npt

from ._common import FloatArray, as_series, fused_multiply_add, undefined


def sar(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    acceleration: float = 0.02,
    maximum: float = 0.2,
) -> FloatArray:
    """Parabolic Stop-And-Reverse, TA-Lib ``SAR(high, low, acceleration, maximum)``.

    Start-up (rows 0 and 1):

    * direction: from the one-bar -DM between rows 0 and 1. With
      ``up = high[1] - high[0]`` and ``down = low[0] - low[1]``, the trade starts
      SHORT when ``down > 0`` and ``down > up``, otherwise LONG (ties are long);
    * long: ``sar = low[0]``, ``ep = high[1]``; short: ``sar = high[0]``,
      ``ep = low[1]``; ``af = acceleration``;
    * for row 1 the "previous bar" is row 1 itself (TA-Lib seeds the previous high/low
      with row 1's), so the row-0 bar only provides the initial SAR.

    Each row ``i >= 1`` (``prev_high/prev_low`` are row ``i-1``'s, except on row 1):

    * LONG and ``low[i] <= sar`` (penetration, inclusive): switch to short. The SAR
      becomes ``ep``, raised to at least ``max(prev_high, high[i])``; that is the
      output. Then ``af = acceleration``, ``ep = low[i]``, and the next SAR is
      ``sar + af * (ep - sar)``, again raised to at least ``max(prev_high, high[i])``.
    * LONG, no penetration: output the current SAR. If ``high[i] > ep``: ``ep = high[i]``
      and ``af = min(af + acceleration, maximum)``. Next SAR is ``sar + af * (ep - sar)``
      lowered to at most ``min(prev_low, low[i])``.
    * SHORT mirrors both cases: penetration is ``high[i] >= sar``; the override SAR is
      ``ep`` lowered to at most ``min(prev_low, low[i])``, then ``ep = high[i]``; without
      penetration ``ep`` follows new lows and the next SAR is raised to at least
      ``max(prev_high, high[i])``.

    So the value output on a row was computed on the previous row, except on a reversal
    row where it is the (clamped) extreme point.

    Arithmetic: ``sar + af * (ep - sar)`` is one fused multiply-add in TA-Lib 0.8. A
    separately rounded product is one ulp off now and then, which is enough to flip a
    ``low <= sar`` / ``high >= sar`` penetration test and change the rest of the series.

    Warm-up: first defined index 1; NaN on row 0 (and everywhere for a single row).

    State carried row to row: direction, sar (next value), ep, af, previous high and low.
    """
    h, lo = as_series(high), as_series(low)
    n = len(h)
    out = undefined(n)
    if n < 2:
        return out
    if acceleration > maximum:
        acceleration = maximum
    af = acceleration

    up = h[1] - h[0]
    down = lo[0] - lo[1]
    is_long = not (down > 0.0 and down > up)
    if is_long:
        ep, value = h[1], lo[0]
    else:
        ep, value = lo[1], h[0]

    new_high, new_low = h[1], lo[1]
    for i in range(1, n):
        prev_high, prev_low = new_high, new_low
        new_high, new_low = h[i], lo[i]
        if is_long:
            if new_low <= value:
                is_long = False
                value = max(ep, prev_high, new_high)
                out[i] = value
                af = acceleration
                ep = new_low
                value = fused_multiply_add(af, ep - value, value)
                value = max(value, prev_high, new_high)
            else:
                out[i] = value
                if new_high > ep:
                    ep = new_high
                    af = min(af + acceleration, maximum)
                value = fused_multiply_add(af, ep - value, value)
                value = min(value, prev_low, new_low)
        elif new_high >= value:
            is_long = True
            value = min(ep, prev_low, new_low)
            out[i] = value
            af = acceleration
            ep = new_high
            value = fused_multiply_add(af, ep - value, value)
            value = min(value, prev_low, new_low)
        else:
            out[i] = value
            if new_low < ep:
                ep = new_low
                af = min(af + acceleration, maximum)
            value = fused_multiply_add(af, ep - value, value)
            value = max(value, prev_high, new_high)
    return out
