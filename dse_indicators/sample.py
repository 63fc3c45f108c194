"""Deterministic generator of realistic DSE-like daily prices, dirty rows included.

``generate_prices(scrips, days, seed)`` builds a table shaped like the project's source table
(``txn_scrip, txn_date, txn_open, txn_high, txn_low, txn_close, txn_volume``) together with the
list of rows that the cleaning rules must reject, so that the dbt models can be tested end to end
without real market data.  Nothing here touches a database.

What the clean data looks like (every feature is present at sizes like 20 scrips x 300 days):

* a Sunday-to-Thursday calendar without the fixed national holidays (21 Feb, 26 Mar, 14 Apr,
  1 May, 15 Aug, 16 Dec, 25 Dec) and without two multi-day Eid closures per year; the Eid dates
  follow the lunar calendar (about 11 days earlier each year) with a pseudo-random offset and
  length that depend on the year only, so the calendar does not depend on ``seed``;
* prices between about 5 and 2,000 taka on a 0.1 taka tick, following a mean-reverting geometric
  random walk with scrip-specific volatility and a common market factor; each close is within
  +-10 % of the scrip's previous close (the circuit breaker), and so are open, high and low;
* a few valid rows whose close (or open) lies one tick outside [low, high], as DSE's computed
  closing price sometimes does;
* listings after the first calendar day, delistings before the last one, suspensions (stretches
  of days without a row) and floor-price stretches (open = high = low = close, volume 0 or tiny);
* no-trade rows: volume 0, close = the last price, open/high/low all 0 or all NULL;
* lognormal integer volumes with a scrip-specific scale.

With ``dirty=True`` about 0.5 % extra or corrupted rows are added, at least one of each kind in
:data:`DIRTY_KINDS` once the clean table has 200 rows or more.  Corrupted rows either replace a
clean row (its key then disappears from the cleaned table; such rows are chosen so that the
circuit limit still holds between the remaining closes) or are extra copies of a clean row with
a larger volume (so that deduplicating before validating would pick the wrong row).

Prices are returned as ``float64`` (NaN meaning NULL) holding at most 4 decimals rather than as
``decimal.Decimal`` objects, which would make large tables slow to build; the loader formats
them.  Volumes are pandas ``Int64`` (``<NA>`` meaning NULL); ``txn_scrip`` and ``txn_date`` are
``object`` columns of ``str`` / ``datetime.date`` with ``None`` meaning NULL.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd

__all__ = [
    "DIRTY_KINDS",
    "FIXED_HOLIDAYS",
    "PRICE_COLUMNS",
    "REJECT_REASONS",
    "SampleData",
    "generate_prices",
    "scrip_codes",
    "trading_calendar",
]

#: Reasons for rejecting a source row, in the order the cleaning rules test them.
REJECT_REASONS: tuple[str, ...] = (
    "missing_key",
    "missing_price",
    "non_positive_price",
    "high_below_low",
    "missing_volume",
    "negative_volume",
    "future_date",
    "duplicate",
)

#: Columns of the source table, in order.
PRICE_COLUMNS: tuple[str, ...] = (
    "txn_scrip",
    "txn_date",
    "txn_open",
    "txn_high",
    "txn_low",
    "txn_close",
    "txn_volume",
)

#: Kinds of dirty rows added when ``dirty=True``, with the reason each one is rejected for.
DIRTY_KINDS: dict[str, str] = {
    "exact_duplicate": "duplicate",
    "smaller_volume_duplicate": "duplicate",
    "equal_volume_lower_close_duplicate": "duplicate",
    "high_below_low": "high_below_low",
    "missing_price": "missing_price",
    "non_positive_price": "non_positive_price",
    "missing_volume": "missing_volume",
    "negative_volume": "negative_volume",
    "missing_scrip": "missing_key",
    "missing_date": "missing_key",
    "future_date": "future_date",
}

#: Fixed national holidays (month, day) on which DSE is closed.
FIXED_HOLIDAYS: tuple[tuple[int, int], ...] = (
    (2, 21),
    (3, 26),
    (4, 14),
    (5, 1),
    (8, 15),
    (12, 16),
    (12, 25),
)

# Trading days: Sunday (weekday 6) to Thursday (weekday 3).
_TRADING_WEEKDAYS = frozenset({6, 0, 1, 2, 3})
# Eid al-Fitr as observed in Bangladesh in 2025 and the mean length of a lunar year.
_EID_FITR_2025 = dt.date(2025, 3, 31)
_LUNAR_YEAR_DAYS = 354.367

# The instruments of seeds/dse_sample_prices.csv (BATBC, GP, SQURPHARMA, AAMRANET, ...) are left
# out: the demo loads both, and generated and real prices must never share a code.
_REAL_CODES: tuple[str, ...] = (
    "BRACBANK", "BEXIMCO", "RENATA", "WALTONHIL", "ROBI",
    "BERGERPBL", "MARICO", "UPGDCL", "LHBL", "ICB", "BXPHARMA", "OLYMPIC", "CITYBANK",
    "DUTCHBANGL", "EBL", "ISLAMIBANK", "PUBALIBANK", "SUMITPOWER", "TITASGAS", "POWERGRID",
    "SINGERBD", "UNILEVERCL", "RECKITTBEN", "LINDEBD", "HEIDELBCEM", "CONFIDCEM", "KPCL", "ACI",
    "ACIFORMULA", "BSRMSTEEL", "GPHISPAT", "ORIONPHARM", "IBNSINA", "BEACONPHAR", "NAVANAPHAR",
    "ESQUIRENIT", "SEAPEARL", "BSCCL", "IFADAUTOS", "RUNNERAUTO", "APEXFOOT", "BATASHOE", "SPCL",
    "DBH", "IDLC", "LANKABAFIN", "NCCBANK", "PRIMEBANK", "MTB", "SOUTHEASTB", "UCB",
    "ONEBANKLTD", "DHAKABANK", "JAMUNAOIL", "MPETROLEUM", "PADMAOIL", "KEYACOSMET", "SAIFPOWER",
    "SHAHJABANK", "ALARABANK", "PREMIERBAN", "TRUSTBANK", "BANKASIA", "ABBANK", "IFIC", "NBL",
    "EXIMBANK", "GREENDELT", "PIONEERINS", "DELTALIFE", "NATLIFEINS", "PRAGATILIF", "KOHINOOR",
    "AMBEEPHA", "LIBRAINFU", "MONNOCERA", "RAKCERAMIC", "SHEPHERD", "SAPORTL", "DESCO", "BDCOM",
    "GENEXIL", "ITC", "ADNTEL", "COPPERTECH", "MJLBD", "NPOLYMER", "BBSCABLES", "EHL",
    "UTTARABANK", "ECABLES", "MIRACLEIND", "NFML", "SILCOPHL", "ORIONINFU", "GQBALLPEN",
)  # fmt: skip
_SYNTHETIC_SUFFIXES: tuple[str, ...] = (
    "PHARMA", "TEX", "BANK", "CEM", "FOOD", "POWER", "INS", "STEEL", "LIFE", "MF", "TEL", "CERA",
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class SampleData:
    """Generated source rows, the rows the cleaning rules must reject, and the calendar."""

    prices: pd.DataFrame
    """Source table rows (columns :data:`PRICE_COLUMNS`), in a shuffled but fixed order."""
    expected_rejects: pd.DataFrame
    """``txn_scrip, txn_date, reason``: one row per source row the cleaning must reject."""
    calendar: list[dt.date]
    """Trading dates of the sample, ascending."""


# --------------------------------------------------------------------------- calendar and names


def _eid_closures(first: dt.date, last: dt.date) -> set[dt.date]:
    """Calendar days closed for Eid al-Fitr and Eid al-Adha between ``first`` and ``last``."""
    closed: set[dt.date] = set()
    n_lo = int(np.floor((first - _EID_FITR_2025).days / _LUNAR_YEAR_DAYS)) - 1
    n_hi = int(np.ceil((last - _EID_FITR_2025).days / _LUNAR_YEAR_DAYS)) + 1
    for n in range(n_lo, n_hi + 1):
        fitr = _EID_FITR_2025 + dt.timedelta(days=round(n * _LUNAR_YEAR_DAYS))
        rng = np.random.default_rng([n + 100_000, 0xE1D])
        for eid in (fitr, fitr + dt.timedelta(days=int(rng.integers(68, 71)))):
            start = eid - dt.timedelta(days=int(rng.integers(1, 4)))
            for k in range(int(rng.integers(5, 10))):
                closed.add(start + dt.timedelta(days=k))
    return closed


def trading_calendar(days: int, end: dt.date = dt.date(2025, 12, 31)) -> list[dt.date]:
    """The last ``days`` DSE trading dates on or before ``end``, ascending.

    Trading days are Sunday to Thursday, except the :data:`FIXED_HOLIDAYS` and the Eid closures.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    span = days * 7 // 5 + days // 8 + 40
    while True:
        first = end - dt.timedelta(days=span)
        closed = _eid_closures(first, end)
        fixed = set(FIXED_HOLIDAYS)
        dates = []
        for k in range(span + 1):
            day = first + dt.timedelta(days=k)
            if (
                day.weekday() in _TRADING_WEEKDAYS
                and (day.month, day.day) not in fixed
                and day not in closed
            ):
                dates.append(day)
        if len(dates) >= days:
            return dates[-days:]
        span *= 2


