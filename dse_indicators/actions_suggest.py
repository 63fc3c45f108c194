"""Candidate corporate actions that the raw prices show and the actions table lacks.

On DSE a bonus issue leaves a trace in the prices: the scrip does not trade on its record date
(a market session without a row for it), and the next session, its ex-date, is priced near
1/(1 + b) of the last close for one of the usual rates b. The face-value change of 2011 (100 to
10 taka) shows as a drop to about a tenth. This module finds such steps; a person checks each
against the company's announcement before `dse-indicators actions load` records it.

How it decides (docs/corporate-actions.md has the measured precision and recall):

1. Prices: the source table's rows with a close and a volume above 0 (a no-trade row carries
   the last close, not a trade), one per (scrip, date): the largest volume, then close.
2. Market sessions: the dates on which at least half as many scrips traded as the median of
   the 21 dates around them. Two sessions more than HOLE_DAYS apart leave a hole in the data
   (jibon-k has no 2019): no step across a hole is judged, and the holes are reported.
3. Each step from a scrip's last trading row to its next one: the sessions it missed in
   between, the next open and close over the last close, each divided by the market's move over
   the same span (the product of the daily median close-to-close ratios), and the mean of the
   next 5 closes over the mean of the last 5 (the new level must persist: a misprint that
   bounces back is no action).
4. A split (ratio 10) when the open or close is within a factor e**0.3 of a tenth of the last
   close, and so is the new level. Otherwise the usual bonus rate whose 1/(1 + b) is nearest
   (in log) to the open or the close: a candidate when it is within BONUS_TOLERANCE, the level
   persists, and the scrip missed 1 to 3 sessions before it (its record date), or the rate is
   50 % or more (no market move takes a third off a DSE price in one session).

Cash dividends also have a record date without trading, and the price drops by the dividend:
a dividend near a usual rate looks like a small bonus. That is the main source of false
candidates, and the reason a person checks the list.
"""

from __future__ import annotations

import bisect
import csv
import dataclasses
import datetime
import io
import itertools
import math
from decimal import Decimal

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from dse_indicators import actions, source_table
from dse_indicators.errors import UserError, did_you_mean
from dse_indicators.project import ActionsTable, Source

BONUS_RATES = (5, 7, 7.5, 10, 12.5, 15, 20, 25, 30, 40, 50, 100, 200)  # percent
SPLIT_RATIOS = (10,)  # new shares per old share: the 2011 face-value change, 100 to 10 taka
SPLIT_TOLERANCE = 0.3  # in log: a tenth of the last close within a factor of 1.35
# A bonus matches when |log observed - log 1/(1 + b)| <= max(BONUS_TOLERANCE, 0.1 log(1 + b)):
# 1 % around the small rates (they lie 2 to 5 % apart), wider for the large ones, whose ex-date
# prices wander further from the exact factor (BATBC's 200 % of 2021 opened 7 % above it).
BONUS_TOLERANCE = 0.01
BIG_BONUS = 50  # from this rate a drop needs no missed session
MISSED_SESSIONS = (1, 3)  # a record date, or a few sessions of suspension around it
LEVEL_ROWS = 5  # rows on each side whose mean close must show the same step
SESSION_WINDOW = 21  # dates around a date whose median count of scrips sets the bar
SESSION_SHARE = 0.5  # a market session: at least this share of that median
HOLE_DAYS = 30  # sessions further apart than this leave a hole in the data
FEW_SCRIPS = 5  # fewer scrips on a typical date: missed sessions cannot be told
FIRST_FILTER = 0.99  # steps the database sends: next open or close below this share of the last


@dataclasses.dataclass(frozen=True)
class Candidate:
    scrip: str
    ex_date: datetime.date
    last_date: datetime.date  # the scrip's last trading row before ex_date
    missed: int  # market sessions between the two without a row for the scrip
    last_close: float
    next_open: float | None
    next_close: float
    market: float  # the market's move over the same span (median of the scrips)
    observed: float  # next open or close, whichever fits, over the last close
    kind: str
    ratio: Decimal

    @property
    def factor(self) -> float:
        """What the action should do to the price (contract section 5)."""
        if self.kind == "split":
            return 1 / float(self.ratio)
        return 1 / (1 + float(self.ratio) / 100)


