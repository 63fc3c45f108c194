"""Audit: recompute scrips from the source with the numpy reference and compare with the table.

It is how a user checks the table before trusting a model trained on it. The accepted rows
come from the staging view (the project's cleaning rules); the reference is the executable
specification, itself proven equal to TA-Lib by the tests.
"""

from __future__ import annotations

import datetime
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import psycopg
from psycopg import sql

from dse_indicators import catalogue
from dse_indicators.export import list_keys
from dse_indicators.reference import compute_all
from dse_indicators.reference.adjustment import Action, back_adjust
from dse_indicators.reference.backfill import ad_line_magnitude, backfill_keys

TOLERANCE = 1e-9  # contract section 3: |v - x| <= 1e-9 * max(1, |x|)
#: AD_line is a signed sum of up to 200 terms: summed in another order, it may differ by
#: (n - 1) * 2^-53 of the sum of their magnitudes, whatever its own size.
AD_LINE_ROUNDING = 199 * 2.0**-53


@dataclass
class Mismatch:
    trading_date: datetime.date | None
    key: str
    table: float | str | None
    reference: float | str | None

    def describe(self) -> str:
        table, reference = str(self.table), str(self.reference)
        return f"  {self.trading_date}  {self.key:14s} table={table:24s} reference={reference}"


@dataclass
class ScripAudit:
    scrip: str
    rows: int = 0
    values: int = 0
    worst: float = 0.0
    worst_by_key: dict[str, float] = field(default_factory=dict)
    mismatches: list[Mismatch] = field(default_factory=list)


def _value(number: float) -> float | None:
    return None if math.isnan(number) else float(number)


def _compare(result: ScripAudit, day, key: str, got, want, allowed_extra: float = 0.0) -> None:
    """One value of the table against the reference (NaN: absent or JSON null)."""
    if isinstance(want, (bool, np.bool_, int, np.integer)):
        if got != want or type(got) is not type(want.item() if hasattr(want, "item") else want):
            result.mismatches.append(Mismatch(day, key, got, want.item()))
        return
    want = _value(want)
    if want is None or got is None:
        if want is not got:
            result.mismatches.append(Mismatch(day, key, got, want))
        return
    result.values += 1
    difference = abs(got - want) / max(1.0, abs(want))
    result.worst = max(result.worst, difference)
    result.worst_by_key[key] = max(result.worst_by_key.get(key, 0.0), difference)
    if abs(got - want) > TOLERANCE * max(1.0, abs(want)) + allowed_extra:
        result.mismatches.append(Mismatch(day, key, got, want))


def audit_scrip(
    conn: psycopg.Connection,
    schema: str,
    scrip: str,
    since: datetime.date | None,
    keys: tuple[str, ...] | None = None,
    actions: list[Action] | None = None,
) -> ScripAudit:
    """Compare one scrip's table rows with the reference on its whole accepted history.

    ``keys``: the keys the table was built with (both sets when not given). A TA-Lib key is
    absent where the reference is NaN; an old backfill key is present, JSON null there.
    ``actions``: the scrip's corporate actions when the table was built with adjust_prices
    (the accepted rows are back-adjusted by them first, as the contract says).
    """
    keys = keys if keys is not None else catalogue.keys()
    always_present = set(catalogue.keys("backfill"))
    prices = conn.execute(
        sql.SQL(
            "select trading_date, open, high, low, close, volume::float8 from {} "
            "where reject_reason is null and scrip = %s order by trading_date"
        ).format(sql.Identifier(schema, "stg_dse__prices")),
        [scrip],
    ).fetchall()
    stored = dict(
        conn.execute(
            sql.SQL("select trading_date, indicators from {} where scrip = %s").format(
                sql.Identifier(schema, "indicators")
            ),
            [scrip],
        ).fetchall()
    )
    result = ScripAudit(scrip)
    dates = [row[0] for row in prices]
    columns = [np.array([row[i] for row in prices], dtype=float) for i in range(1, 6)]
    if actions is not None and prices:
        columns = list(back_adjust(dates, *columns, actions)[:5])
    expected: dict = {}
    if prices:
        expected.update(compute_all(*columns))
        expected.update(backfill_keys(dates, *columns))
        ad_magnitude = ad_line_magnitude(*columns[1:])
    for i, day in enumerate(dates):
        if since and day < since:
            continue
        result.rows += 1
        document = stored.pop(day, None)
        if document is None:
            result.mismatches.append(Mismatch(day, "(row)", "missing", "accepted price row"))
            continue
        for key in keys:
            if key in always_present and key not in document:
                result.mismatches.append(Mismatch(day, key, "absent", "always present"))
                continue
            extra = AD_LINE_ROUNDING * ad_magnitude[i] if key == "AD_line" else 0.0
            _compare(result, day, key, document.get(key), expected[key][i], extra)
        for key in sorted(set(document) - set(keys)):
            result.mismatches.append(Mismatch(day, key, document[key], "not a known key"))
    for day in sorted(d for d in stored if not since or d >= since):
        result.mismatches.append(Mismatch(day, "(row)", "present", "no accepted price row"))
    return result


