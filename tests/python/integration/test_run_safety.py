"""Runs that overlap, die half way or run with few rights still leave exactly a full refresh."""

from __future__ import annotations

import os
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


def table_checksum(conn) -> tuple[str, str]:
    """An md5 of every row of the table and of its digests, in key order."""
    return conn.execute(
        "select (select md5(string_agg(i::text, '|' order by scrip, trading_date))"
        " from analytics.indicators as i),"
        " (select md5(string_agg(d::text, '|' order by scrip, bucket))"
        " from analytics.indicators__source_digests as d)"
    ).fetchone()


def wait_for(conn, query: str, seconds: float = 120.0):
    """Poll until the query returns a row; that row, or None."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = conn.execute(query).fetchone()
        if found:
            return found
        time.sleep(0.05)
    return None


def test_a_run_killed_inside_its_merge_leaves_the_table_unchanged(built):
    release_days(built, "2025-10-31")
    with built.connect() as conn:
        conn.execute(
            f"update {SOURCE} set txn_close = txn_close * 1.01 where txn_date = '2024-03-03'"
        )
        before = table_checksum(conn), row_versions(conn)
    # Hold one row the merge must rewrite, so that the kill surely lands inside the merge.
    blocker = built.connect(autocommit=False)
    blocker.execute(
        "select 1 from analytics.indicators where scrip = 'GP' and trading_date = '2024-03-03'"
        " for update"
    )
    process = built.dbt_process("run", "--vars", "{recalc_since: '2015-01-01'}")
    with built.connect() as watcher:
        merging = wait_for(
            watcher,
            "select a.pid from pg_stat_activity as a where a.query ilike '%%merge into%%'"
            " and a.state = 'active' and a.wait_event_type = 'Lock'"
            " and exists (select from pg_locks as l where l.pid = a.pid"
            " and l.locktype = 'advisory' and l.granted)",
        )
        assert merging, "the merge never started while holding the model's lock"
        process.send_signal(signal.SIGKILL)
        process.wait()
        blocker.rollback()
        blocker.close()
        # The merge goes on to its end, then finds its client gone: no commit.
        gone = wait_for(
            watcher,
            f"select 1 where not exists (select from pg_stat_activity where pid = {merging[0]})",
        )
        assert gone, "the killed run's session is still there"
        assert (table_checksum(watcher), row_versions(watcher)) == before
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
