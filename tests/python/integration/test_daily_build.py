"""The daily job as users run it: `dbt build` tests the rows its run wrote, and catches a
duplicate, a missing row and an insane value among them; price_rejects follows each change
exactly; no demo rows ever reach the database; `dbt run` then `dbt test` pass on a fresh one."""

from __future__ import annotations

import datetime

import pytest

from dse_indicators import source_table
from dse_indicators.sample import generate_prices

SOURCE = "public.ws_dse_daily_prices"
TABLE = "analytics.indicators"


def failed_tests(result) -> set[str]:
    """The names of the data tests a dbt run reports as failing."""
    return {
        line.split(" FAIL ", 1)[1].split()[1]
        for line in result.stdout.splitlines()
        if " FAIL " in line and "[" in line
    }


@pytest.fixture(scope="module")
def daily(project):
    """Generated dirty prices built once; the last day held back, then released and run."""
    sample = generate_prices(8, 140, seed=23)
    last_day = sample.calendar[-1]
    with project.connect() as conn:
        source_table.create(conn)
        source_table.copy_frame(conn, sample.prices)
        conn.execute(
            f"create table public.held_back as select * from {SOURCE} where txn_date = %s",
            [last_day],
        )
        conn.execute(f"delete from {SOURCE} where txn_date = %s", [last_day])
    run_date = f"{{run_date: '{last_day}'}}"
    project.dbt("run", "--full-refresh", "--vars", run_date)
    with project.connect() as conn:
        conn.execute(f"insert into {SOURCE} select * from public.held_back")
    project.dbt("run", "--vars", run_date)
    return project, run_date, last_day


def test_run_then_test_pass_on_a_fresh_database_without_seeds(daily):
    project, run_date, _ = daily
    result = project.dbt("test", "--vars", run_date)
    assert result.returncode == 0 and "ERROR=0" in result.stdout and not failed_tests(result)
    with project.connect() as conn:
        seeded = conn.execute(
            "select count(*) from pg_class "
            "where relname in ('dse_sample_prices', 'indicator_catalogue')"
        ).fetchone()[0]
    assert seeded == 0


def test_a_build_writes_no_demo_rows(daily):
    project, run_date, _ = daily
    project.dbt("build", "--vars", run_date)
    with project.connect() as conn:
        demo = conn.execute("select count(*) from pg_class where relname = 'dse_sample_prices'")
        assert demo.fetchone()[0] == 0
        # The catalogue is the project's own data, not a demo: it is seeded.
        assert conn.execute("select count(*) from analytics.indicator_catalogue").fetchone()[0] > 30


def test_the_daily_tests_read_the_rows_of_the_last_run(daily):
    project, _, last_day = daily
    with project.connect() as conn:
        (last_run,) = conn.execute(f"select max(updated_at) from {TABLE}").fetchone()
        dates = conn.execute(
            f"select distinct trading_date from {TABLE} where updated_at = %s", [last_run]
        ).fetchall()
    assert dates == [(last_day,)]


def plant_and_test(project, run_date, plant: list[str], undo: list[str], full: bool = False):
    with project.connect() as conn:
        for statement in plant:
            conn.execute(statement)
    try:
        vars_ = run_date[:-1] + (", full_tests: true}" if full else "}")
        return project.dbt("test", "--select", "indicators", "--vars", vars_, check=False)
    finally:
        with project.connect() as conn:
            for statement in undo:
                conn.execute(statement)


def rsi_set_to(value: str, scrip: str, day: datetime.date) -> tuple[list[str], list[str]]:
    """Statements that set one row's rsi_14, and those that put the row's document back."""
    where = f"where scrip = '{scrip}' and trading_date = '{day}'"
    plant = [
        f"create table public.saved as select * from {TABLE} {where}",
        f"update {TABLE} set indicators = jsonb_set(indicators, '{{rsi_14}}', '{value}') {where}",
    ]
    undo = [
        f"update {TABLE} as t set indicators = s.indicators from public.saved as s "
        f"where t.scrip = s.scrip and t.trading_date = s.trading_date",
        "drop table public.saved",
    ]
    return plant, undo


def last_run_row(project) -> tuple[str, datetime.date]:
    with project.connect() as conn:
        return conn.execute(
            f"select scrip, trading_date from {TABLE} "
            f"where updated_at = (select max(updated_at) from {TABLE}) and indicators ? 'rsi_14' "
            f"order by scrip limit 1"
        ).fetchone()


