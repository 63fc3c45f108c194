"""Behaviour the other modules leave untested: a wrong source mapping fails the build, the
non_finite_price reason, a malformed run_date, an open-only correction, export after deleted
rows and a new listing, status with vanished rows, and the loader on odd files."""

from __future__ import annotations

import datetime
import json

import pyarrow.parquet as pq
import pytest

from dse_indicators import loader
from tests.python.integration.checks import row_versions
from tests.python.integration.conftest import ROOT
from tests.python.integration.test_incremental import SOURCE, assert_same_as_full_refresh

REAL_PRICES = ROOT / "seeds" / "dse_sample_prices.csv"
HEADER = "txn_scrip,txn_date,txn_open,txn_high,txn_low,txn_close,txn_volume\n"


@pytest.fixture(scope="module")
def built(project):
    with project.connect() as conn:
        loader.load_files(conn, [REAL_PRICES])
        conn.execute(f"delete from {SOURCE} where txn_date > '2025-12-31'")
    project.dbt("build")
    return project


# --------------------------------------------------------------------------- a wrong mapping


def test_a_mapping_that_rejects_every_row_fails_the_build_naming_the_vars(built):
    with built.connect() as conn:
        conn.execute(f"alter table {SOURCE} add column closep numeric")  # all null
    wrong = ("--vars", "{col_close: closep}", "--exclude-resource-type", "unit_test")
    try:
        result = built.dbt("build", *wrong, schema="wrong", check=False)
        assert result.returncode != 0
        assert "FAIL 1 dse_most_source_rows_are_accepted_indicators_0_5" in result.stdout
        # The failing row says what to check.
        compiled = next(
            (built.work / "target" / "compiled").rglob(
                "dse_most_source_rows_are_accepted_indicators_0_5.sql"
            )
        )
        with built.connect() as conn:
            conn.execute("set search_path = wrong")
            (problem,) = conn.execute(
                f"select problem from ({compiled.read_text()}) as t"
            ).fetchone()
            assert conn.execute("select count(*) from wrong.indicators").fetchone() == (0,)
        assert problem.startswith("only 0 of ")
        assert "most often rejected as missing_price" in problem
        assert "check the vars source_schema, source_table and col_scrip" in problem
        assert "txn_open, txn_high, txn_low, closep, txn_volume" in problem
        # Without that test the build is green, on an empty table.
        quiet = built.dbt(
            "build", *wrong, "--exclude", "test_name:dse_most_source_rows_are_accepted",
            "--full-refresh", schema="wrong", check=False,
        )  # fmt: skip
        assert quiet.returncode == 0, quiet.stdout
    finally:
        with built.connect() as conn:
            conn.execute("drop schema if exists wrong cascade")
            conn.execute(f"alter table {SOURCE} drop column closep")


def test_a_daily_build_without_change_tests_no_source_row(built):
    # The share is taken over the buckets the last run compared: none after a run without
    # change, so the test costs nothing there and passes.
    result = built.dbt("build", "--select", "indicators")
    assert "dse_most_source_rows_are_accepted" in result.stdout


# --------------------------------------------------------------------------- the daily run


def test_a_non_finite_price_is_rejected_with_its_reason(built):
    with built.connect() as conn:
        conn.execute(
            f"insert into {SOURCE} values ('GP', '2019-06-07', 300, 'NaN', 290, 295, 10),"
            " ('GP', '2019-06-08', 300, 310, 290, 'Infinity', 10),"
            " ('GP', '2019-06-09', 300, 310, '-Infinity', 295, 10)"
        )
    built.dbt("run")
    with built.connect() as conn:
        found = conn.execute(
            "select trading_date, reason from analytics.price_rejects where scrip = 'GP'"
            " and trading_date between '2019-06-07' and '2019-06-09' order by 1"
        ).fetchall()
        conn.execute(f"delete from {SOURCE} where txn_scrip = 'GP' and txn_date between"
                     " '2019-06-07' and '2019-06-09'")  # fmt: skip
    assert [reason for _, reason in found] == ["non_finite_price"] * 3


@pytest.mark.parametrize(
    ("run_date", "message"),
    [("2024-02-30", "is not a calendar date"), ("30/01/2024", "must be a date written YYYY-MM-DD")],
)
def test_a_malformed_run_date_stops_the_run_before_writing(built, run_date, message):
    with built.connect() as conn:
        conn.execute(
            f"update {SOURCE} set txn_close = txn_close + 1"
            " where txn_scrip = 'BATBC' and txn_date = '2024-06-04'"
        )
        before = row_versions(conn)
    result = built.dbt("run", "--vars", f"{{run_date: '{run_date}'}}", check=False)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
    with built.connect() as conn:
        assert row_versions(conn) == before


def test_an_open_only_correction_is_seen_by_a_daily_run(built):
    day = datetime.date(2023, 5, 8)
    with built.connect() as conn:
        (old,) = conn.execute(
            "select price_open from analytics.indicators where scrip = 'SQURPHARMA'"
            " and trading_date = %s",
            [day],
        ).fetchone()
        conn.execute(
            f"update {SOURCE} set txn_open = txn_open + 0.5"
            " where txn_scrip = 'SQURPHARMA' and txn_date = %s",
            [day],
        )
    built.dbt("run")
    with built.connect() as conn:
        (new,) = conn.execute(
            "select price_open from analytics.indicators where scrip = 'SQURPHARMA'"
            " and trading_date = %s",
            [day],
        ).fetchone()
    assert new == old + 0.5
    assert_same_as_full_refresh(built)


# --------------------------------------------------------------------------- status, export


