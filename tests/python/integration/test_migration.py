"""From the old backfill job's table to dbt's: refused, migrated, built, compared.

One story over one database, in order: the old table is found by dbt run and by a full refresh
(both stop, nothing written), a blocked migration changes nothing, `migrate` keeps the old
table as indicators_legacy, dbt run builds the new one under the contract's index names, and
`compare` reports what differs (its expectations computed here, in Python, from both tables).
"""

from __future__ import annotations

import json

import pytest

from dse_indicators import loader
from tests.python.integration.conftest import ROOT

REAL_PRICES = ROOT / "seeds" / "dse_sample_prices.csv"
SCHEMA = "analytics"
OLD_INDEXES = {
    "indicators_pkey",
    "idx_indicators_jsonb_gin",
    "idx_indicators_scrip",
    "idx_indicators_trading_date",
}
CONTRACT_INDEXES = {
    "idx_indicators_jsonb_gin",
    "idx_indicators_scrip",
    "idx_indicators_trading_date",
}
PERTURBED = 1 + 1e-6  # every 10th old sma_5, far beyond the 1e-9 compare allows

# The old job's table, as it created it, and ~300 rows of documents with some of its keys
# (SMA_3, RSI_14, is_month_end, day_of_week) and a new one (sma_5) for two scrips, plus rows of
# a scrip the source no longer has.
OLD_TABLE = f"""
create schema {SCHEMA};
create table {SCHEMA}.indicators (
    scrip varchar(20),
    trading_date date,
    indicators jsonb,
    status varchar(20) default 'CALCULATED',
    notes text,
    created_at timestamptz,
    updated_at timestamptz,
    primary key (scrip, trading_date)
);
create index idx_indicators_jsonb_gin on {SCHEMA}.indicators using gin (indicators jsonb_path_ops);
create index idx_indicators_scrip on {SCHEMA}.indicators (scrip);
create index idx_indicators_trading_date on {SCHEMA}.indicators (trading_date);
"""

OLD_ROWS = f"""
insert into {SCHEMA}.indicators (scrip, trading_date, indicators, notes, created_at, updated_at)
select
    txn_scrip,
    txn_date,
    jsonb_build_object(
        'SMA_3', case when n >= 3 then sma_3 end,
        'RSI_14', case when n > 14 then 50 + (n % 7) end,
        'is_month_end', extract(day from txn_date + 3) <= 3,
        'day_of_week', extract(isodow from txn_date)::integer
    ) || case
        when n < 5 then '{{}}'::jsonb
        when n % 10 = 0 then jsonb_build_object('sma_5', sma_5 * {PERTURBED})
        else jsonb_build_object('sma_5', sma_5)
    end,
    case when n = 1 then 'first row' end,
    timestamptz '2024-06-01 10:00+06',
    timestamptz '2024-06-02 10:00+06'
from (
    select
        txn_scrip,
        txn_date,
        row_number() over w as n,
        avg(txn_close) over (w rows 2 preceding) as sma_3,
        avg(txn_close) over (w rows 4 preceding) as sma_5
    from public.ws_dse_daily_prices
    where txn_scrip in (
        select distinct txn_scrip from public.ws_dse_daily_prices order by 1 limit 2
    )
    window w as (partition by txn_scrip order by txn_date)
) as prices
where n <= 150;
insert into {SCHEMA}.indicators (scrip, trading_date, indicators)
select 'GONE', date '2020-01-01' + n, jsonb_build_object('SMA_3', null, 'day_of_week', 1)
from generate_series(1, 5) as n;
"""


def old_rows(conn, table: str = "indicators") -> list[tuple]:
    """Every row byte for byte, with where it lies and which transaction wrote it."""
    return conn.execute(
        f"select ctid::text, xmin::text, scrip, trading_date, indicators::text, status, notes,"
        f" created_at, updated_at from {SCHEMA}.{table} order by scrip, trading_date"
    ).fetchall()


def indexes(conn, table: str) -> set[str]:
    query = "select indexname from pg_indexes where schemaname = %s and tablename = %s"
    return {name for (name,) in conn.execute(query, [SCHEMA, table])}


@pytest.fixture(scope="module")
def legacy(project):
    with project.connect() as conn:
        loader.load_files(conn, [REAL_PRICES])
        conn.execute(OLD_TABLE)
        conn.execute(OLD_ROWS)
        before = old_rows(conn)
    assert 300 <= len(before) < 400
    return project, before


@pytest.mark.parametrize("args", [("run",), ("run", "--full-refresh"), ("build",)])
def test_dbt_stops_on_the_old_table_and_writes_nothing(legacy, args):
    project, before = legacy
    result = project.dbt(*args, check=False)
    assert result.returncode != 0
    assert "dse-indicators migrate" in result.stdout
    assert f"{SCHEMA}.indicators is the table of the old backfill job" in result.stdout
    with project.connect() as conn:
        assert old_rows(conn) == before
        assert indexes(conn, "indicators") == OLD_INDEXES
        assert not conn.execute(
            "select to_regclass('analytics.indicators__source_digests')"
        ).fetchone()[0]


def test_a_blocked_migration_changes_nothing(legacy, cli):
    project, before = legacy
    with project.connect() as conn:
        conn.execute(f"create view {SCHEMA}.indicators_legacy as select 1 as x")
    try:
        result = cli("migrate")
        assert result.code == 2
        assert "nothing was changed" in result.err
        assert "indicators_legacy" in result.err
        with project.connect() as conn:
            assert old_rows(conn) == before
            assert indexes(conn, "indicators") == OLD_INDEXES
    finally:
        with project.connect() as conn:
            conn.execute(f"drop view {SCHEMA}.indicators_legacy")