@dataclasses.dataclass
class Suggestions:
    candidates: list[Candidate]
    known: int  # candidates left out: the actions table has an action of that scrip and date
    holes: list[tuple[datetime.date, datetime.date]]  # sessions further apart than HOLE_DAYS
    sessions: int
    scrips: int  # scrips with trading rows in the source
    few_scrips: bool  # too few scrips on a date to tell a missed session


# --------------------------------------------------------------------------- reading the source

STEPS = """
create temporary table suggest_steps on commit drop as
with traded as (
    select distinct on (s.{scrip}, s.{day})
        s.{scrip} as scrip,
        s.{day} as day,
        case when s.{open} > 0 and s.{open} < 'Infinity' then s.{open}::float8 end as open_price,
        s.{close}::float8 as close_price
    from {source} as s
    where s.{scrip} is not null and s.{day} is not null
        and s.{close} > 0 and s.{close} < 'Infinity' and s.{volume} > 0
    order by s.{scrip}, s.{day}, s.{volume} desc, s.{close} desc
)
select
    scrip, day, open_price, close_price,
    lag(day) over w as last_day,
    lag(close_price) over w as last_close,
    avg(close_price) over (w rows between {rows} preceding and 1 preceding) as level_before,
    avg(close_price) over (w rows between current row and {following} following) as level_after
from traded
window w as (partition by scrip order by day)
"""

DAYS = """
with days as (
    select day, lag(day) over (order by day) as previous_day
    from (select distinct day from suggest_steps) as d
)
select
    s.day,
    count(*) as scrips,
    percentile_cont(0.5) within group (order by s.close_price / s.last_close)
        filter (where s.last_day = d.previous_day) as market
from suggest_steps as s
inner join days as d on s.day = d.day
group by s.day
order by s.day
"""

STEP_ROWS = """
select scrip, day, last_day, last_close, open_price, close_price, level_before, level_after
from suggest_steps
where last_close is not null
    and least(coalesce(open_price, close_price), close_price) < %(first_filter)s * last_close
    and (%(scrips)s::text[] is null or scrip = any(%(scrips)s))
order by scrip, day
"""


