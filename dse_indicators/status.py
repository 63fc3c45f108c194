"""Is the indicators table up to date with the prices? Overall and per scrip.

It compares the accepted price rows (the staging view `stg_dse__prices`, which applies the
cleaning rules to the source as it is now) with the rows of `indicators`, the way `dbt run`
finds its work: a price row without an indicators row, or with other prices, is not yet
computed; an indicators row whose price row is gone has vanished from the source.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import psycopg
from psycopg import sql

from dse_indicators import target
from dse_indicators.errors import NotBuilt

_PER_SCRIP = """
with prices as (

    select
        scrip, trading_date, open, high, low, close, volume,
        reject_reason is null as accepted
    from {staging}

),

stored as (

    select *, true as accepted from {indicators}

),

joined as (

    -- Rejected rows never match (accepted differs), so one pass counts everything.
    select
        coalesce(prices.scrip, stored.scrip) as scrip,
        prices.trading_date as price_date,
        prices.accepted as price_accepted,
        stored.trading_date as stored_date,
        (prices.open, prices.high, prices.low, prices.close, prices.volume)
        is distinct from (stored.price_open, stored.price_high, stored.price_low,
            stored.price_close, stored.price_volume) as prices_differ
    from prices
    full join stored
        on prices.scrip = stored.scrip
        and prices.trading_date = stored.trading_date
        and prices.accepted = stored.accepted

)

select
    scrip,
    count(price_accepted) as price_rows,
    count(stored_date) as indicator_rows,
    count(*) filter (where price_accepted and (stored_date is null or prices_differ)),
    count(*) filter (where price_accepted is null) as vanished,
    count(*) filter (where not price_accepted) as rejects,
    max(price_date) filter (where price_accepted) as last_price_date,
    max(stored_date) as last_computed_date
from joined
group by scrip
order by scrip nulls first
"""


@dataclasses.dataclass
class ScripStatus:
    scrip: str | None  # None: rows without a scrip (rejected)
    price_rows: int
    indicator_rows: int
    pending: int  # accepted price rows not computed yet, or computed from other prices
    vanished: int  # indicator rows whose accepted price row is gone
    rejects: int
    last_price_date: dt.date | None
    last_computed_date: dt.date | None

    @property
    def behind(self) -> bool:
        """Its newest accepted price is newer than its newest indicators row."""
        if self.scrip is None or self.last_price_date is None:
            return False
        return self.last_computed_date is None or self.last_computed_date < self.last_price_date


@dataclasses.dataclass
class Status:
    schema: str
    last_run: dt.datetime | None
    scrips: list[ScripStatus]

    def total(self, field: str) -> int:
        return sum(getattr(s, field) for s in self.scrips)

    @property
    def latest_trading_date(self) -> dt.date | None:
        return max((s.last_price_date for s in self.scrips if s.last_price_date), default=None)

    @property
    def behind(self) -> list[ScripStatus]:
        return [s for s in self.scrips if s.behind]

    @property
    def up_to_date(self) -> bool:
        return not (self.total("pending") or self.total("vanished") or self.behind)

    def as_dict(self) -> dict:
        latest = self.latest_trading_date
        return {
            "schema": self.schema,
            "up_to_date": self.up_to_date,
            "last_run": self.last_run.isoformat() if self.last_run else None,
            "latest_trading_date": latest.isoformat() if latest else None,
            "scrips": sum(1 for s in self.scrips if s.scrip is not None),
            "scrips_behind": [s.scrip for s in self.behind],
            "scrips_not_on_latest_date": sum(
                1 for s in self.scrips if s.last_price_date and s.last_price_date != latest
            ),
            **{
                field: self.total(field)
                for field in ("price_rows", "indicator_rows", "pending", "vanished", "rejects")
            },
            "per_scrip": [
                {
                    **dataclasses.asdict(s),
                    "last_price_date": _iso(s.last_price_date),
                    "last_computed_date": _iso(s.last_computed_date),
                    "behind": s.behind,
                }
                for s in self.scrips
            ],
        }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def read_status(conn: psycopg.Connection, schema: str) -> Status:
    """The status of `schema.indicators`; NotBuilt before the first `dbt run`."""
    indicators = target.indicators_table(conn, schema)
    if not target.exists(conn, schema, "stg_dse__prices"):
        raise NotBuilt(f"{target.NOT_BUILT} (no view {schema}.stg_dse__prices)")
    query = sql.SQL(_PER_SCRIP).format(
        staging=sql.Identifier(schema, "stg_dse__prices"), indicators=indicators
    )
    try:
        rows = conn.execute(query).fetchall()
    except psycopg.errors.UndefinedTable as error:
        raise NotBuilt(
            f"the price table is missing ({error.diag.message_primary}): load prices with "
            "`dse-indicators load FILE...`, then run dbt run"
        ) from error
    (last_run,) = conn.execute(
        sql.SQL("select max(updated_at) from {}").format(indicators)
    ).fetchone()
    return Status(schema, last_run, [ScripStatus(*row) for row in rows])


# --------------------------------------------------------------------------- text report


def _ago(moment: dt.datetime | None) -> str:
    if moment is None:
        return "never (the table is empty)"
    minutes = int((dt.datetime.now(dt.UTC) - moment).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    age = (
        f"{days} d {hours} h" if days else f"{hours} h {minutes} min" if hours else f"{minutes} min"
    )
    return f"{moment.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC ({age} ago)"


def format_status(status: Status, all_scrips: bool = False, limit: int = 20) -> str:
    """The report for people: totals, then the scrips that need a look (or all of them)."""
    report = status.as_dict()
    lines = [
        f"{status.schema}.indicators, last run {_ago(status.last_run)}",
        f"  price rows         {report['price_rows']:>12,}",
        f"  rejected           {report['rejects']:>12,}  (by the cleaning rules)",
        f"  indicator rows     {report['indicator_rows']:>12,}",
        f"  not yet computed   {report['pending']:>12,}  (new or corrected price rows)",
        f"  vanished           {report['vanished']:>12,}  (indicator rows whose price row is gone)",
        f"  latest trading day {report['latest_trading_date'] or '-':>12}",
        f"  scrips             {report['scrips']:>12,}  ({len(status.behind)} behind, "
        f"{report['scrips_not_on_latest_date']} without a price on the latest day)",
    ]
    shown = status.scrips if all_scrips else [s for s in status.scrips if s.pending or s.vanished]
    if shown:
        lines += ["", _table(shown[: None if all_scrips else limit])]
        if len(shown) > limit and not all_scrips:
            lines.append(f"... and {len(shown) - limit} more scrips behind (--all lists every one)")
    verdict = "up to date" if status.up_to_date else "BEHIND: run dbt run"
    lines += ["", f"status: {verdict}"]
    return "\n".join(lines)


def _table(scrips: list[ScripStatus]) -> str:
    header = ("scrip", "prices", "indicators", "pending", "vanished", "rejects", "last price",
              "last computed")  # fmt: skip
    cells = [header] + [
        (
            s.scrip if s.scrip is not None else "(no scrip)",
            f"{s.price_rows:,}",
            f"{s.indicator_rows:,}",
            f"{s.pending:,}",
            f"{s.vanished:,}",
            f"{s.rejects:,}",
            _iso(s.last_price_date) or "-",
            _iso(s.last_computed_date) or "-",
        )
        for s in scrips
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in cells
    )
