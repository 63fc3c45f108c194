"""The 31 keys of the old backfill job, literally as the contract defines them.

The old ``backfill_indicators.py`` job computed each row ``t`` of a scrip from W, the last
``min(t, 200)`` accepted rows up to and including ``t`` (``m = |W|``, oldest first). This
module does exactly that: for every row it takes W and evaluates the contract's formula on
it, O(200) work per row. Clarity comes first; ``backfill_sliding`` holds the O(1)-per-row
formulation of the keys whose window restart makes that hard (EMA, MACD, OBV, AD_line), and a
test holds the two together. ``docs/backfill-keys.md`` describes every key.

Every per-key helper takes ``w``, a 2-D array of windows (one window per row of ``w``, all of
the same length ``m``, oldest first) and returns one value per window. The first 199 rows of a
scrip have windows of 1 … 199 rows and are evaluated one by one; every later row has a
200-row window and they are evaluated together as a stack of windows. The arithmetic is the
same either way: along a window the operations run in the contract's order.

Conventions of the result of :func:`backfill_keys`:

* numeric keys: float64 arrays, NaN where the contract says JSON null (the values are never
  NaN otherwise: all prices are positive, so no formula divides by zero unguarded);
* ``OBV``: float64 holding integral values (volumes truncated to integers, then summed);
* ``day_of_week``, ``week_of_month``, ``month``: int64 arrays;
* ``is_month_end``, ``is_quarter_end``: bool arrays.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from dse_indicators import catalogue

from ._common import FloatArray, as_series

#: The old job read this many rows back (the row itself included).
WINDOW = 200

#: The 31 keys, in the catalogue's order (seeds/indicator_catalogue.csv, set `backfill`).
BACKFILL_KEYS: tuple[str, ...] = catalogue.keys("backfill")

Windows = npt.NDArray[np.float64]  # shape (windows, m), oldest first along axis 1


def _null(count: int) -> FloatArray:
    return np.full(count, np.nan)


# --------------------------------------------------------------------------- closes


def mean_last(x: Windows, n: int) -> FloatArray:
    """Mean of the last ``n`` values of each window; null if ``m < n`` (SMA, volume_SMA)."""
    if x.shape[1] < n:
        return _null(x.shape[0])
    return x[:, -n:].mean(axis=1)


def ema_series(x: Windows, n: int) -> Windows:
    """The EMA_n series over each window, one column per window row, NaN before row ``n - 1``.

    Started with the mean of the window's first ``n`` values, then
    ``e = a * x + (1 - a) * e`` for each later value, ``a = 2 / (n + 1)``.
    """
    out = np.full(x.shape, np.nan)
    if x.shape[1] < n:
        return out
    a = 2.0 / (n + 1)
    e = x[:, :n].mean(axis=1)
    out[:, n - 1] = e
    for j in range(n, x.shape[1]):
        e = a * x[:, j] + (1.0 - a) * e
        out[:, j] = e
    return out


def ema_last(close: Windows, n: int) -> FloatArray:
    """EMA_n: the last value of :func:`ema_series`; null if ``m < n``."""
    return ema_series(close, n)[:, -1]


def macd_last(close: Windows) -> tuple[FloatArray, FloatArray, FloatArray]:
    """MACD line, signal and histogram (12, 26, 9) over each window; null if ``m < 34``.

    F and S are the EMA_12 and EMA_26 series over W (F from W's 12th row, S from its 26th);
    M = F - S from W's 26th row; the signal is the EMA_9 series of M started with the mean of
    M's first 9 values (so it exists from W's 34th row).
    """
    count, m = close.shape
    if m < 34:
        return _null(count), _null(count), _null(count)
    line = ema_series(close, 12)[:, 25:] - ema_series(close, 26)[:, 25:]
    signal = ema_series(line, 9)[:, -1]
    return line[:, -1], signal, line[:, -1] - signal


def rsi_last(close: Windows, n: int = 14) -> FloatArray:
    """RSI_14 from simple means of the last 14 changes; 100 if L = 0; null if ``m <= 14``."""
    if close.shape[1] <= n:
        return _null(close.shape[0])
    change = np.diff(close[:, -(n + 1) :], axis=1)
    gain = np.where(change > 0, change, 0.0).sum(axis=1) / n
    loss = np.where(change < 0, -change, 0.0).sum(axis=1) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(loss == 0, 100.0, 100.0 - 100.0 / (1.0 + gain / loss))


def bollinger_last(close: Windows, n: int = 20, k: float = 2.0) -> tuple[FloatArray, ...]:
    """Middle, upper, lower and bandwidth over the last 20 closes; null if ``m < 20``.

    The standard deviation is the population one (divide by 20), evaluated in two passes
    (mean, then the mean squared deviation). Bandwidth is null where middle = 0, which
    positive prices never give.
    """
    count = close.shape[0]
    if close.shape[1] < n:
        return _null(count), _null(count), _null(count), _null(count)
    last = close[:, -n:]
    middle = last.mean(axis=1)
    std = np.sqrt(((last - middle[:, None]) ** 2).mean(axis=1))
    upper = middle + k * std
    lower = middle - k * std
    with np.errstate(divide="ignore", invalid="ignore"):
        bandwidth = np.where(middle == 0, np.nan, (upper - lower) / middle)
    return middle, upper, lower, bandwidth


def log_return_last(close: Windows) -> FloatArray:
    """ln(close / previous close); null if ``m < 2``."""
    if close.shape[1] < 2:
        return _null(close.shape[0])
    return np.log(close[:, -1] / close[:, -2])


# --------------------------------------------------------------------------- ohlcv


def atr_last(high: Windows, low: Windows, close: Windows, n: int = 14) -> FloatArray:
    """Mean of the last 14 true ranges (rows of W after its first); null if ``m <= 14``."""
    if close.shape[1] <= n:
        return _null(close.shape[0])
    h, lo, prev = high[:, -n:], low[:, -n:], close[:, -(n + 1) : -1]
    tr = np.maximum(np.maximum(h - lo, np.abs(h - prev)), np.abs(lo - prev))
    return tr.mean(axis=1)


def obv_last(close: Windows, volume: Windows) -> FloatArray:
    """Over W: +volume on a rise, -volume on a fall, 0 if equal (volume truncated); 0 if m = 1."""
    sign = np.sign(np.diff(close, axis=1))
    return (sign * np.trunc(volume[:, 1:])).sum(axis=1)


def money_flow_multiplier(high: Windows, low: Windows, close: Windows) -> Windows:
    """((close - low) - (high - close)) / (high - low), 0 where high = low."""
    span = high - low
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(span == 0, 0.0, ((close - low) - (high - close)) / span)


def ad_line_last(high: Windows, low: Windows, close: Windows, volume: Windows) -> FloatArray:
    """Sum of mfm * volume over all of W."""
    return (money_flow_multiplier(high, low, close) * volume).sum(axis=1)


def cmf_last(
    high: Windows, low: Windows, close: Windows, volume: Windows, n: int = 20
) -> FloatArray:
    """sum(mfm * volume) / sum(volume) over the last 20 rows; null if m < 20 or no volume."""
    if close.shape[1] < n:
        return _null(close.shape[0])
    flow = (money_flow_multiplier(high, low, close)[:, -n:] * volume[:, -n:]).sum(axis=1)
    total = volume[:, -n:].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total == 0, np.nan, flow / total)


def mfi_last(
    high: Windows, low: Windows, close: Windows, volume: Windows, n: int = 14
) -> FloatArray:
    """MFI_14 over the last 14 rows (each compared with its previous row); null if m <= 14."""
    if close.shape[1] <= n:
        return _null(close.shape[0])
    tp = (high[:, -(n + 1) :] + low[:, -(n + 1) :] + close[:, -(n + 1) :]) / 3.0
    flow = tp[:, 1:] * volume[:, -n:]
    positive = np.where(tp[:, 1:] > tp[:, :-1], flow, 0.0).sum(axis=1)
    negative = np.where(tp[:, 1:] < tp[:, :-1], flow, 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(negative == 0, 100.0, 100.0 - 100.0 / (1.0 + positive / negative))


def volume_ratio_last(volume: Windows, n: int = 20) -> FloatArray:
    """volume / mean of the last 20 volumes; null if m < 20 or that mean is 0."""
    mean = mean_last(volume, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mean == 0, np.nan, volume[:, -1] / mean)


# --------------------------------------------------------------------------- windows


def _window_keys(o: Windows, h: Windows, lo: Windows, c: Windows, v: Windows) -> dict:
    """Every numeric key, one value per window."""
    out: dict[str, FloatArray] = {}
    for n in (3, 5, 20, 50):
        out[f"SMA_{n}"] = mean_last(c, n)
    for n in (3, 20, 50):
        out[f"EMA_{n}"] = ema_last(c, n)
    out["RSI_14"] = rsi_last(c)
    line, signal, hist = macd_last(c)
    out["MACD_line_12_26_9"], out["MACD_signal_12_26_9"], out["MACD_hist_12_26_9"] = (
        line,
        signal,
        hist,
    )
    out["OBV"] = obv_last(c, v)
    middle, upper, lower, bandwidth = bollinger_last(c)
    out["BOLLINGER_middle_20_2"] = middle
    out["BOLLINGER_upper_20_2"] = upper
    out["BOLLINGER_lower_20_2"] = lower
    out["BOLLINGER_bandwidth_20_2"] = bandwidth
    out["ATR_14"] = atr_last(h, lo, c)
    out["volume_ratio_20"] = volume_ratio_last(v)
    out["volume_SMA_10"] = mean_last(v, 10)
    out["volume_SMA_20"] = mean_last(v, 20)
    out["MFI_14"] = mfi_last(h, lo, c, v)
    out["AD_line"] = ad_line_last(h, lo, c, v)
    out["CMF_20"] = cmf_last(h, lo, c, v)
    out["log_return"] = log_return_last(c)
    out["high_low_range"] = (h[:, -1] - lo[:, -1]) / c[:, -1]
    out["close_open_diff"] = (c[:, -1] - o[:, -1]) / o[:, -1]
    return out


def over_windows(
    series: tuple[FloatArray, ...],
    compute: Callable[..., dict[str, FloatArray]],
    window: int = WINDOW,
) -> dict[str, FloatArray]:
    """Evaluate ``compute`` on W of every row: rows with m < window one by one, the rest stacked.

    ``compute`` takes one window stack per series and returns ``{key: one value per window}``.
    """
    length = len(series[0])
    parts: list[dict[str, FloatArray]] = []
    for t in range(min(length, window - 1)):
        parts.append(compute(*(x[None, : t + 1] for x in series)))
    if length >= window:
        stacks = (np.lib.stride_tricks.sliding_window_view(x, window) for x in series)
        parts.append(compute(*stacks))
    if not parts:
        return {}
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


# --------------------------------------------------------------------------- calendar


def calendar_keys(dates: npt.ArrayLike) -> dict[str, npt.NDArray]:
    """day_of_week (ISO), week_of_month, month, is_month_end (last 3 days), is_quarter_end."""
    day = np.asarray(dates, dtype="datetime64[D]")
    month_start = day.astype("datetime64[M]")
    next_month = (month_start + 1).astype("datetime64[D]")
    day_of_month = (day - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    days_left = (next_month - day).astype(np.int64)  # 1 on the month's last day
    month = (month_start.astype(np.int64) % 12) + 1
    # 1970-01-01 was a Thursday (ISO 4).
    day_of_week = (day.astype(np.int64) + 3) % 7 + 1
    is_month_end = days_left <= 3
    return {
        "day_of_week": day_of_week.astype(np.int64),
        "week_of_month": (day_of_month - 1) // 7 + 1,
        "month": month.astype(np.int64),
        "is_month_end": is_month_end,
        "is_quarter_end": is_month_end & (month % 3 == 0),
    }


def backfill_keys(
    dates: npt.ArrayLike,
    open: npt.ArrayLike,
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
) -> dict[str, npt.NDArray]:
    """The 31 old keys for one scrip's accepted rows in date order, in :data:`BACKFILL_KEYS` order.

    ``dates`` is anything numpy reads as ``datetime64[D]`` (``datetime.date``, ISO strings).
    """
    series = tuple(as_series(a) for a in (open, high, low, close, volume))
    day = np.asarray(dates, dtype="datetime64[D]")
    if any(len(x) != len(day) for x in series):
        raise ValueError("dates, open, high, low, close and volume must have the same length")
    if len(day) == 0:
        empty = {key: np.empty(0) for key in BACKFILL_KEYS}
        empty.update({k: v for k, v in calendar_keys(day).items()})
        return empty
    out: dict[str, npt.NDArray] = dict(over_windows(series, _window_keys))
    out.update(calendar_keys(day))
    return {key: out[key] for key in BACKFILL_KEYS}