def _letters(i: int, width: int) -> str:
    out = []
    for _ in range(width):
        i, r = divmod(i, 26)
        out.append(chr(ord("A") + r))
    return "".join(reversed(out))


def scrip_codes(n: int) -> list[str]:
    """``n`` unique DSE-style trading codes: real ones first, then synthetic ``ABC1PHARMA``-like.

    Codes use only ``[A-Z0-9]`` and are 2 to 12 characters long; they do not depend on a seed.
    """
    codes = list(_REAL_CODES[:n])
    for i in range(n - len(codes)):
        letters = _letters((i * 7919 + 123) % 26**3, 3) if i < 26**3 else _letters(i, 4)
        codes.append(f"{letters}{i % 9 + 1}{_SYNTHETIC_SUFFIXES[i % len(_SYNTHETIC_SUFFIXES)]}")
    return codes


# --------------------------------------------------------------------------- clean price paths


def _lifetimes(rng: np.random.Generator, n_scrips: int, n_days: int) -> tuple[np.ndarray, ...]:
    """First and last calendar index of each scrip (listings and delistings)."""
    first = np.zeros(n_scrips, dtype=np.int64)
    last = np.full(n_scrips, n_days - 1, dtype=np.int64)
    if n_scrips >= 2 and n_days >= 10:
        perm = rng.permutation(n_scrips)
        n_listed = max(1, round(0.15 * n_scrips))
        n_delisted = max(1, round(0.08 * n_scrips))
        n_listed = min(n_listed, n_scrips - 1)
        n_delisted = min(n_delisted, n_scrips - n_listed)
        listed = perm[:n_listed]
        delisted = perm[n_listed : n_listed + n_delisted]
        first[listed] = rng.integers(1, max(2, int(0.7 * n_days)), size=n_listed)
        last[delisted] = rng.integers(int(0.3 * n_days), n_days - 1, size=n_delisted)
    return first, last


