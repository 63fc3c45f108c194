"""Momentum oscillators: RSI, ROC, ROCP, Williams %R, CCI, MFI and the slow stochastic."""

from __future__ import annotations

import numpy.typing as npt

from ._common import FloatArray, as_series, is_zero_scaled, undefined
from .extremes import rolling_max, rolling_min
from .moving_averages import sma


def rsi(close: npt.ArrayLike, period: int = 14) -> FloatArray:
    """Relative Strength Index with Wilder smoothing, TA-Lib ``RSI(close, period)``.

    Per row ``i >= 1``: ``change = close[i] - close[i-1]``; ``gain = change`` if
    ``change > 0`` else 0; ``loss = -change`` if ``change < 0`` else 0.

    Seeding: ``avg_gain`` / ``avg_loss`` on row ``period`` are the sums of the gains /
    losses of rows ``1 .. period`` times ``1 / period`` (row 0 has no change).

    Recursion (Wilder): ``avg = (avg * (period - 1) + today) * (1 / period)`` for both
    (TA-Lib multiplies by a precomputed ``1 / period`` rather than dividing).

    Output: ``100 * avg_gain / (avg_gain + avg_loss)`` when that total is ``> 0``
    (an exact test, no epsilon band); otherwise (no movement at all, e.g. constant
    prices) the output is **0**, not 50.

    Warm-up: first defined index ``period`` (14); NaN before.

    State carried row to row: rows seen, previous close, avg_gain, avg_loss (plain
    running sums while seeding).
    """
    x = as_series(close)
    out = undefined(len(x))
    if len(x) <= period:
        return out

    def value(avg_gain: float, avg_loss: float) -> float:
        total = avg_gain + avg_loss
        return 100.0 * (avg_gain / total) if total > 0.0 else 0.0

    gain_sum = 0.0
    loss_sum = 0.0
    for i in range(1, period + 1):
        change = x[i] - x[i - 1]
        if change < 0.0:
            loss_sum -= change
        else:
            gain_sum += change
    inv_period = 1.0 / period
    avg_gain = gain_sum * inv_period
    avg_loss = loss_sum * inv_period
    out[period] = value(avg_gain, avg_loss)
    for i in range(period + 1, len(x)):
        change = x[i] - x[i - 1]
        gain = change if change > 0.0 else 0.0
        loss = -change if change < 0.0 else 0.0
        avg_gain = (avg_gain * (period - 1) + gain) * inv_period
        avg_loss = (avg_loss * (period - 1) + loss) * inv_period
        out[i] = value(avg_gain, avg_loss)
    return out


def roc(close: npt.ArrayLike, period: int = 10) -> FloatArray:
    """Rate of change in percent, TA-Lib ``ROC(close, period)``.

    ``out[i] = (close[i] / close[i-period] - 1) * 100``; when ``close[i-period]`` is
    exactly 0 the output is 0 (not inf/NaN).

    Warm-up: first defined index ``period``; NaN before.
    """
    x = as_series(close)
    out = undefined(len(x))
    for i in range(period, len(x)):
        base = x[i - period]
        out[i] = (x[i] / base - 1.0) * 100.0 if base != 0.0 else 0.0
    return out


def rocp(close: npt.ArrayLike, period: int = 1) -> FloatArray:
    """Rate of change as a fraction, TA-Lib ``ROCP(close, period)``.

    ``out[i] = (close[i] - close[i-period]) / close[i-period]``; when
    ``close[i-period]`` is exactly 0 the output is 0.

    Warm-up: first defined index ``period``; NaN before.
    """
    x = as_series(close)
    out = undefined(len(x))
    for i in range(period, len(x)):
        base = x[i - period]
        out[i] = (x[i] - base) / base if base != 0.0 else 0.0
    return out


