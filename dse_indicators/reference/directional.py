"""Wilder's directional movement system: +DI, -DI and ADX."""

from __future__ import annotations

from dataclasses import dataclass

import numpy.typing as npt

from ._common import FloatArray, as_series, is_zero, true_range, undefined


@dataclass(frozen=True)
class _Movement:
    """One-bar directional movement and true range of every row ``i >= 1``."""

    plus_dm: list[float]
    minus_dm: list[float]
    tr: list[float]


def _movement(high: FloatArray, low: FloatArray, close: FloatArray) -> _Movement:
    """+DM1, -DM1 and TR1 per row (row 0 has none and holds 0).

    ``up = high[i] - high[i-1]``, ``down = low[i-1] - low[i]``;
    ``+DM1 = up`` if ``up > down`` and ``up > 0`` else 0;
    ``-DM1 = down`` if ``down > up`` and ``down > 0`` else 0 (a tie gives 0 to both).
    """
    n = len(close)
    plus_dm, minus_dm, tr = [0.0] * n, [0.0] * n, [0.0] * n
    for i in range(1, n):
        up = high[i] - high[i - 1]
        down = low[i - 1] - low[i]
        if up > down and up > 0.0:
            plus_dm[i] = up
        if down > up and down > 0.0:
            minus_dm[i] = down
        tr[i] = true_range(high[i], low[i], close[i - 1])
    return _Movement(plus_dm, minus_dm, tr)


def _wilder_step(previous: float, today: float, period: int) -> float:
    """Wilder's running-sum smoothing: ``previous - previous / period + today``."""
    return previous - previous / period + today


def _directional_index(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int, plus: bool
) -> FloatArray:
    h, lo, c = as_series(high), as_series(low), as_series(close)
    n = len(c)
    out = undefined(n)
    if n <= period:
        return out
    move = _movement(h, lo, c)
    dm1 = move.plus_dm if plus else move.minus_dm
    dm = 0.0
    tr = 0.0
    for i in range(1, period):
        dm += dm1[i]
        tr += move.tr[i]
    for i in range(period, n):
        dm = _wilder_step(dm, dm1[i], period)
        tr = _wilder_step(tr, move.tr[i], period)
        out[i] = 100.0 * (dm / tr) if tr > 0.0 else 0.0
    return out


def plus_di(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """Plus Directional Indicator, TA-Lib ``PLUS_DI(high, low, close, period)``.

    Smoothed sums (Wilder, running-sum form): ``+DM`` and ``TR`` start as the plain sums
    of the one-bar values of rows ``1 .. period - 1`` (only ``period - 1`` rows!), then
    every row ``i >= period`` applies ``s = s - s / period + today`` to both; so the
    first output, on row ``period``, uses sums that have been smoothed once.

    Output: ``100 * +DM / TR`` when ``TR > 0`` (exact test), else 0.

    Warm-up: first defined index ``period`` (14); NaN before.

    State carried row to row: rows seen, previous high/low/close, smoothed +DM and TR.
    """
    return _directional_index(high, low, close, period, plus=True)


def minus_di(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """Minus Directional Indicator, TA-Lib ``MINUS_DI(high, low, close, period)``.

    Same as :func:`plus_di` with ``-DM1`` in place of ``+DM1``.

    Warm-up: first defined index ``period`` (14); NaN before.
    """
    return _directional_index(high, low, close, period, plus=False)


def adx(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """Average Directional Index, TA-Lib ``ADX(high, low, close, period)``.

    First smoothing: ``+DM``, ``-DM`` and ``TR`` exactly as in :func:`plus_di`.

    ``DX`` of a row, defined only when ``TR > 0`` and the DI sum is not near zero
    (``|+DI + -DI| >= 1e-14``): ``+DI = 100 * +DM / TR``, ``-DI = 100 * -DM / TR``,
    ``DX = 100 * |-DI - +DI| / (-DI + +DI)``.

    Second smoothing: on row ``2 * period - 1`` the ADX is the sum of the DX of rows
    ``period .. 2 * period - 1`` divided by ``period`` (an undefined DX adds 0 but still
    counts in the divisor). After that ``adx = (adx * (period - 1) + DX) / period`` on
    rows whose DX is defined; on rows whose DX is undefined the ADX is carried over
    unchanged.

    Warm-up: first defined index ``2 * period - 1`` (27); NaN before.

    State carried row to row: rows seen, previous high/low/close, smoothed +DM, -DM and
    TR, the DX sum while seeding, previous ADX.
    """
    h, lo, c = as_series(high), as_series(low), as_series(close)
    n = len(c)
    out = undefined(n)
    first_output = 2 * period - 1
    if n <= first_output:
        return out
    move = _movement(h, lo, c)
    plus_dm = minus_dm = tr = 0.0
    for i in range(1, period):
        plus_dm += move.plus_dm[i]
        minus_dm += move.minus_dm[i]
        tr += move.tr[i]

    def dx_of(plus_dm: float, minus_dm: float, tr: float) -> float | None:
        if not tr > 0.0:
            return None
        minus = 100.0 * (minus_dm / tr)
        plus = 100.0 * (plus_dm / tr)
        total = minus + plus
        if is_zero(total):
            return None
        return 100.0 * (abs(minus - plus) / total)

    dx_sum = 0.0
    value = 0.0
    for i in range(period, n):
        plus_dm = _wilder_step(plus_dm, move.plus_dm[i], period)
        minus_dm = _wilder_step(minus_dm, move.minus_dm[i], period)
        tr = _wilder_step(tr, move.tr[i], period)
        dx = dx_of(plus_dm, minus_dm, tr)
        if i < first_output:
            dx_sum += 0.0 if dx is None else dx
            continue
        if i == first_output:
            dx_sum += 0.0 if dx is None else dx
            value = dx_sum / period
        elif dx is not None:
            value = (value * (period - 1) + dx) / period
        out[i] = value
    return out