def _stretches(
    rng: np.random.Generator,
    chosen: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    n_days: int,
    length: tuple[int, int],
) -> np.ndarray:
    """Boolean (scrip, day) mask with one stretch of days inside the life of each chosen scrip."""
    mask = np.zeros((len(first), n_days), dtype=bool)
    for s in chosen:
        life = int(last[s] - first[s] + 1)
        size = min(int(rng.integers(length[0], length[1] + 1)), life // 3)
        if size < 1 or life - size - 1 < 1:
            continue
        start = int(first[s]) + int(rng.integers(1, life - size))
        mask[s, start : start + size] = True
    return mask


def _clean_matrix(rng: np.random.Generator, n_scrips: int, n_days: int) -> dict[str, np.ndarray]:
    """Scrip x day matrices of prices (in ticks of 0.1 taka), volumes and row flags."""
    S, D = n_scrips, n_days
    day = np.arange(D)
    first, last = _lifetimes(rng, S, D)
    listed = (day >= first[:, None]) & (day <= last[:, None])

    perm = rng.permutation(S)
    n_susp = max(1, round(0.3 * S))
    n_floor = max(1, round(0.25 * S))
    susp_scrips = perm[:n_susp]
    floor_scrips = perm[n_susp : n_susp + n_floor] if n_susp + n_floor <= S else perm[-n_floor:]
    suspended = _stretches(rng, susp_scrips, first, last, D, (3, 20))
    floor = _stretches(rng, floor_scrips, first, last, D, (5, 40))
    present = listed & ~suspended
    floor &= present

    # Illiquid scrips skip trading now and then; never on their listing day.
    p_notrade = rng.choice([0.0, 0.0, 0.003, 0.01, 0.03, 0.06], size=S)
    notrade = present & ~floor & (rng.random((S, D)) < p_notrade[:, None])
    notrade &= day != first[:, None]
    if notrade.sum() < 2:  # at least one published with zeros and one with NULLs
        cand = np.flatnonzero((present & ~floor & ~notrade & (day != first[:, None])).ravel())
        extra = rng.choice(cand, size=min(len(cand), 2 - int(notrade.sum())), replace=False)
        notrade.ravel()[extra] = True
    moving = present & ~floor & ~notrade

    # Scrip parameters: price level (log taka), volatility, market beta, volume scale.
    # Levels are stratified so that even a few scrips span penny stocks to blue chips.
    strata = (rng.permutation(S) + rng.random(S)) / S
    anchor = np.log(12.0) + strata * (np.log(1000.0) - np.log(12.0))
    sigma = rng.uniform(0.008, 0.035, size=S)
    beta = rng.uniform(0.3, 1.2, size=S)
    kappa = 0.01
    p0 = np.rint(10.0 * np.exp(anchor + rng.normal(0.0, 0.2, size=S))).astype(np.int64)
    market = rng.standard_t(5, size=D) * np.sqrt(3.0 / 5.0) * 0.8
    eps = rng.standard_t(4, size=(S, D)) * np.sqrt(0.5)
    ret = sigma[:, None] * (beta[:, None] * market[None, :] * 0.6 + eps * 0.8)

    close = np.empty((S, D), dtype=np.int64)
    prev = p0.copy()
    log_tick = np.log(0.1)
    for d in range(D):
        target = prev * np.exp(ret[:, d] - kappa * (np.log(prev) + log_tick - anchor))
        lo = np.maximum((9 * prev + 9) // 10, np.minimum(prev, 40))
        hi = np.minimum((11 * prev) // 10, np.maximum(prev, 25_000))
        step = np.clip(np.rint(target).astype(np.int64), lo, hi)
        prev = np.where(moving[:, d], step, prev)
        close[:, d] = prev

    prev_close = np.concatenate([p0[:, None], close[:, :-1]], axis=1)
    lo = np.maximum((9 * prev_close + 9) // 10, np.minimum(prev_close, 40))
    hi = np.minimum((11 * prev_close) // 10, np.maximum(prev_close, 25_000))
    gap = rng.normal(0.0, 1.0, size=(S, D)) * (0.4 * sigma[:, None])
    opn = np.clip(np.rint(prev_close * np.exp(gap)).astype(np.int64), lo, hi)
    top = np.maximum(opn, close)
    bottom = np.minimum(opn, close)
    wick = np.abs(rng.normal(0.0, 1.0, size=(2, S, D))) * (0.6 * sigma[:, None])
    high = np.clip(top + np.rint(top * wick[0]).astype(np.int64), top, hi)
    low = np.clip(bottom - np.rint(bottom * wick[1]).astype(np.int64), lo, bottom)
    low = np.maximum(low, 1)

    vscale = rng.uniform(np.log(2e3), np.log(3e6), size=S)
    move = np.abs(np.log(close / prev_close)) / sigma[:, None]
    logv = vscale[:, None] + 0.7 * rng.normal(0.0, 1.0, size=(S, D)) + 0.3 * move
    volume = np.maximum(1, np.rint(np.exp(np.minimum(logv, 20.0)))).astype(np.int64)

    tiny = np.where(rng.random((S, D)) < 0.5, 0, rng.integers(1, 500, size=(S, D)))
    volume = np.where(floor, tiny, volume)
    volume[notrade] = 0
    for arr in (opn, high, low):
        arr[floor] = close[floor]
    return {
        "present": present,
        "floor": floor,
        "notrade": notrade,
        "open": opn,
        "high": high,
        "low": low,
        "close": close,
        "volume": volume,
    }


# --------------------------------------------------------------------------- dirty rows


class _Rows:
    """Flat row arrays (before shuffling) plus the bookkeeping of expected rejects."""

    def __init__(self, cols: dict[str, np.ndarray]) -> None:
        self.cols = cols
        self.n = len(cols["scrip"])
        self.extra: list[dict[str, np.ndarray]] = []
        self.n_extra = 0
        self.reject_rows: list[np.ndarray] = []
        self.reject_reasons: list[np.ndarray] = []

    def reject(self, rows: np.ndarray, reason: str) -> None:
        self.reject_rows.append(np.asarray(rows, dtype=np.int64))
        self.reject_reasons.append(np.full(len(rows), REJECT_REASONS.index(reason)))

    def add(self, rows: np.ndarray, **changes: np.ndarray | float | int) -> np.ndarray:
        """Append copies of ``rows`` with ``changes`` applied; returns the new row numbers."""
        block = {name: col[rows].copy() for name, col in self.cols.items()}
        for name, value in changes.items():
            block[name][:] = value
        self.extra.append(block)
        new = self.n + self.n_extra + np.arange(len(rows))
        self.n_extra += len(rows)
        return new

    def finish(self) -> dict[str, np.ndarray]:
        """All rows, clean then extra; releases the arrays held by this object."""
        cols, extra = self.cols, self.extra
        self.cols, self.extra = {}, []
        if not extra:
            return cols
        return {
            name: np.concatenate([col] + [b[name] for b in extra]) for name, col in cols.items()
        }


def _add_dirty(
    rng: np.random.Generator, rows: _Rows, normal: np.ndarray, removable: np.ndarray, n_days: int
) -> None:
    """Corrupt or add about 0.5 % rows, recording the reason each one must be rejected for."""
    c = rows.cols
    n_clean = rows.n
    kinds = list(DIRTY_KINDS)
    total = round(0.005 * n_clean)
    counts = np.full(len(kinds), total // len(kinds))
    counts[rng.permutation(len(kinds))[: total % len(kinds)]] += 1
    if n_clean >= 200:
        counts = np.maximum(counts, 1)
    count = dict(zip(kinds, counts.tolist(), strict=True))
    used = np.zeros(n_clean, dtype=bool)

    def take(pool: np.ndarray, n: int) -> np.ndarray:
        cand = np.flatnonzero(pool & ~used)
        picked = np.sort(rng.choice(cand, size=min(n, len(cand)), replace=False))
        used[picked] = True
        return picked

    price_cols = ("open", "high", "low", "close")
    wide = normal & (c["high"] > c["low"])
    multi = normal & (c["volume"] >= 2)

    # Duplicates of a (scrip, date) that lose the deduplication.
    picked = take(np.ones(n_clean, dtype=bool), count["exact_duplicate"])
    rows.reject(rows.add(picked), "duplicate")

    picked = take(multi, count["smaller_volume_duplicate"])
    if len(picked):
        vol = c["volume"][picked]
        smaller = np.clip(np.floor(vol * rng.uniform(0.2, 0.95, len(picked))), 1, vol - 1)
        # An intraday snapshot: its last price can be anywhere in the day's range, even above
        # the final close, so "largest close first" would pick the wrong row.
        ticks_lo = np.rint(c["low"][picked] * 10)
        ticks_hi = np.rint(c["high"][picked] * 10)
        last = np.floor(rng.uniform(ticks_lo, ticks_hi + 1)) / 10
        rows.reject(rows.add(picked, volume=smaller.astype(np.int64), close=last), "duplicate")

    picked = take(normal, count["equal_volume_lower_close_duplicate"])
    if len(picked):
        lower = np.maximum(c["close"][picked] - rng.integers(1, 4, len(picked)) / 10, 0.1)
        rows.reject(rows.add(picked, close=np.round(lower, 4)), "duplicate")

    # Rows that fail validation: half replace the clean row, half are extra copies carrying a
    # larger volume than the clean row (deduplicating before validating would keep them).
    def corrupt(kind: str, pool: np.ndarray, apply) -> None:
        n = count[kind]
        replaced = take(removable & pool, (n + int(rng.integers(0, 2))) // 2)
        if len(replaced):
            apply(rows.cols, replaced)
            rows.reject(replaced, DIRTY_KINDS[kind])
        copies = take(pool, n - len(replaced))
        if len(copies):
            bigger = c["volume"][copies] + rng.integers(1, 1000, len(copies))
            new = rows.add(copies, volume=bigger)
            apply(rows.extra[-1], np.arange(len(copies)))
            rows.reject(new, DIRTY_KINDS[kind])

    def null_one_price(block: dict[str, np.ndarray], idx: np.ndarray) -> None:
        which = rng.integers(0, 4, len(idx))
        for k, name in enumerate(price_cols):
            block[name][idx[which == k]] = np.nan

    made_zero = [0]  # alternate zero and negative prices across calls

    def non_positive(block: dict[str, np.ndarray], idx: np.ndarray) -> None:
        which = rng.integers(0, 4, len(idx))
        zero = (made_zero[0] + np.arange(len(idx))) % 2 == 0
        made_zero[0] += len(idx)
        for k, name in enumerate(price_cols):
            sel = idx[which == k]
            block[name][sel] = np.where(zero[which == k], 0.0, -block[name][sel])

    def swap_high_low(block: dict[str, np.ndarray], idx: np.ndarray) -> None:
        block["high"][idx], block["low"][idx] = block["low"][idx], block["high"][idx]

    def null_volume(block: dict[str, np.ndarray], idx: np.ndarray) -> None:
        block["volume_null"][idx] = True

    def negative_volume(block: dict[str, np.ndarray], idx: np.ndarray) -> None:
        block["volume"][idx] = -block["volume"][idx]

    corrupt("high_below_low", wide, swap_high_low)
    corrupt("missing_price", normal, null_one_price)
    corrupt("non_positive_price", normal, non_positive)
    corrupt("missing_volume", normal, null_volume)
    corrupt("negative_volume", normal, negative_volume)

    # Rows without a key, or dated in the future (more than one day after the run date).
    picked = take(normal, count["missing_scrip"])
    rows.reject(rows.add(picked, scrip=-1), "missing_key")
    picked = take(normal, count["missing_date"])
    rows.reject(rows.add(picked, date=-1), "missing_key")
    picked = take(normal, count["future_date"])
    future = n_days + rng.integers(0, 9, len(picked))  # end + 2 days .. end + 10 days
    rows.reject(rows.add(picked, date=future), "future_date")


# --------------------------------------------------------------------------- public API


def generate_prices(
    scrips: int,
    days: int,
    seed: int = 7,
    end: dt.date = dt.date(2025, 12, 31),
    dirty: bool = True,
) -> SampleData:
    """Generate ``scrips`` scrips over the last ``days`` trading days up to ``end``.

    The result depends only on the arguments.  The clean part of the table does not depend on
    ``dirty``: ``dirty=True`` only adds rows and corrupts a few existing ones.

    The expected rejects follow the project's cleaning contract, with ``end`` as the run date:

    1. a no-trade day (volume 0, close > 0, open/high/low each NULL or 0) is a flat bar;
    2. rows are rejected for the first of :data:`REJECT_REASONS` that applies (``missing_key``,
       ``missing_price``, ``non_positive_price``, ``high_below_low``, ``missing_volume``,
       ``negative_volume``, ``future_date``); open or close outside [low, high] is valid;
    3. of the remaining rows sharing (scrip, date), the largest volume wins, then the largest
       close; the others are rejected as ``duplicate``.
    """
    if scrips < 1:
        raise ValueError("scrips must be at least 1")
    calendar = trading_calendar(days, end)
    names = scrip_codes(scrips)
    S, D = scrips, len(calendar)
    rng_clean, rng_bars, rng_dirty, rng_order = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)
    )

    m = _clean_matrix(rng_clean, S, D)
    si, di = np.nonzero(m["present"])  # sorted by scrip, then day
    n = len(si)
    ticks = {name: m[name][si, di] for name in ("open", "high", "low", "close")}
    volume = m["volume"][si, di]
    is_floor = m["floor"][si, di]
    is_notrade = m["notrade"][si, di]
    del m

    # A few valid rows whose close (or open) is one tick outside [low, high]: move the high (or
    # the low) one tick inside the body of the bar.
    normal = (volume > 0) & ~is_floor & ~is_notrade
    top = np.maximum(ticks["open"], ticks["close"])
    bottom = np.minimum(ticks["open"], ticks["close"])
    cand = np.flatnonzero(normal & (top > ticks["low"]) & (bottom < ticks["high"]))
    n_out = min(len(cand), max(1, round(0.002 * n)) if n >= 200 else round(0.002 * n))
    outside = np.sort(rng_bars.choice(cand, size=n_out, replace=False))
    upper = rng_bars.random(n_out) < 0.5
    ticks["high"][outside] = np.where(upper, top[outside] - 1, ticks["high"][outside])
    ticks["low"][outside] = np.where(upper, ticks["low"][outside], bottom[outside] + 1)
    normal[outside] = False

    cols = {name: ticks[name] / 10.0 for name in ticks}
    null_bar = is_notrade & (rng_bars.random(n) < 0.5)
    no_trade_rows = np.flatnonzero(is_notrade)
    styles = null_bar[no_trade_rows]
    if len(styles) >= 2 and (styles.all() or not styles.any()):  # show both styles
        null_bar[no_trade_rows[0]] = not styles[0]
    for name in ("open", "high", "low"):
        cols[name][is_notrade] = 0.0
        cols[name][null_bar] = np.nan
    cols["scrip"] = si.astype(np.int64)
    cols["date"] = di.astype(np.int64)
    cols["volume"] = volume
    cols["volume_null"] = np.zeros(n, dtype=bool)

    rows = _Rows(cols)
    if dirty:
        # Replacing a clean row removes its key; only do it at even positions within a scrip and
        # where the closes before and after still respect the circuit limit.
        pos = np.arange(n) - np.searchsorted(si, si)
        has_prev = pos > 0
        has_next = np.append(si[1:] == si[:-1], False)
        c_prev = np.roll(ticks["close"], 1)
        c_next = np.roll(ticks["close"], -1)
        safe = ~(has_prev & has_next) | ((9 * c_prev <= 10 * c_next) & (10 * c_next <= 11 * c_prev))
        _add_dirty(rng_dirty, rows, normal, normal & safe & (pos % 2 == 0), D)
    del cols, ticks  # the rows object holds the only reference, released by finish()
    out = rows.finish()
    total = len(out["scrip"])

    # Mostly in date order, shuffled locally, like a table filled by a daily scraper.
    key = out["date"] + rng_order.uniform(0.0, 3.0, total)
    missing_date = out["date"] < 0
    key[missing_date] = rng_order.uniform(0.0, D, int(missing_date.sum()))
    order = np.argsort(key, kind="stable")

    scrip_pool = np.array([*names, None], dtype=object)
    future = [end + dt.timedelta(days=k) for k in range(2, 11)]
    date_pool = np.array([*calendar, *future, None], dtype=object)
    scrip_idx = np.where(out["scrip"] < 0, S, out["scrip"])
    date_idx = np.where(out["date"] < 0, len(date_pool) - 1, out["date"])

    prices = pd.DataFrame(
        {
            "txn_scrip": pd.Series(scrip_pool[scrip_idx[order]], dtype=object),
            "txn_date": pd.Series(date_pool[date_idx[order]], dtype=object),
            **{
                f"txn_{name}": np.round(out[name][order], 4)
                for name in ("open", "high", "low", "close")
            },
            "txn_volume": pd.arrays.IntegerArray(
                out["volume"][order].astype(np.int64), out["volume_null"][order].copy()
            ),
        },
        columns=list(PRICE_COLUMNS),
        copy=False,
    )

    if rows.reject_rows:
        rej = np.concatenate(rows.reject_rows)
        reason = np.concatenate(rows.reject_reasons)
    else:
        rej = np.zeros(0, dtype=np.int64)
        reason = np.zeros(0, dtype=np.int64)
    sort = np.lexsort((date_idx[rej], scrip_idx[rej], reason))
    rej, reason = rej[sort], reason[sort]
    expected = pd.DataFrame(
        {
            "txn_scrip": pd.Series(scrip_pool[scrip_idx[rej]], dtype=object),
            "txn_date": pd.Series(date_pool[date_idx[rej]], dtype=object),
            "reason": pd.Series(np.array(REJECT_REASONS, dtype=object)[reason], dtype=object),
        }
    )
    return SampleData(prices=prices, expected_rejects=expected, calendar=calendar)
