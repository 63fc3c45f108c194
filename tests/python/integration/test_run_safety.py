"""Runs that overlap, die half way or run with few rights still leave exactly a full refresh."""

from __future__ import annotations

import os
import random
import signal
import time

import pytest
from psycopg import sql

from dse_indicators import embedded, loader
from tests.python.integration.checks import row_versions
from tests.python.integration.conftest import ROOT
from tests.python.integration.test_incremental import (
    SOURCE,
    assert_same_as_full_refresh,
    assert_same_tables,
)

REAL_PRICES = ROOT / "seeds" / "dse_sample_prices.csv"


@pytest.fixture(scope="module")
def built(project):
    with project.connect() as conn:
        loader.load_files(conn, [REAL_PRICES])
        conn.execute(
            f"create table public.held_back as select * from {SOURCE} where txn_date > '2025-06-30'"
        )
        conn.execute(f"delete from {SOURCE} where txn_date > '2025-06-30'")
    project.dbt("run")
    return project


def release_days(project, until: str) -> None:
    """Move the held-back prices up to `until` into the source: new trading days arrive."""
    with project.connect() as conn:
        conn.execute(
            f"insert into {SOURCE} select * from public.held_back where txn_date <= %s", [until]
        )
        conn.execute("delete from public.held_back where txn_date <= %s", [until])


def test_two_runs_at_once_neither_corrupt_nor_duplicate(built):
    release_days(built, "2025-08-31")
    first = built.dbt_process("run")
    second = built.dbt_process("run")
    outputs = [process.communicate()[0] for process in (first, second)]
    if first.returncode or second.returncode:
        # In full: pytest shows a failed test's captured output, but cuts a long message short.
        for number, output in enumerate(outputs, start=1):
            print(f"--- run {number} ---\n{output}")
    assert [first.returncode, second.returncode] == [0, 0], [
        [line for line in output.splitlines() if "rror" in line] for output in outputs
    ]
    with built.connect() as conn:
        (duplicates,) = conn.execute(
            "select count(*) from (select 1 from analytics.indicators "
            "group by scrip, trading_date having count(*) > 1) as d"
        ).fetchone()
    assert duplicates == 0
    assert_same_as_full_refresh(built)


def test_a_killed_run_leaves_nothing_half_done(built):
    rng = random.Random(5)
    release_days(built, "2025-10-31")
    with built.connect() as conn:
        conn.execute(
            f"update {SOURCE} set txn_close = txn_close * 1.01 where txn_date = '2024-03-03'"
        )
    for _ in range(3):
        process = built.dbt_process("run", "--vars", "{recalc_since: '2015-01-01'}")
        time.sleep(rng.uniform(1.0, 6.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
    built.dbt("run")
    assert_same_as_full_refresh(built)


def test_a_server_restart_in_the_middle_of_a_merge(built):
    if os.environ.get("DSE_TEST_SERVER") == "env":
        pytest.skip("restarts the embedded server; the server under test is not ours to restart")
    release_days(built, "2025-12-31")
    blocker = built.connect(autocommit=False)
    # Hold one row the merge must update: the merge starts, writes, then waits on this lock.
    blocker.execute(
        "select 1 from analytics.indicators where scrip = 'GP' and trading_date = "
        "(select max(trading_date) from analytics.indicators where scrip = 'GP') for update"
    )
    process = built.dbt_process("run", "--vars", "{recalc_since: '2025-01-01'}")
    with built.connect() as watcher:
        for _ in range(600):
            waiting = watcher.execute(
                "select count(*) from pg_stat_activity where query ilike '%%merge into%%' "
                "and wait_event_type = 'Lock'"
            ).fetchone()[0]
            if waiting:
                break
            time.sleep(0.1)
    assert waiting, "the merge never started"
    embedded.stop(ROOT / ".pgdata")
    embedded.start(ROOT / ".pgdata")
    process.wait()
    assert process.returncode != 0
    built.dbt("run")
    assert_same_as_full_refresh(built)


def test_a_role_that_only_reads_the_source_runs_the_pipeline(built):
    with built.connect() as conn:
        conn.execute("drop schema if exists restricted cascade")
        conn.execute("drop role if exists dse_runner")
        conn.execute("create role dse_runner login")
        conn.execute("grant usage on schema public to dse_runner")
        conn.execute(f"grant select on {SOURCE} to dse_runner")
        conn.execute("create schema restricted authorization dse_runner")
        conn.execute(
            sql.SQL("revoke create on database {} from public").format(
                sql.Identifier(built.env["PGDATABASE"])
            )
        )
    runner = built.as_role("dse_runner", schema="restricted")
    runner.dbt("run")
    with built.connect() as conn:
        (owner,) = conn.execute(
            "select tableowner from pg_tables "
            "where schemaname = 'restricted' and tablename = 'indicators'"
        ).fetchone()
        before = row_versions(conn, "restricted")
    assert owner == "dse_runner"
    runner.dbt("run")
    with built.connect() as conn:
        assert row_versions(conn, "restricted") == before
    built.dbt("run")
    assert_same_tables(built, "restricted", "analytics")