def willr(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14
) -> FloatArray:
    """Williams %R, TA-Lib ``WILLR(high, low, close, period)``.

    With ``hh`` / ``ll`` the highest high / lowest low of the last ``period`` rows
    (current row included): ``out = ((hh - close) / (hh - ll)) * -100``.

    Clamp: the result is clamped into [-100, 0]. This matters when the close lies
    outside the window's [ll, hh] range (DSE's computed CLOSEP can): a close below the
    lowest low gives -100, above the highest high gives 0. (The stochastic is NOT
    clamped; see :func:`stoch`.)

    Flat window: when ``|hh - ll| <= 1e-14 * (|hh| + |ll|)`` the output is 0.

    Warm-up: first defined index ``period - 1`` (13); NaN before.

    State carried row to row: the last ``period`` highs and lows.
    """
    h, lo, c = as_series(high), as_series(low), as_series(close)
    hh = rolling_max(h, period)
    ll = rolling_min(lo, period)
    out = undefined(len(c))
    for i in range(period - 1, len(c)):
        if is_zero_scaled(hh[i] - ll[i], abs(hh[i]) + abs(ll[i])):
            out[i] = 0.0
        else:
            value = ((hh[i] - c[i]) / (hh[i] - ll[i])) * -100.0
            out[i] = min(max(value, -100.0), 0.0)
    return out


def stoch(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    fastk_period: int = 14,
    slowk_period: int = 3,
    slowd_period: int = 3,
) -> tuple[FloatArray, FloatArray]:
    """Slow stochastic %K and %D, TA-Lib ``STOCH(h, l, c, 14, 3, SMA, 3, SMA)``.

    Fast %K on row ``i >= fastk_period - 1``: ``((close - ll) / (hh - ll)) * 100``
    with ``hh`` / ``ll`` the highest high / lowest low of the last ``fastk_period``
    rows; when ``|hh - ll| <= 1e-14 * (|hh| + |ll|)`` fast %K is 0. Fast %K is not
    clamped: a close outside [ll, hh] gives a value below 0 or above 100.

    Slow %K = ``SMA(fast %K, slowk_period)``; slow %D = ``SMA(slow %K, slowd_period)``
    (running-sum SMAs, see :func:`sma`, started at the first defined input).

    Warm-up: both outputs start at index
    ``fastk_period - 1 + slowk_period - 1 + slowd_period - 1`` (17 for 14/3/3). Slow %K
    is computable two rows earlier, but TA-Lib reports both lines from the same row.

    State carried row to row: the last ``fastk_period`` highs/lows, the last
    ``slowk_period`` fast %K values and their running sum, the last ``slowd_period``
    slow %K values and their running sum.
    """
    h, lo, c = as_series(high), as_series(low), as_series(close)
    n = len(c)
    out_k, out_d = undefined(n), undefined(n)
    first_k = fastk_period - 1
    first_output = first_k + (slowk_period - 1) + (slowd_period - 1)
    if n <= first_output:
        return out_k, out_d
    hh = rolling_max(h, fastk_period)
    ll = rolling_min(lo, fastk_period)
    fast_k = undefined(n)
    for i in range(first_k, n):
        if is_zero_scaled(hh[i] - ll[i], abs(hh[i]) + abs(ll[i])):
            fast_k[i] = 0.0
        else:
            fast_k[i] = ((c[i] - ll[i]) / (hh[i] - ll[i])) * 100.0
    slow_k = undefined(n)
    slow_k[first_k:] = sma(fast_k[first_k:], slowk_period)
    first_slow_k = first_k + slowk_period - 1
    slow_d = undefined(n)
    slow_d[first_slow_k:] = sma(slow_k[first_slow_k:], slowd_period)
    out_k[first_output:] = slow_k[first_output:]
    out_d[first_output:] = slow_d[first_output:]
    return out_k, out_d