def test_migrate_keeps_every_row_and_renames_the_indexes(legacy, cli):
    project, before = legacy
    result = cli("migrate", "--schema", SCHEMA)
    assert result.code == 0, result.err
    assert "kept the old table as analytics.indicators_legacy (305 rows)" in result.out
    with project.connect() as conn:
        assert old_rows(conn, "indicators_legacy") == before
        assert indexes(conn, "indicators_legacy") == {
            "indicators_legacy_pkey",
            "idx_indicators_legacy_jsonb_gin",
            "idx_indicators_legacy_scrip",
            "idx_indicators_legacy_trading_date",
        }
        (constraint,) = conn.execute(
            "select conname from pg_constraint where contype = 'p'"
            " and conrelid = 'analytics.indicators_legacy'::regclass"
        ).fetchone()
        assert constraint == "indicators_legacy_pkey"
        assert conn.execute("select to_regclass('analytics.indicators')").fetchone()[0] is None
    again = cli("migrate")
    assert again.code == 0
    assert "already migrated" in again.out and "nothing to do" in again.out


def test_dbt_run_builds_the_new_table_under_the_old_index_names(legacy, cli):
    project, before = legacy
    project.dbt("run")
    with project.connect() as conn:
        names = indexes(conn, "indicators")
        assert CONTRACT_INDEXES | {"idx_indicators_updated_at"} <= names
        assert len(names) == 5  # and the primary key
        assert conn.execute(
            "select array_agg(distinct status), count(notes) from analytics.indicators"
        ).fetchone() == (["CALCULATED"], 0)
        assert old_rows(conn, "indicators_legacy") == before
    # A second and a third full refresh swap the table again: the names move with it.
    for _ in range(2):
        project.dbt("run", "--full-refresh")
        with project.connect() as conn:
            assert indexes(conn, "indicators") >= CONTRACT_INDEXES
            assert len(indexes(conn, "indicators")) == 5
            assert not conn.execute(
                "select to_regclass('analytics.indicators__dbt_backup')"
            ).fetchone()[0]
    # A daily run without change leaves every row alone, updated_at included.
    with project.connect() as conn:
        query = "select scrip, trading_date, xmin::text, updated_at from analytics.indicators"
        rows = set(conn.execute(query).fetchall())
    project.dbt("run")
    with project.connect() as conn:
        assert set(conn.execute(query).fetchall()) == rows
        assert old_rows(conn, "indicators_legacy") == before
    again = cli("migrate")
    assert (again.code, "nothing to do" in again.out) == (0, True)


def _differs(new, old) -> bool:
    """The rule compare states, written again: whole numbers and other values exactly."""
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (new, old))
    if numbers and not (isinstance(new, int) and isinstance(old, int)):
        return abs(new - old) > 1e-9 * max(1, abs(old))
    return new != old or type(new) is not type(old)


def test_compare_reports_each_key(legacy, cli):
    project, _ = legacy
    with project.connect() as conn:
        new = dict(
            ((s, d), doc)
            for s, d, doc in conn.execute(
                "select scrip, trading_date, indicators from analytics.indicators"
            )
        )
        old = dict(
            ((s, d), doc)
            for s, d, doc in conn.execute(
                "select scrip, trading_date, indicators from analytics.indicators_legacy"
            )
        )
    result = cli("compare", "--against", "indicators_legacy", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["rows_in_both"] == len(new.keys() & old.keys()) == 300
    assert report["rows_only_old"] == 5  # GONE
    assert report["rows_only_new"] == len(new) - 300
    keys = {k["key"]: k for k in report["keys"]}
    every_key = set().union(*new.values(), *old.values())
    assert set(keys) == every_key
    for key in ["sma_5", "SMA_3", "RSI_14", "is_month_end", "day_of_week", "rsi_14"]:
        both = [
            (new[r][key], old[r][key])
            for r in new.keys() & old.keys()
            if key in new[r] and key in old[r]
        ]
        expected = {
            "compared": len(both),
            "differing": sum(_differs(n, o) for n, o in both),
            "only_new": sum(key in doc and key not in old.get(r, {}) for r, doc in new.items()),
            "only_old": sum(key in doc and key not in new.get(r, {}) for r, doc in old.items()),
        }
        assert {k: keys[key][k] for k in expected} == expected, key
    # The old job's keys are in both tables: SMA_3 (the same mean of 3 closes, JSON null on the
    # first two rows of each), is_month_end and day_of_week agree on every row; RSI_14 (made-up
    # values here) does not. sma_5 is in both, and every perturbed row (every 10th of a scrip,
    # 15 + 15) differs.
    for key in ("SMA_3", "is_month_end", "day_of_week"):
        assert (keys[key]["compared"], keys[key]["differing"]) == (300, 0), key
    assert keys["RSI_14"]["differing"] > 0
    assert keys["sma_5"]["compared"] == 2 * 146
    assert keys["sma_5"]["differing"] >= 30
    assert keys["sma_5"]["largest_difference"] > 0
    text = cli("compare", "--against", "indicators_legacy")
    assert text.code == 0
    assert "300 rows in both" in text.out and "5 only in indicators_legacy" in text.out
    assert any(line.split()[:2] == ["sma_5", "292"] for line in text.out.splitlines())
