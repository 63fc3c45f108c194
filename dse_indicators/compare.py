"""`compare`: the indicators table against another one (the old job's, kept by `migrate`).

One query, in the database, over the two tables joined on (scrip, trading_date): for each key
that either table's documents hold, the rows where both documents hold it, how many of those
differ, the largest difference, and the rows where only one table's document holds the key
(a row missing from the other table counts there too). It reports; it does not judge.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import psycopg
from psycopg import sql

from dse_indicators.errors import UserError

TOLERANCE = 1e-9

# Two values differ when: both are numbers with a fraction (or exponent) and
# |new - old| > 1e-9 * max(1, |old|), the old value being what readers used so far; both are
# whole numbers and not equal (integers exact); otherwise when they are not the same JSON value
# (booleans, strings, and JSON null against a number).
COMPARE_SQL = """
with pairs as (
    select
        new.indicators as new_doc,
        old.indicators as old_doc
    from {new} as new
    full join {old} as old on new.scrip = old.scrip and new.trading_date = old.trading_date
),

values_by_key as (
    select
        keys.key,
        coalesce(pairs.new_doc ? keys.key, false) as in_new,
        coalesce(pairs.old_doc ? keys.key, false) as in_old,
        pairs.new_doc -> keys.key as new_value,
        pairs.old_doc -> keys.key as old_value
    from pairs
    cross join lateral (
        select jsonb_object_keys(coalesce(pairs.new_doc, '{{}}'::jsonb))
        union
        select jsonb_object_keys(coalesce(pairs.old_doc, '{{}}'::jsonb))
    ) as keys (key)
),

compared as (
    select
        key,
        in_new,
        in_old,
        case
            when jsonb_typeof(new_value) = 'number' and jsonb_typeof(old_value) = 'number'
                then abs(new_value::float8 - old_value::float8)
        end as difference,
        case
            when not (in_new and in_old) then null
            when jsonb_typeof(new_value) = 'number' and jsonb_typeof(old_value) = 'number'
                then case
                    when scale(new_value::numeric) = 0 and scale(old_value::numeric) = 0
                        then new_value::numeric <> old_value::numeric
                    else abs(new_value::float8 - old_value::float8)
                        > %(tolerance)s * greatest(1, abs(old_value::float8))
                end
            else new_value is distinct from old_value
        end as differs
    from values_by_key
)

select
    key,
    count(*) filter (where in_new and in_old) as compared,
    count(*) filter (where differs) as differing,
    max(difference) as largest_difference,
    count(*) filter (where in_new and not in_old) as only_new,
    count(*) filter (where in_old and not in_new) as only_old
from compared
group by key
order by key
"""

ROWS_SQL = """
select
    count(*) filter (where new.scrip is not null and old.scrip is not null),
    count(*) filter (where old.scrip is null),
    count(*) filter (where new.scrip is null)
from {new} as new
full join {old} as old on new.scrip = old.scrip and new.trading_date = old.trading_date
"""


@dataclass
class KeyComparison:
    key: str
    compared: int
    differing: int
    largest_difference: float | None
    only_new: int
    only_old: int


@dataclass
class Comparison:
    schema: str
    table: str
    against: str
    rows_in_both: int
    rows_only_new: int
    rows_only_old: int
    keys: list[KeyComparison]

    def as_dict(self) -> dict:
        return {**asdict(self), "tolerance": TOLERANCE}


def compare(conn: psycopg.Connection, schema: str, against: str, table: str = "indicators"):
    """The per-key report of `table` against `against`, both in `schema`."""
    new, old = sql.Identifier(schema, table), sql.Identifier(schema, against)
    for name in (table, against):
        rel = sql.Identifier(schema, name).as_string(conn)
        if not conn.execute("select to_regclass(%s) is not null", [rel]).fetchone()[0]:
            raise UserError(f"no table {schema}.{name} to compare")
    both, only_new, only_old = conn.execute(sql.SQL(ROWS_SQL).format(new=new, old=old)).fetchone()
    rows = conn.execute(
        sql.SQL(COMPARE_SQL).format(new=new, old=old), {"tolerance": TOLERANCE}
    ).fetchall()
    keys = [KeyComparison(*row) for row in rows]
    return Comparison(schema, table, against, both, only_new, only_old, keys)


def format_comparison(found: Comparison) -> str:
    """The report as a text table, one line per key."""
    new, old = found.table, found.against
    lines = [
        f"{found.schema}.{new} against {found.schema}.{old}: "
        f"{found.rows_in_both:,} rows in both, {found.rows_only_new:,} only in {new}, "
        f"{found.rows_only_old:,} only in {old}",
        f"a key's values differ beyond {TOLERANCE:g} x max(1, |{old} value|) (whole numbers, "
        "booleans and JSON null exactly); 'only in' counts rows where one document holds the "
        "key and the other does not (or has no row)",
        "",
    ]
    header = ("key", "compared", "differing", "largest difference", f"only in {new}",
              f"only in {old}")  # fmt: skip
    table = [
        (
            k.key,
            f"{k.compared:,}",
            f"{k.differing:,}",
            "" if k.largest_difference is None else f"{k.largest_difference:.3g}",
            f"{k.only_new:,}",
            f"{k.only_old:,}",
        )
        for k in found.keys
    ]
    widths = [max(len(row[i]) for row in [header, *table]) for i in range(len(header))]
    for row in [header, *table]:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    if not found.keys:
        lines.append("(no keys in either table)")
    return "\n".join(lines)
