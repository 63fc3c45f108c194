"""The whole pipeline on generated and real prices: dbt build, then every key against TA-Lib."""

from __future__ import annotations

import datetime
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from dse_indicators import catalogue, loader, source_table
from dse_indicators.sample import generate_prices
from tests.python.cleaning_rules import read_source
from tests.python.integration.checks import (
    assert_equals_talib,
    assert_prices_are_the_source,
    compare_with_talib,
    read_table,
    row_versions,
)
from tests.python.talib_oracle import talib_keys

ROOT = Path(__file__).resolve().parents[3]
REAL_PRICES = ROOT / "seeds" / "dse_sample_prices.csv"
KEYS = set(talib_keys(*[np.ones(1)] * 5))  # every TA-Lib key of the contract


@pytest.fixture(scope="module")
def sample():
    return generate_prices(12, 320, seed=11)


@pytest.fixture(scope="module")
def built(project, sample):
    """Generated (dirty) and real prices in the source table, then `dbt build`."""
    with project.connect() as conn:
        loader.load_files(conn, [REAL_PRICES])
        # Real scrips get a prefix: the generator may use the same codes.
        conn.execute("update public.ws_dse_daily_prices set txn_scrip = 'REAL.' || txn_scrip")
        source_table.copy_frame(conn, sample.prices)
    result = project.dbt("build", "--vars", f"{{run_date: '{sample.calendar[-1]}'}}")
    return project, result


def test_build_passes_its_data_tests(built):
    _, result = built
    assert "ERROR=0" in result.stdout
    # Rejected rows are reported as a warning, never as a failure (rows without scrip or date
    # too: they are rejects like any other).
    warned = {
        line.split(" WARN ")[1].split()[1]
        for line in result.stdout.splitlines()
        if " WARN " in line
    }
    assert warned == {"dse_no_rows_price_rejects_"}


def test_the_stored_prices_are_the_source_cleaned_by_the_contract(built, sample):
    project, _ = built
    with project.connect() as conn:
        assert_prices_are_the_source(read_table(conn), read_source(conn, sample.calendar[-1]))


def test_the_rejects_are_those_of_the_contracts_rules(built, sample):
    project, _ = built
    with project.connect() as conn:
        found = conn.execute("select scrip, trading_date, reason from analytics.price_rejects")
        rejected = Counter(found.fetchall())
        cleaned = read_source(conn, sample.calendar[-1])
    assert rejected == Counter(cleaned.rejects)


def test_every_key_equals_talib_on_every_row(built, sample):
    project, _ = built
    with project.connect() as conn:
        by_scrip = read_table(conn)
        cleaned = read_source(conn, sample.calendar[-1])
    report = compare_with_talib(by_scrip, KEYS, cleaned)
    assert_equals_talib(report)
    # Beside them, the old job's keys (test_backfill_keys.py compares their values).
    found = {k for rows in by_scrip.values() for row in rows for k in row[6]}
    assert found == KEYS | set(catalogue.keys("backfill"))
    assert all(entry["rows"] == sum(map(len, by_scrip.values())) for entry in report.values())


def test_one_row_per_accepted_price_row(built, sample):
    project, _ = built
    with project.connect() as conn:
        (rows,) = conn.execute("select count(*) from analytics.indicators").fetchone()
        # The real rows are clean, but those after the run date are rejected as future ones.
        (real_rows,) = conn.execute(
            "select count(*) from public.ws_dse_daily_prices where txn_scrip like 'REAL.%%' "
            "and txn_date <= %s",
            [sample.calendar[-1] + datetime.timedelta(days=1)],
        ).fetchone()
    assert rows == len(sample.prices) - len(sample.expected_rejects) + real_rows


def test_each_dirty_row_is_rejected_with_its_reason(built, sample):
    project, _ = built
    with project.connect() as conn:
        found = conn.execute("select scrip, trading_date, reason from analytics.price_rejects")
        rejected = Counter(
            row for row in found.fetchall() if not (row[0] or "").startswith("REAL.")
        )
    expected = Counter(
        (None if s != s or s is None else s, None if d is None or d != d else d, r)
        for s, d, r in sample.expected_rejects.itertuples(index=False, name=None)
    )
    assert rejected == expected
    assert len(set(r for _, _, r in expected)) >= 8


def test_a_second_run_rewrites_no_row(built, sample):
    project, _ = built
    with project.connect() as conn:
        before = row_versions(conn)
        project.dbt("run", "--vars", f"{{run_date: '{sample.calendar[-1]}'}}")
        after = row_versions(conn)
    assert before == after


def test_the_state_is_stored_out_of_line_and_the_document_inline(built):
    # Set between dbt's CREATE TABLE and its INSERT (macros/run/dse_create_table_as.sql): a
    # full refresh writes its rows uncompressed, and scans of the table skip the state.
    project, _ = built
    with project.connect() as conn:
        storage = dict(
            conn.execute(
                "select attname, attstorage from pg_attribute"
                " where attrelid = 'analytics.indicators'::regclass and attnum > 0"
            ).fetchall()
        )
        rejects = conn.execute(
            "select attstorage from pg_attribute"
            " where attrelid = 'analytics.price_rejects'::regclass and attname = 'reason'"
        ).fetchone()[0]
    assert (storage["state"], storage["indicators"], storage["features"]) == ("e", "m", "m")
    assert rejects == "x"  # other models get dbt's own table