def cci(
    high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 20
) -> FloatArray:
    """Commodity Channel Index, TA-Lib ``CCI(high, low, close, period)``.

    Typical price ``tp = (high + low + close) / 3``. Over the last ``period`` rows:
    ``mean = sum(tp) / period``, ``mean_dev = sum(|tp - mean|) / period``;
    ``out = (tp[i] - mean) / (0.015 * mean_dev)``.

    Flat window: the output is 0 when ``|tp[i] - mean| <= 1e-14 * |mean|`` or
    ``mean_dev <= 1e-14 * |mean|``.

    Summation order: TA-Lib keeps the window in a ring buffer and sums it slot by
    slot, i.e. rows ordered by ``row_index % period`` (not chronologically). This
    function does the same so the mean is bit-identical; a chronological sum differs
    by an ulp of the mean, which only matters when ``tp - mean`` is itself tiny.

    Warm-up: first defined index ``period - 1`` (19); NaN before.

    State carried row to row: the last ``period`` typical prices.
    """
    h, lo, c = as_series(high), as_series(low), as_series(close)
    n = len(c)
    out = undefined(n)
    if n < period:
        return out
    tp = (h + lo + c) / 3.0
    for i in range(period - 1, n):
        # Ring-buffer order: slot j holds the window row whose index is j modulo period.
        window = sorted(range(i - period + 1, i + 1), key=lambda row: row % period)
        total = 0.0
        for row in window:
            total += tp[row]
        mean = total / period
        dev_total = 0.0
        for row in window:
            dev_total += abs(tp[row] - mean)
        mean_dev = dev_total / period
        distance = tp[i] - mean
        scale = abs(mean)
        if is_zero_scaled(distance, scale) or is_zero_scaled(mean_dev, scale):
            out[i] = 0.0
        else:
            out[i] = distance / (0.015 * mean_dev)
    return out


def mfi(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
    period: int = 14,
) -> FloatArray:
    """Money Flow Index, TA-Lib ``MFI(high, low, close, volume, period)``.

    Typical price ``tp = (high + low + close) / 3``. For each row ``i >= 1``:

    * ``move = tp[i] - tp[i-1]``;
    * money flow ``mf = tp[i] * volume[i]``, but 0 when the typical price did not move,
      i.e. ``|move| <= 1e-14 * (|tp[i]| + |tp[i-1]|)``;
    * the flow is positive when ``move >= 0`` and negative when ``move < 0``.

    ``pos`` / ``neg`` are the sums of positive / negative flows of the last ``period``
    rows, kept as running sums (add the new row, later subtract the row leaving the
    window). Because running sums keep rounding residue, TA-Lib resets both sums to
    exactly 0 once ``period`` consecutive rows had a zero flow.

    Output: ``total = pos + neg``; 0 when ``total <= 0``, else
    ``100 * clamp(pos, 0, total) / total``.

    Warm-up: first defined index ``period`` (14); NaN before.

    State carried row to row: previous tp, the last ``period`` (pos, neg) flows, the
    two running sums, and the count of consecutive zero-flow rows (capped at ``period``).
    """
    h, lo, c, v = as_series(high), as_series(low), as_series(close), as_series(volume)
    n = len(c)
    out = undefined(n)
    if n <= period:
        return out
    pos_flows = [0.0] * n
    neg_flows = [0.0] * n
    pos_sum = 0.0
    neg_sum = 0.0
    zero_run = 0
    prev_tp = (h[0] + lo[0] + c[0]) / 3.0
    for i in range(1, n):
        if i > period:
            pos_sum -= pos_flows[i - period]
            neg_sum -= neg_flows[i - period]
        tp = (h[i] + lo[i] + c[i]) / 3.0
        move = tp - prev_tp
        flow = 0.0 if is_zero_scaled(move, abs(tp) + abs(prev_tp)) else tp * v[i]
        prev_tp = tp
        if move < 0.0:
            neg_flows[i] = flow
        else:
            pos_flows[i] = flow
        pos_sum += pos_flows[i]
        neg_sum += neg_flows[i]
        zero_run = zero_run + 1 if flow == 0.0 else 0
        if zero_run >= period:
            zero_run = period
            pos_sum = 0.0
            neg_sum = 0.0
        if i >= period:
            total = pos_sum + neg_sum
            if total <= 0.0:
                out[i] = 0.0
            else:
                clamped = min(max(pos_sum, 0.0), total)
                out[i] = 100.0 * (clamped / total)
    return out