def test_status_counts_vanished_rows_until_dbt_runs(cli, built):
    built.dbt("run")
    with built.connect() as conn:
        conn.execute(
            f"create table public.kept as select * from {SOURCE}"
            " where txn_scrip = 'BATBC' and txn_date between '2022-01-01' and '2022-01-31'"
        )
        (gone,) = conn.execute("select count(*) from public.kept").fetchone()
        conn.execute(
            f"delete from {SOURCE}"
            " where txn_scrip = 'BATBC' and txn_date between '2022-01-01' and '2022-01-31'"
        )
    result = cli("status", "--json")
    report = json.loads(result.out)
    assert result.code == 1 and gone > 5
    assert report["vanished"] == gone and report["up_to_date"] is False
    per_scrip = {s["scrip"]: s for s in report["per_scrip"]}
    assert per_scrip["BATBC"]["vanished"] == gone
    assert "vanished" in cli("status").out
    built.dbt("run")
    after = cli("status", "--json")
    assert after.code == 0 and json.loads(after.out)["vanished"] == 0
    with built.connect() as conn:
        conn.execute(f"insert into {SOURCE} select * from public.kept")
        conn.execute("drop table public.kept")
    built.dbt("run")


def exported(folder) -> dict:
    table = pq.read_table(folder, columns=["scrip", "trading_date", "price_close", "sma_5"])
    return {
        (s, d): (c, v)
        for s, d, c, v in zip(*(table[n].to_pylist() for n in table.column_names[:4]), strict=True)
    }


def table_rows(built) -> dict:
    with built.connect() as conn:
        rows = conn.execute(
            "select scrip, trading_date, price_close, (indicators ->> 'sma_5')::float8"
            " from analytics.indicators"
        ).fetchall()
    return {(s, d): (c, v) for s, d, c, v in rows}


def test_export_after_deleted_rows_and_a_new_listing(cli, built, tmp_path):
    out = tmp_path / "features"
    assert cli("export", "-o", out, "--keys", "sma_5").code == 0
    assert exported(out) == table_rows(built)
    with built.connect() as conn:
        conn.execute(
            f"insert into {SOURCE} select 'NEWCO', txn_date, txn_open, txn_high, txn_low,"
            f" txn_close, txn_volume from {SOURCE} where txn_scrip = 'GP'"
            " and txn_date >= '2025-11-01'"
        )
        conn.execute(f"delete from {SOURCE} where txn_scrip = 'GP' and txn_date = '2025-06-03'")
    built.dbt("run")
    second = cli("export", "-o", out)
    assert second.code == 0, second.err
    # The new listing is appended whole; the rows after the deleted one were recomputed, and
    # the export says so and how to mend it.
    got = exported(out)
    assert {k: v for k, v in got.items() if k[0] == "NEWCO"} == {
        k: v for k, v in table_rows(built).items() if k[0] == "NEWCO"
    }
    assert "recomputed after they were exported" in second.err and "--rebuild" in second.err
    assert cli("export", "-o", out, "--rebuild").code == 0
    assert exported(out) == table_rows(built)
    assert ("GP", datetime.date(2025, 6, 3)) not in exported(out)


# --------------------------------------------------------------------------- load


@pytest.mark.parametrize(
    ("name", "text"),
    [("empty", ""), ("header_only", HEADER)],
)
def test_load_of_a_file_without_rows_writes_nothing(cli, built, tmp_path, name, text):
    file = tmp_path / f"{name}.csv"
    file.write_text(text)
    with built.connect() as conn:
        (before,) = conn.execute(f"select count(*) from {SOURCE}").fetchone()
    result = cli("load", file)
    with built.connect() as conn:
        (after,) = conn.execute(f"select count(*) from {SOURCE}").fetchone()
    assert after == before
    assert result.code in (0, 2), result.err
    assert "Traceback" not in result.err


def test_load_reads_a_file_with_a_byte_order_mark(cli, built, tmp_path):
    file = tmp_path / "bom.csv"
    file.write_bytes(b"\xef\xbb\xbf" + (HEADER + "BOMCO,2025-03-02,10,11,9,10.5,100\n").encode())
    result = cli("load", file)
    assert result.code == 0, result.err
    with built.connect() as conn:
        found = conn.execute(f"select txn_close from {SOURCE} where txn_scrip = 'BOMCO'").fetchall()
        conn.execute(f"delete from {SOURCE} where txn_scrip = 'BOMCO'")
    assert [float(c) for (c,) in found] == [10.5]


@pytest.mark.parametrize(
    ("word", "stored"),
    [("nan", "NaN"), ("NaN", "NaN"), ("inf", "Infinity"), ("Infinity", "Infinity"),
     ("-inf", "-Infinity")],
)  # fmt: skip
def test_load_of_nan_or_inf_keeps_the_row_and_reports_its_reject(
    cli, built, tmp_path, word, stored
):
    # Like a missing key, a non-finite price is a reject, not a load error: the row is written
    # as it is and the load says dbt will reject it (non_finite_price).
    file = tmp_path / "odd.csv"
    file.write_text(HEADER + f"ODDCO,2025-03-02,10,{word},9,10.5,100\n")
    result = cli("load", file)
    with built.connect() as conn:
        found = conn.execute(
            f"select txn_high::text from {SOURCE} where txn_scrip = 'ODDCO'"
        ).fetchall()
        conn.execute(f"delete from {SOURCE} where txn_scrip = 'ODDCO'")
    assert result.code == 0, result.err
    assert found == [(stored,)]
    assert "1 row will be rejected by the cleaning rules (non_finite_price 1)" in result.out
