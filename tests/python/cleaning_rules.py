"""The contract's cleaning rules (section 2), written again for the tests from the contract's words.

The oracle must not take its inputs from the table under test, nor from the staging SQL that
fills it: a bug that changes the prices going into the computation and the stored prices alike
(high and low swapped, a wrong column, a bad flat-bar rule) would pass every comparison. So the
integration tests read the raw source rows and clean them here, in plain Python, then give
TA-Lib (or the numpy reference) that series and hold the table's price_* columns equal to it.

Nothing here reads the project's SQL or the `dse_indicators` package.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

__all__ = ["Bar", "Cleaned", "clean", "columns", "read_source"]


@dataclass(frozen=True)
class Bar:
    """One accepted price row, its prices as float8 (PostgreSQL's numeric -> float8 is exact
    rounding of the decimal, as Python's float(Decimal) is)."""

    trading_date: datetime.date
    open: float
    high: float
    low: float
    close: float
    volume: int


@dataclass
class Cleaned:
    """Each scrip's accepted bars in date order, and the rejects as (scrip, date, reason)."""

    accepted: dict[str, list[Bar]]
    rejects: list[tuple[str | None, datetime.date | None, str]]


def _float(value) -> float | None:
    return None if value is None else float(value)


def _is_no_trade(open_, high, low, close, volume) -> bool:
    """Rule 1: volume 0, a close above 0, and open, high and low each null or 0."""
    if volume is None or volume != 0 or close is None:
        return False
    # PostgreSQL orders numeric NaN above every number, so a NaN close counts as "> 0"; the
    # row is then rejected as non-finite whichever way it is read.
    if not (Decimal(close).is_nan() or close > 0):
        return False
    return all(x is None or x == 0 for x in (open_, high, low))


def _reason(scrip, day, prices: tuple, volume, run_date: datetime.date) -> str | None:
    """Rule 2: the first check a row fails names its reason (the order of price_rejects' docs)."""
    if scrip is None or day is None:
        return "missing_key"
    if any(p is None for p in prices):
        return "missing_price"
    if any(not math.isfinite(p) for p in prices):
        return "non_finite_price"
    if any(p <= 0 for p in prices):
        return "non_positive_price"
    if prices[1] < prices[2]:
        return "high_below_low"
    if volume is None:
        return "missing_volume"
    if volume < 0:
        return "negative_volume"
    if day > run_date + datetime.timedelta(days=1):
        return "future_date"
    return None


def clean(rows, run_date: datetime.date) -> Cleaned:
    """Rows (scrip, date, open, high, low, close, volume) as the source holds them."""
    candidates: dict[tuple, list[Bar]] = defaultdict(list)
    rejects = []
    for scrip, day, raw_open, raw_high, raw_low, raw_close, volume in rows:
        scrip = None if scrip is None else str(scrip)
        if isinstance(day, datetime.datetime):
            day = day.date()
        volume = None if volume is None else int(volume)
        if _is_no_trade(raw_open, raw_high, raw_low, raw_close, volume):
            raw_open = raw_high = raw_low = raw_close
        prices = tuple(_float(x) for x in (raw_open, raw_high, raw_low, raw_close))
        reason = _reason(scrip, day, prices, volume, run_date)
        if reason:
            rejects.append((scrip, day, reason))
        else:
            candidates[(scrip, day)].append(Bar(day, *prices, volume))
    accepted: dict[str, list[Bar]] = defaultdict(list)
    for (scrip, day), bars in candidates.items():
        # Rule 3: the largest volume wins, then the largest close; the others are duplicates.
        ranked = sorted(bars, key=lambda b: (b.volume, b.close), reverse=True)
        accepted[scrip].append(ranked[0])
        rejects.extend((scrip, day, "duplicate") for _ in ranked[1:])
    for bars in accepted.values():
        bars.sort(key=lambda b: b.trading_date)
    return Cleaned(dict(accepted), rejects)


def read_source(
    conn,
    run_date: datetime.date | None = None,
    table: str = "public.ws_dse_daily_prices",
    names: tuple[str, ...] = (
        "txn_scrip",
        "txn_date",
        "txn_open",
        "txn_high",
        "txn_low",
        "txn_close",
        "txn_volume",
    ),
) -> Cleaned:
    """The source table's raw rows, cleaned here; run_date defaults to the database's date."""
    if run_date is None:
        (run_date,) = conn.execute("select current_date").fetchone()
    rows = conn.execute(f"select {', '.join(names)} from {table}").fetchall()
    return clean(rows, run_date)


def columns(bars: list[Bar]) -> tuple[np.ndarray, ...]:
    """open, high, low, close, volume as float64 arrays, the oracle's inputs."""
    return tuple(
        np.array([getattr(b, name) for b in bars], dtype=np.float64)
        for name in ("open", "high", "low", "close", "volume")
    )
