"""Back-adjustment of a scrip's prices for corporate actions, as CONTRACT.md section 5 defines it.

DSE prices are printed unadjusted: a bonus issue, a split or a rights issue makes the price
drop on the ex-date. Each action has a factor; every accepted row before the ex-date is
multiplied by it (open, high, low, close) and its volume divided by it, so a row is adjusted by
the product of the factors of all the scrip's actions after its date. The SQL
(macros/model/dse_price_adjustment.sql) computes the same; the tests and ``audit`` use this.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

KINDS = ("bonus", "split", "rights")


@dataclass(frozen=True)
class Action:
    """One row of the corporate actions table."""

    ex_date: datetime.date
    kind: str  # bonus, split or rights
    ratio: float  # bonus: percent; split: new shares per old; rights: new shares per held
    price: float | None = None  # rights only: the subscription price S


def action_factor(action: Action, last_close: float | None) -> float:
    """The factor of one action; ``last_close`` is P, the scrip's last accepted close before
    the ex-date (rights only; without one the factor is 1)."""
    if action.kind == "bonus":
        return 1 / (1 + action.ratio / 100)
    if action.kind == "split":
        return 1 / action.ratio
    if action.kind == "rights":
        if last_close is None or action.price is None:
            return 1.0
        p, r, s = last_close, action.ratio, action.price
        return (p + r * s) / ((1 + r) * p)
    raise ValueError(f"unknown kind of action: {action.kind!r}")


def adjustment_factors(
    dates: npt.ArrayLike, close: npt.ArrayLike, actions: list[Action]
) -> np.ndarray:
    """Per row, the product of the factors of the actions whose ex-date is after the row's date.

    ``dates`` and ``close`` are the scrip's accepted rows in date order (raw closes: P is read
    from them). The actions of one ex-date multiply together in the order of their kind, then
    the ex-dates from the latest back, as the SQL does.
    """
    days = np.asarray(dates, dtype="datetime64[D]")
    closes = np.asarray(close, dtype=np.float64)
    per_date: dict[np.datetime64, float] = {}
    for action in sorted(actions, key=lambda a: (a.ex_date, a.kind)):
        ex_date = np.datetime64(action.ex_date, "D")
        before = int(np.searchsorted(days, ex_date, side="left"))
        last_close = float(closes[before - 1]) if before > 0 else None
        factor = action_factor(action, last_close)
        per_date[ex_date] = per_date[ex_date] * factor if ex_date in per_date else factor
    out = np.ones(len(days))
    cumulative = 1.0
    later = np.datetime64("9999-12-31")
    for ex_date in sorted(per_date, reverse=True):
        cumulative *= per_date[ex_date]
        out[(days < ex_date) & (days < later)] = cumulative
        later = ex_date
    return out


def back_adjust(
    dates: npt.ArrayLike,
    open_: npt.ArrayLike,
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
    actions: list[Action],
) -> tuple[np.ndarray, ...]:
    """The rows adjusted: (open, high, low, close, volume, factor), prices times the factor,
    volume divided by it."""
    factor = adjustment_factors(dates, close, actions)
    prices = (np.asarray(x, dtype=np.float64) * factor for x in (open_, high, low, close))
    adjusted_volume = np.asarray(volume, dtype=np.float64) / factor
    return (*prices, adjusted_volume, factor)