def choose_scrips(
    conn: psycopg.Connection, schema: str, scrips: list[str] | None, sample: int | None, seed: int
) -> list[str]:
    """The scrips to audit: those named, a reproducible random sample, or all of them."""
    known = [
        row[0]
        for row in conn.execute(
            sql.SQL(
                "select distinct scrip from {} where reject_reason is null order by scrip"
            ).format(sql.Identifier(schema, "stg_dse__prices"))
        )
    ]
    if scrips:
        unknown = sorted(set(scrips) - set(known))
        if unknown:
            raise ValueError(f"no accepted prices for scrip(s): {', '.join(unknown)}")
        return scrips
    if sample:
        return sorted(random.Random(seed).sample(known, min(sample, len(known))))
    return known


def audit(
    conn: psycopg.Connection,
    schema: str,
    scrips: list[str],
    since: datetime.date | None,
    keys: tuple[str, ...] | None = None,
    actions: dict[str, list[Action]] | None = None,
) -> Iterator[ScripAudit]:
    for scrip in scrips:
        own = None if actions is None else actions.get(scrip, [])
        yield audit_scrip(conn, schema, scrip, since, keys, own)


def is_adjusted(conn: psycopg.Connection, schema: str) -> bool:
    """Whether the table was built with adjust_prices (the model says so in its layout)."""
    found = conn.execute(
        "select col_description(a.attrelid, a.attnum) from pg_attribute as a"
        " where a.attrelid = %s::regclass and a.attname = 'state' and not a.attisdropped",
        [sql.Identifier(schema, "indicators").as_string(conn)],
    ).fetchone()
    return bool(found and found[0] and found[0].endswith("(prices adjusted)"))


def read_actions(conn: psycopg.Connection, table: sql.Identifier) -> dict[str, list[Action]]:
    """Every scrip's corporate actions, from the table the vars actions_* name."""
    found: dict[str, list[Action]] = {}
    query = sql.SQL("select scrip, ex_date, kind, ratio::float8, price::float8 from {}")
    for scrip, ex_date, kind, ratio, price in conn.execute(query.format(table)):
        found.setdefault(scrip, []).append(Action(ex_date, kind, ratio, price))
    return found


def run(
    conn: psycopg.Connection,
    schema: str,
    scrips: list[str] | None,
    sample: int | None,
    since: datetime.date | None,
    seed: int = 0,
    show: int = 10,
    echo=print,
    actions_table: sql.Identifier | None = None,
) -> int:
    """Audit, print a readable report, and return the exit code: 0 clean, 1 on any mismatch.

    A table built with adjust_prices is compared with the reference on the rows adjusted by
    the actions of ``actions_table``."""
    chosen = choose_scrips(conn, schema, scrips, sample, seed)
    keys = tuple(list_keys(conn, sql.Identifier(schema, "indicators")))
    actions = None
    if is_adjusted(conn, schema):
        if actions_table is None:
            raise ValueError("the table was built with adjust_prices: name the actions table")
        actions = read_actions(conn, actions_table)
        echo("prices adjusted for corporate actions: the reference adjusts them too")
    rows = values = bad_scrips = 0
    worst = 0.0
    worst_by_key = dict.fromkeys(keys, 0.0)
    for done, result in enumerate(audit(conn, schema, chosen, since, keys, actions), start=1):
        rows += result.rows
        values += result.values
        worst = max(worst, result.worst)
        for key, difference in result.worst_by_key.items():
            worst_by_key[key] = max(worst_by_key[key], difference)
        if result.mismatches:
            bad_scrips += 1
            echo(f"{result.scrip}: {len(result.mismatches)} mismatch(es) in {result.rows} rows")
            for mismatch in result.mismatches[:show]:
                echo(mismatch.describe())
            if len(result.mismatches) > show:
                echo(f"  ... and {len(result.mismatches) - show} more")
        elif len(chosen) <= 20 or done % 50 == 0 or done == len(chosen):
            echo(f"{result.scrip}: ok ({result.rows} rows)  [{done}/{len(chosen)}]")
    echo("largest relative difference per key:")
    for start in range(0, len(keys), 3):
        echo("  " + "  ".join(f"{k:>24s} {worst_by_key[k]:.1e}" for k in keys[start : start + 3]))
    verdict = "MISMATCH" if bad_scrips else "OK"
    echo(
        f"{verdict}: {len(chosen)} scrip(s), {rows} rows, {values} values compared with the "
        f"reference; largest relative difference {worst:.2e} (tolerance {TOLERANCE:.0e}); "
        f"{bad_scrips} scrip(s) with mismatches"
    )
    return 1 if bad_scrips else 0
