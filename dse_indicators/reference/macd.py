"""Moving Average Convergence/Divergence (TA-Lib MACD)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ._common import FloatArray, as_series, fused_multiply_add, undefined


def macd(
    close: npt.ArrayLike, fast: int = 12, slow: int = 26, signal: int = 9
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """MACD line, signal line and histogram, TA-Lib ``MACD(close, fast, slow, signal)``.

    Definition: ``macd = EMA_fast(close) - EMA_slow(close)``,
    ``signal = EMA_signal(macd)``, ``hist = macd - signal``; each EMA uses
    ``k = 2 / (period + 1)`` and the recursion ``ema = (x - ema) * k + ema`` (one fused
    multiply-add, as in :func:`~dse_indicators.reference.moving_averages.ema`).
    If ``slow < fast`` the two periods are swapped.

    Seeding (TA-Lib's own, NOT two independent EMAs):

    * both price EMAs are seeded on the same row, ``slow - 1``: the slow EMA with the
      average of ``close[0 : slow]``, the fast EMA with the average of the last ``fast``
      of those rows, ``close[slow - fast : slow]``. So the fast EMA does not start at
      row ``fast - 1`` as a stand-alone ``EMA(close, fast)`` would, and its values differ
      from it;
    * the MACD line exists from row ``slow - 1``;
    * the signal EMA is seeded on row ``slow + signal - 2`` with the average of the
      first ``signal`` MACD-line values (rows ``slow - 1 .. slow + signal - 2``).

    Warm-up: all three outputs start together at index ``slow + signal - 2``
    (33 for 12/26/9); the MACD line is computed from row ``slow - 1`` but is NaN
    in the output until the signal line exists.

    State carried row to row: rows seen, the two seeding sums, the fast EMA, the slow
    EMA, the running sum of MACD values while the signal seeds, the signal EMA.
    """
    x = as_series(close)
    n = len(x)
    if slow < fast:
        fast, slow = slow, fast
    out_macd, out_signal, out_hist = undefined(n), undefined(n), undefined(n)
    first_output = (slow - 1) + (signal - 1)
    if n <= first_output:
        return out_macd, out_signal, out_hist

    fast_k = 2.0 / (fast + 1)
    slow_k = 2.0 / (slow + 1)
    signal_k = 2.0 / (signal + 1)

    # Seed both price EMAs on row slow - 1.
    slow_total = 0.0
    fast_total = 0.0
    for i in range(slow):
        slow_total += x[i]
        if i >= slow - fast:
            fast_total += x[i]
    fast_ema = fast_total / fast
    slow_ema = slow_total / slow

    line = np.full(n, np.nan)
    line[slow - 1] = fast_ema - slow_ema
    for i in range(slow, n):
        fast_ema = fused_multiply_add(x[i] - fast_ema, fast_k, fast_ema)
        slow_ema = fused_multiply_add(x[i] - slow_ema, slow_k, slow_ema)
        line[i] = fast_ema - slow_ema

    # Seed the signal EMA with the average of the first `signal` MACD values.
    signal_total = 0.0
    for i in range(slow - 1, first_output + 1):
        signal_total += line[i]
    signal_ema = signal_total / signal
    out_signal[first_output] = signal_ema
    for i in range(first_output + 1, n):
        signal_ema = fused_multiply_add(line[i] - signal_ema, signal_k, signal_ema)
        out_signal[i] = signal_ema

    out_macd[first_output:] = line[first_output:]
    out_hist[first_output:] = out_macd[first_output:] - out_signal[first_output:]
    return out_macd, out_signal, out_hist