def test_an_insane_value_in_the_last_run_fails_the_build(daily):
    project, run_date, _ = daily
    result = plant_and_test(project, run_date, *rsi_set_to("150", *last_run_row(project)))
    assert result.returncode != 0
    assert "dse_indicator_values_are_sane_indicators_" in failed_tests(result)


def test_a_missing_row_in_the_last_run_fails_the_build(daily):
    project, run_date, _ = daily
    scrip, day = last_run_row(project)
    where = f"where scrip = '{scrip}' and trading_date = '{day}'"
    result = plant_and_test(
        project,
        run_date,
        [
            f"create table public.saved as select * from {TABLE} {where}",
            f"delete from {TABLE} {where}",
        ],
        [f"insert into {TABLE} select * from public.saved", "drop table public.saved"],
    )
    assert result.returncode != 0
    assert "dse_one_row_per_accepted_price_indicators_" in failed_tests(result)


def test_a_duplicate_in_the_last_run_fails_the_build(daily):
    project, run_date, _ = daily
    scrip, day = last_run_row(project)
    with project.connect() as conn:
        (constraint,) = conn.execute(
            "select conname from pg_constraint where conrelid = %s::regclass and contype = 'p'",
            [TABLE],
        ).fetchone()
    result = plant_and_test(
        project,
        run_date,
        [
            f"alter table {TABLE} drop constraint {constraint}",
            f"insert into {TABLE} select * from {TABLE} "
            f"where scrip = '{scrip}' and trading_date = '{day}'",
        ],
        [
            f"delete from {TABLE} as t using (select ctid, row_number() over "
            f"(partition by scrip, trading_date) as n from {TABLE}) as d "
            f"where t.ctid = d.ctid and d.n > 1",
            f"alter table {TABLE} add primary key (scrip, trading_date)",
        ],
    )
    assert result.returncode != 0
    assert "dse_unique_combination_indicators_scrip__trading_date__True" in failed_tests(result)


def test_a_fault_in_an_older_row_is_found_by_the_full_tests(daily):
    """The daily build reads the last run's rows; --vars full_tests reads them all."""
    project, run_date, last_day = daily
    with project.connect() as conn:
        older = conn.execute(
            f"select scrip, trading_date from {TABLE} where trading_date < %s "
            f"and indicators ? 'rsi_14' order by trading_date limit 1",
            [last_day],
        ).fetchone()
    plant, undo = rsi_set_to("-5", *older)
    daily_result = plant_and_test(project, run_date, plant, undo)
    full_result = plant_and_test(project, run_date, plant, undo, full=True)
    assert "dse_indicator_values_are_sane_indicators_" not in failed_tests(daily_result)
    assert "dse_indicator_values_are_sane_indicators_" in failed_tests(full_result)


def rejects(conn, relation: str, reason: str) -> list[tuple]:
    return sorted(
        conn.execute(
            f"select scrip, trading_date, {reason}, raw_open, raw_high, raw_low, raw_close, "
            f"{'raw_volume' if reason == 'reason' else 'volume'} from {relation}"
            f"{' where reject_reason is not null' if reason != 'reason' else ''}"
        ).fetchall(),
        key=repr,
    )


@pytest.mark.parametrize(
    "change",
    [
        "insert into {source} values ('ZZNEW', '2025-01-05', 10, 9, 11, 10, 100)",
        "insert into {source} values (null, '2025-01-06', 10, 11, 9, 10, 100)",
        "insert into {source} values ('ZZNEW', null, 10, 11, 9, 10, 100)",
        "update {source} set txn_low = txn_high + 1 where ctid = (select min(ctid) from {source})",
        "delete from {source} where txn_scrip is null",
        "delete from {source} where txn_volume < 0",
    ],
)
def test_price_rejects_follows_every_change_exactly(daily, change):
    project, run_date, _ = daily
    with project.connect() as conn:
        conn.execute(change.format(source=SOURCE))
    project.dbt("run", "--vars", run_date)
    with project.connect() as conn:
        got = rejects(conn, "analytics.price_rejects", "reason")
        want = rejects(conn, "analytics.stg_dse__prices", "reject_reason")
    assert got == want and got