def read_steps(
    conn: psycopg.Connection, source: Source, scrips: list[str] | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per date: scrips traded and the market's median ratio; the steps that drop)."""
    names = {field: sql.Identifier(source.column(field)) for field in ("scrip", "open", "close")}
    conn.execute(
        sql.SQL(STEPS).format(
            **names,
            day=sql.Identifier(source.column("date")),
            volume=sql.Identifier(source.column("volume")),
            source=source_table.table_name(source),
            rows=sql.Literal(LEVEL_ROWS),
            following=sql.Literal(LEVEL_ROWS - 1),
        )
    )
    days = pd.DataFrame(conn.execute(DAYS).fetchall(), columns=["day", "scrips", "market"])
    found = conn.execute(STEP_ROWS, {"first_filter": FIRST_FILTER, "scrips": scrips})
    columns = ["scrip", "day", "last_day", "last_close", "open", "close", "before", "after"]
    steps = pd.DataFrame(found.fetchall(), columns=columns)
    return days, steps


# --------------------------------------------------------------------------- deciding


def market_sessions(days: pd.DataFrame) -> pd.Series:
    """True for the dates on which enough scrips traded to call them a market session."""
    counts = days["scrips"].astype(float)
    median = counts.rolling(SESSION_WINDOW, center=True, min_periods=1).median()
    return counts >= SESSION_SHARE * median


def holes(sessions: list[datetime.date]) -> list[tuple[datetime.date, datetime.date]]:
    """Pairs of consecutive sessions further apart than HOLE_DAYS."""
    return [(a, b) for a, b in itertools.pairwise(sessions) if (b - a).days > HOLE_DAYS]


def classify(
    drop_open: np.ndarray, drop_close: np.ndarray, drop_level: np.ndarray, missed: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each step, (kind or '', ratio, 0 for the open or 1 for the close fitting best).

    The drops are -log(ratio): of the next open and close to the last close, each divided by
    the market's move, and of the mean closes after to those before. NaN where unknown.
    """
    n = len(drop_close)
    kind = np.full(n, "", dtype=object)
    ratio = np.zeros(n)
    which = np.zeros(n, dtype=int)
    drop_open = np.where(np.isnan(drop_open), drop_close, drop_open)
    # Bonus: the nearest usual rate to the open or the close.
    targets = np.log1p(np.array(BONUS_RATES) / 100)
    tolerance = np.maximum(BONUS_TOLERANCE, 0.1 * targets)
    off_open = np.abs(drop_open[:, None] - targets) / tolerance
    off_close = np.abs(drop_close[:, None] - targets) / tolerance
    off = np.minimum(off_open, off_close)
    best = off.argmin(axis=1) if n else np.zeros(0, dtype=int)
    rows = np.arange(n)
    target = targets[best]
    persists = np.abs(drop_level - target) <= np.maximum(0.05, 0.25 * target)
    rate = np.array(BONUS_RATES)[best]
    record_date = (missed >= MISSED_SESSIONS[0]) & (missed <= MISSED_SESSIONS[1])
    bonus = (off[rows, best] <= 1) & persists & (record_date | (rate >= BIG_BONUS))
    kind[bonus] = "bonus"
    ratio[bonus] = rate[bonus]
    which[bonus] = (off_close[rows, best] < off_open[rows, best])[bonus]
    # Split: a drop to about a tenth, whatever sessions were missed.
    for split in SPLIT_RATIOS:
        target = math.log(split)
        near_open = np.abs(drop_open - target) <= SPLIT_TOLERANCE
        near_close = np.abs(drop_close - target) <= SPLIT_TOLERANCE
        is_split = (near_open | near_close) & (np.abs(drop_level - target) <= SPLIT_TOLERANCE)
        kind[is_split] = "split"
        ratio[is_split] = split
        which[is_split] = (
            np.abs(drop_close - target)[is_split] < np.abs(drop_open - target)[is_split]
        )
    return kind, ratio, which


def decide(days: pd.DataFrame, steps: pd.DataFrame) -> tuple[list[Candidate], list, int]:
    """The candidates among the steps, the holes, and the number of sessions."""
    is_session = market_sessions(days)
    sessions = list(days["day"][is_session])
    gaps = holes(sessions)
    # The market index: the product of the daily median ratios (1 where none).
    market = days["market"].astype(float).fillna(1.0).to_numpy()
    index = dict(zip(days["day"], np.cumprod(market), strict=True))
    if steps.empty:
        return [], gaps, len(sessions)
    pairs = zip(steps.last_day, steps.day, strict=True)
    steps = steps[[not _across_hole(last, day, gaps) for last, day in pairs]]
    missed = np.array(
        [
            max(0, bisect.bisect_left(sessions, day) - bisect.bisect_right(sessions, last))
            for last, day in zip(steps.last_day, steps.day, strict=True)
        ],
        dtype=int,
    )
    move = np.array(
        [index[day] / index[last] for last, day in zip(steps.last_day, steps.day, strict=True)]
    )
    last_close = steps["last_close"].to_numpy(float)
    opens = steps["open"].to_numpy(float)
    closes = steps["close"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        drop_open = -np.log(opens / last_close / move)
        drop_close = -np.log(closes / last_close / move)
        drop_level = -np.log(steps["after"].to_numpy(float) / steps["before"].to_numpy(float))
    kind, ratio, which = classify(drop_open, drop_close, drop_level, missed)
    found = []
    for i in np.flatnonzero(kind != ""):
        row = steps.iloc[i]
        price = closes[i] if which[i] or math.isnan(opens[i]) else opens[i]
        found.append(
            Candidate(
                scrip=row.scrip,
                ex_date=row.day,
                last_date=row.last_day,
                missed=int(missed[i]),
                last_close=float(last_close[i]),
                next_open=None if math.isnan(opens[i]) else float(opens[i]),
                next_close=float(closes[i]),
                market=float(move[i]),
                observed=float(price / last_close[i]),
                kind=str(kind[i]),
                ratio=Decimal(f"{ratio[i]:g}"),
            )
        )
    return found, gaps, len(sessions)


def _across_hole(last: datetime.date, day: datetime.date, gaps) -> bool:
    return any(last <= a and day >= b for a, b in gaps)


# --------------------------------------------------------------------------- the command


def suggest(
    conn: psycopg.Connection,
    source: Source,
    table: ActionsTable,
    scrips: list[str] | None = None,
) -> Suggestions:
    """The candidates of the source's prices (of `scrips`, else all) the table lacks."""
    if not source_table.exists(conn, source):
        raise UserError(
            f"there is no source table {source.schema}.{source.table}: load prices first "
            "(dse-indicators load FILE...)"
        )
    with conn.transaction():
        if scrips:
            _check_scrips(conn, source, scrips)
        days, steps = read_steps(conn, source, scrips)
        scrip_count = conn.execute("select count(distinct scrip) from suggest_steps").fetchone()
    found, gaps, sessions = decide(days, steps)
    known = _known(conn, table)
    fresh = [c for c in found if (c.scrip, c.ex_date) not in known]
    typical = float(days["scrips"].median()) if len(days) else 0.0
    return Suggestions(
        candidates=fresh,
        known=len(found) - len(fresh),
        holes=gaps,
        sessions=sessions,
        scrips=scrip_count[0],
        few_scrips=0 < typical < FEW_SCRIPS,
    )


def _check_scrips(conn: psycopg.Connection, source: Source, scrips: list[str]) -> None:
    query = sql.SQL("select distinct {scrip} from {table} where {scrip} is not null").format(
        scrip=sql.Identifier(source.column("scrip")), table=source_table.table_name(source)
    )
    known = [row[0] for row in conn.execute(query)]
    unknown = [s for s in scrips if s not in set(known)]
    if unknown:
        raise UserError(
            "; ".join(
                f"--scrips: {s!r} has no prices in {source.schema}.{source.table}"
                f"{did_you_mean(s, known)}"
                for s in unknown
            )
        )


def _known(conn: psycopg.Connection, table: ActionsTable) -> set[tuple[str, datetime.date]]:
    """(scrip, ex_date) of every action the table holds, whatever its kind."""
    if not actions.exists(conn, table):
        return set()
    query = sql.SQL("select scrip, ex_date from {}").format(actions.table_name(table))
    return {(row[0], row[1]) for row in conn.execute(query)}


# --------------------------------------------------------------------------- output


def format_csv(found: Suggestions) -> str:
    """A file `dse-indicators actions load` accepts, once a person has checked each row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(actions.COLUMNS)
    writer.writerows((c.scrip, c.ex_date, c.kind, c.ratio, "") for c in found.candidates)
    return out.getvalue()


TABLE_COLUMNS = (
    "scrip", "ex_date", "last traded", "missed", "last close", "next open", "next close",
    "observed", "market", "kind", "ratio", "factor",
)  # fmt: skip
TABLE_ALIGN = "lllrrrrrrlrr"


def _align(value: str, width: int, how: str) -> str:
    return value.ljust(width) if how == "l" else value.rjust(width)


def format_table(found: Suggestions) -> str:
    """The candidates as a table for a person, with what to do next."""
    rows = [
        (
            c.scrip,
            str(c.ex_date),
            str(c.last_date),
            str(c.missed),
            f"{c.last_close:,.2f}",
            "" if c.next_open is None else f"{c.next_open:,.2f}",
            f"{c.next_close:,.2f}",
            f"{c.observed:.4f}",
            f"{c.market:.4f}",
            c.kind,
            str(c.ratio),
            f"{c.factor:.4f}",
        )
        for c in found.candidates
    ]
    lines = []
    if rows:
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(TABLE_COLUMNS)]
        lines.append("  ".join(h.ljust(w) for h, w in zip(TABLE_COLUMNS, widths, strict=True)))
        for row in rows:
            cells = zip(row, widths, TABLE_ALIGN, strict=True)
            lines.append("  ".join(_align(v, w, a) for v, w, a in cells).rstrip())
    lines.extend(summary(found))
    return "\n".join(lines)


def summary(found: Suggestions) -> list[str]:
    """What the list covers and what to do next (the table's footer; stderr with --csv)."""
    count = len(found.candidates)
    lines = [
        f"{count} candidate{'' if count == 1 else 's'} over {found.scrips:,} scrips and "
        f"{found.sessions:,} market sessions"
        + (f"; {found.known} left out, already in the actions table" if found.known else "")
    ]
    for first, last in found.holes:
        lines.append(
            f"no market session between {first} and {last} ({(last - first).days} days): "
            "actions in between cannot be seen"
        )
    if found.few_scrips:
        lines.append(
            f"fewer than {FEW_SCRIPS} scrips trade on a typical date: a missed session cannot "
            "be told, so only splits and bonuses of 50 % or more are found"
        )
    if count:
        lines.append(
            "Check each against the company's announcement (a cash dividend's record date "
            "looks like a small bonus), then: dse-indicators actions suggest --csv > "
            "actions.csv; edit it; dse-indicators actions load actions.csv"
        )
    return lines
