"""Daily runs against every kind of source change: each leaves exactly what a full refresh of
the same source builds, and rows the change cannot affect keep their physical version."""

from __future__ import annotations

import datetime
import struct
from pathlib import Path

import pytest

from dse_indicators import loader
from tests.python.integration.checks import row_versions
from tests.python.talib_oracle import relative_difference

ROOT = Path(__file__).resolve().parents[3]
REAL_PRICES = ROOT / "seeds" / "dse_sample_prices.csv"
SOURCE = "public.ws_dse_daily_prices"
CUTOFF = datetime.date(2025, 12, 31)


def table_contents(conn, schema: str) -> dict[tuple, tuple]:
    """Each row's bytes: the document, row_num, and state, features and prices as float8send."""
    rows = conn.execute(
        f"select scrip, trading_date, indicators, row_num, "
        f"array(select float8send(x) from unnest(state) as x), state is null, features, "
        f"float8send(price_open), float8send(price_high), float8send(price_low), "
        f"float8send(price_close), price_volume from {schema}.indicators"
    )
    return {(r[0], r[1]): r[2:] for r in rows}


# Where a daily run may differ from a full refresh in the last bits, and by how much (relative).
# Every other key, the state, the features and the prices must be equal bit for bit.
# SMA 50 and 200 (README: "add the same closes in another order"): a daily run adds the sum of
# the stored part of the window to the new rows. A sum of n positive floats in any order is
# within (n - 1) * 2^-53 of the exact sum, relatively, so two orders differ by less than
# n * 2^-52: 1.1e-14 for 50 rows, 4.4e-14 for 200 (seen: 3.2e-15 on the real prices).
# The old job's SMA_50 is the same sum of 50 closes. Its AD_line is a signed sum of 200 terms
# mfm * volume, also summed in another order, but it may nearly cancel: two orders differ by
# less than 200 * 2^-52 of the sum of the terms' magnitudes (AD_LINE_MAGNITUDE), not of the sum.
LAST_BITS_TOLERANCE: dict[str, float] = {
    name: n * 2.0**-52
    for n, key in ((50, "sma_50"), (200, "sma_200"), (50, "SMA_50"))
    for name in (key, f"features.{key}")
}
AD_LINE_NAMES = ("AD_line", "features.AD_line")
AD_LINE_MAGNITUDE = """
    select scrip, trading_date, sum(abs(case when price_high = price_low then 0
        else ((price_close - price_low) - (price_high - price_close)) / (price_high - price_low)
        end * price_volume)) over (partition by scrip order by trading_date
        rows between 199 preceding and current row)
    from {schema}.indicators
"""


def _bits(value):
    return struct.pack(">d", value) if isinstance(value, float) else (type(value), value)


def assert_same_as_full_refresh(project) -> None:
    """Build the same source from scratch in another schema and compare row for row."""
    project.dbt("run", "--full-refresh", "--select", "+indicators", schema="expected")
    assert_same_tables(project, "analytics", "expected")


def assert_same_tables(project, got_schema: str, want_schema: str) -> None:
    with project.connect() as conn:
        got = table_contents(conn, got_schema)
        want = table_contents(conn, want_schema)
        magnitude = {
            (r[0], r[1]): r[2] for r in conn.execute(AD_LINE_MAGNITUDE.format(schema=want_schema))
        }
        (layout,) = conn.execute(
            "select col_description(attrelid, attnum) from pg_attribute where attrelid = "
            f"'{want_schema}.indicators'::regclass and attname = 'features'"
        ).fetchone()
    feature_keys = layout.removeprefix("keys ").split(",")
    assert got.keys() == want.keys()
    differing: dict[str, list] = {}

    def compare(key, name, got_value, want_value) -> None:
        if _bits(got_value) == _bits(want_value):
            return
        if (
            name in AD_LINE_NAMES
            and None not in (got_value, want_value)
            and abs(got_value - want_value) <= 200 * 2.0**-52 * magnitude[key]
        ):
            return
        allowed = LAST_BITS_TOLERANCE.get(name)
        if allowed is None or relative_difference(got_value, want_value) > allowed:
            differing.setdefault(name, []).append((key, got_value, want_value))

    for key, (indicators, row_num, state, no_state, features, *prices) in want.items():
        g_indicators, g_row_num, g_state, g_no_state, g_features, *g_prices = got[key]
        assert (g_row_num, g_state, g_no_state, g_prices) == (row_num, state, no_state, prices), (
            key,
            "row_num, state or prices differ",
        )
        assert g_indicators.keys() == indicators.keys(), key
        for name, value in indicators.items():
            compare(key, name, g_indicators[name], value)
        # features: the same bytes, but for the keys allowed to differ in their last bits.
        g_unpacked = struct.unpack(f">{len(feature_keys)}d", g_features)
        unpacked = struct.unpack(f">{len(feature_keys)}d", features)
        for name, g_value, value in zip(feature_keys, g_unpacked, unpacked, strict=True):
            compare(key, "features." + name, g_value, value)
    assert not differing, {name: (len(rows), rows[:2]) for name, rows in differing.items()}


def source_update(assignment: str, scrip: str, day: datetime.date) -> str:
    """An UPDATE of one source row, as a scraper's correction."""
    return f"update {SOURCE} set {assignment} where txn_scrip = '{scrip}' and txn_date = '{day}'"


def changed_rows(before: dict, after: dict) -> set[tuple]:
    return {key for key in before.keys() & after.keys() if before[key] != after[key]}


@pytest.fixture(scope="module")
def daily(project):
    """Real prices up to CUTOFF, built once; the rest of January 2026 is held back."""
    with project.connect() as conn:
        loader.load_files(conn, [REAL_PRICES])
        conn.execute(
            f"create table public.held_back as select * from {SOURCE} where txn_date > %s",
            [CUTOFF],
        )
        conn.execute(f"delete from {SOURCE} where txn_date > %s", [CUTOFF])
    project.dbt("run")
    return project


def run_after(project, *statements: str, vars: str | None = None) -> tuple[dict, dict]:
    """Apply the source change, run `dbt run`, return row versions before and after."""
    with project.connect() as conn:
        before = row_versions(conn)
        for statement in statements:
            conn.execute(statement)
    project.dbt("run", *(["--vars", vars] if vars else []))
    with project.connect() as conn:
        after = row_versions(conn)
    return before, after


def test_a_run_without_change_writes_nothing(daily):
    before, after = run_after(daily)
    assert before == after


def test_a_new_day_adds_one_row_per_scrip_and_rewrites_nothing(daily):
    first_day = (
        f"insert into {SOURCE} select * from public.held_back where txn_date = "
        f"(select min(txn_date) from public.held_back)"
    )
    before, after = run_after(
        daily,
        first_day,
        "delete from public.held_back where "
        "txn_date = (select min(txn_date) from public.held_back)",
    )
    assert len(after) - len(before) >= 5
    assert changed_rows(before, after) == set()
    assert_same_as_full_refresh(daily)


def test_many_new_days_at_once(daily):
    before, after = run_after(
        daily,
        f"insert into {SOURCE} select * from public.held_back where txn_date <= '2026-01-15'",
        "delete from public.held_back where txn_date <= '2026-01-15'",
    )
    assert len(after) > len(before)
    assert changed_rows(before, after) == set()
    assert_same_as_full_refresh(daily)


def test_a_corrected_close_recomputes_that_scrip_from_that_day_only(daily):
    day = datetime.date(2024, 6, 4)
    before, after = run_after(
        daily,
        f"update {SOURCE} set txn_close = txn_close + 1 "
        f"where txn_scrip = 'GP' and txn_date = '{day}'",
    )
    changed = changed_rows(before, after)
    assert changed and all(scrip == "GP" and date >= day for scrip, date in changed)
    assert all(
        key in changed for key in before if key[0] == "GP" and key[1] >= day and key in after
    )
    assert_same_as_full_refresh(daily)


def test_a_deleted_row_loses_its_indicators_and_later_rows_follow(daily):
    day = datetime.date(2023, 3, 5)
    before, after = run_after(
        daily, f"delete from {SOURCE} where txn_scrip = 'BATBC' and txn_date = '{day}'"
    )
    assert ("BATBC", day) in before and ("BATBC", day) not in after
    changed = changed_rows(before, after)
    assert all(scrip == "BATBC" and date > day for scrip, date in changed)
    assert_same_as_full_refresh(daily)


def test_a_late_back_dated_row_is_slotted_in(daily):
    # Friday is no DSE trading day, so no row exists there yet.
    day = datetime.date(2022, 7, 8)
    before, after = run_after(
        daily,
        f"insert into {SOURCE} values ('SQURPHARMA', '{day}', 210.5, 212.5, 209.5, 211.5, 1000)",
    )
    assert ("SQURPHARMA", day) in after
    changed = changed_rows(before, after)
    assert changed and all(scrip == "SQURPHARMA" and date > day for scrip, date in changed)
    assert_same_as_full_refresh(daily)


def test_a_rejected_row_that_is_fixed_later_joins_the_series(daily):
    day = datetime.date(2021, 2, 4)
    run_after(daily, source_update("txn_low = txn_high + 1", "AAMRANET", day))
    with daily.connect() as conn:
        rows = row_versions(conn)
        (reason,) = conn.execute(
            f"select reason from analytics.price_rejects where scrip = 'AAMRANET' "
            f"and trading_date = '{day}'"
        ).fetchone()
    assert ("AAMRANET", day) not in rows and reason == "high_below_low"
    assert_same_as_full_refresh(daily)
    run_after(daily, source_update("txn_low = txn_high - 0.1", "AAMRANET", day))
    with daily.connect() as conn:
        assert ("AAMRANET", day) in row_versions(conn)
    assert_same_as_full_refresh(daily)


def test_a_new_listing_and_a_delisting(daily):
    before, after = run_after(
        daily,
        f"insert into {SOURCE} select 'NEWLIST', txn_date, txn_open, txn_high, txn_low, "
        f"txn_close, txn_volume from {SOURCE} where txn_scrip = 'GP' and txn_date >= '2025-06-01'",
        f"delete from {SOURCE} where txn_scrip = 'TB20Y0744'",
    )
    assert any(scrip == "NEWLIST" for scrip, _ in after)
    assert not any(scrip == "TB20Y0744" for scrip, _ in after)
    assert changed_rows(before, after) == set()
    assert_same_as_full_refresh(daily)


def test_recalc_since_rewrites_exactly_the_asked_rows(daily):
    before, after = run_after(
        daily, vars="{recalc_since: '2025-11-02', recalc_scrips: [BATBC, GP]}"
    )
    changed = changed_rows(before, after)
    expected = {
        key for key in before if key[0] in ("BATBC", "GP") and key[1] >= datetime.date(2025, 11, 2)
    }
    assert changed == expected and expected
    assert_same_as_full_refresh(daily)


@pytest.mark.parametrize(
    ("vars", "message"),
    [
        ("{recalc_since: '2025-13-01'}", "is not a calendar date"),
        ("{recalc_since: 'yesterday'}", "must be a date written YYYY-MM-DD"),
        ("{recalc_since: '2025-01-01', recalc_scrips: [NOSUCH]}", "does not have: NOSUCH"),
        ("{recalc_since: '2025-01-01', recalc_scrips: [\"GP'; drop table x; --\"]}", "scrip codes"),
        ("{recalc_scrips: [GP]}", "needs recalc_since"),
    ],
)
def test_a_bad_var_stops_the_run_before_anything_is_written(daily, vars, message):
    with daily.connect() as conn:
        before = row_versions(conn)
    result = daily.dbt("run", "--vars", vars, check=False)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
    with daily.connect() as conn:
        assert row_versions(conn) == before


@pytest.mark.parametrize(
    ("column", "other"), [("state", "layout ema_12:2"), ("features", "keys sma_5")]
)
def test_a_table_built_with_other_indicators_is_refused(daily, column, other):
    comment_of = (
        "select col_description(attrelid, attnum) from pg_attribute "
        "where attrelid = 'analytics.indicators'::regclass and attname = %s"
    )
    with daily.connect() as conn:
        (kept,) = conn.execute(comment_of, [column]).fetchone()
        conn.execute(f"comment on column analytics.indicators.{column} is '{other}'")
        before = row_versions(conn)
    result = daily.dbt("run", check=False)
    with daily.connect() as conn:
        assert row_versions(conn) == before
        conn.execute(f"comment on column analytics.indicators.{column} is '{kept}'")
    assert result.returncode != 0
    said = result.stdout + result.stderr
    assert f"{column}: stored {other}" in said
    assert "dbt run --full-refresh --select indicators" in said


def test_a_listing_with_one_row_continues_on_its_second_day(daily):
    # The volatility starts on a scrip's second row: its state must still sit in place.
    run_after(
        daily,
        f"insert into {SOURCE} values ('ONEDAY', '2025-12-01', 10.5, 11.5, 10.1, 11.0, 500)",
    )
    run_after(
        daily,
        f"insert into {SOURCE} values ('ONEDAY', '2025-12-02', 11.0, 11.9, 10.8, 11.6, 700)",
    )
    with daily.connect() as conn:
        assert ("ONEDAY", datetime.date(2025, 12, 2)) in row_versions(conn)
    assert_same_as_full_refresh(daily)


def stored_digests(conn) -> dict[tuple, tuple]:
    """The digests of the source's (scrip, bucket)s: not those of gone buckets (kept as null for
    the daily tests and price_rejects), nor the bucket of rows without a scrip or date."""
    rows = conn.execute(
        "select scrip, bucket, digest, xmin::text from analytics.indicators__source_digests "
        "where digest is not null and bucket <> -1"
    )
    return {(scrip, bucket): (digest, xmin) for scrip, bucket, digest, xmin in rows}


def test_the_stored_digests_cover_every_scrip_and_bucket_of_the_source(daily):
    run_after(daily)
    with daily.connect() as conn:
        digests = stored_digests(conn)
        (buckets,) = conn.execute(
            f"select count(distinct (txn_scrip, (txn_date - date '0001-01-01') / 128)) "
            f"from {SOURCE} where txn_scrip is not null and txn_date is not null"
        ).fetchone()
    assert len(digests) == buckets > 100
    # A run without change rewrites none of them either.
    run_after(daily)
    with daily.connect() as conn:
        assert stored_digests(conn) == digests


def test_a_corrected_volume_rewrites_one_digest(daily):
    day = datetime.date(2024, 3, 5)
    with daily.connect() as conn:
        before = stored_digests(conn)
    run_after(daily, source_update("txn_volume = txn_volume + 1000", "GP", day))
    with daily.connect() as conn:
        after = stored_digests(conn)
    bucket = (day - datetime.date(1, 1, 1)).days // 128
    assert {key for key in before if before[key] != after.get(key)} == {("GP", bucket)}
    assert_same_as_full_refresh(daily)


def test_a_corrected_close_on_a_no_trade_day_with_null_prices_is_seen(daily):
    # A row with a null value is hashed as one record, the others as a chain of hash calls.
    day = datetime.date(2024, 6, 4)
    no_trade_day = "txn_volume = 0, txn_open = null, txn_high = null, txn_low = null"
    run_after(daily, source_update(no_trade_day, "BATBC", day))
    before, after = run_after(daily, source_update("txn_close = txn_close + 1", "BATBC", day))
    changed = changed_rows(before, after)
    assert ("BATBC", day) in changed
    assert all(scrip == "BATBC" and date >= day for scrip, date in changed)
    assert_same_as_full_refresh(daily)


def test_a_lost_digest_table_costs_one_full_comparison_and_rewrites_nothing(daily):
    # The state after an upgrade from a version without digests, or after a manual drop.
    with daily.connect() as conn:
        kept = {key: digest for key, (digest, _) in stored_digests(conn).items()}
    before, after = run_after(daily, "drop table analytics.indicators__source_digests")
    assert before == after
    with daily.connect() as conn:
        assert {key: digest for key, (digest, _) in stored_digests(conn).items()} == kept


def test_a_future_row_joins_the_series_when_its_day_comes(daily):
    # Rejected while its date is more than a day ahead of the run date; no source change
    # later, only the run date moves on.
    last_day = "(select max(txn_date) from public.held_back)"
    run_after(
        daily,
        f"insert into {SOURCE} select * from public.held_back "
        f"where txn_scrip = 'GP' and txn_date = {last_day}",
        vars="{run_date: '2026-01-16'}",
    )
    with daily.connect() as conn:
        (held_day,) = conn.execute(f"select {last_day}").fetchone()
        (reason,) = conn.execute(
            "select reason from analytics.price_rejects where scrip = 'GP' and trading_date = %s",
            [held_day],
        ).fetchone()
        assert reason == "future_date" and ("GP", held_day) not in row_versions(conn)
    run_after(daily)
    with daily.connect() as conn:
        assert ("GP", held_day) in row_versions(conn)
    assert_same_as_full_refresh(daily)


def test_the_state_is_kept_on_every_sixteenth_row_only(daily):
    with daily.connect() as conn:
        kept, misplaced = conn.execute(
            "select count(*) filter (where state is not null), "
            "count(*) filter (where (state is not null) <> (row_num % 16 = 0)) "
            "from analytics.indicators"
        ).fetchone()
    assert kept > 0 and misplaced == 0


def test_a_perturbed_stored_state_is_caught_then_a_recalc_repairs_it(daily):
    # The comparison with a full refresh must see a stored EMA 12 (state slot 2, after the row
    # count) 1e-12 off, far inside the contract's 1e-9: the run continues from it, so GP's new
    # row carries the error.
    with daily.connect() as conn:
        (row_num, slot, last_day) = conn.execute(
            "select max(row_num) filter (where state is not null), "
            "(array_agg(state[2] order by row_num desc) filter (where state is not null))[1], "
            "max(trading_date) from analytics.indicators where scrip = 'GP'"
        ).fetchone()
        assert slot
        conn.execute(
            "update analytics.indicators set state[2] = state[2] * (1 + 1e-12) "
            "where scrip = 'GP' and row_num = %s",
            [row_num],
        )
    new_day = last_day + datetime.timedelta(days=1)
    run_after(
        daily,
        f"insert into {SOURCE} values ('GP', '{new_day}', 300.1, 301.5, 299.0, 300.6, 70000)",
    )
    with pytest.raises(AssertionError) as caught:
        assert_same_as_full_refresh(daily)
    assert "state" in str(caught.value)
    # The run continued from it: the new row's EMA is off, by less than the old 1e-9 tolerance.
    with daily.connect() as conn:
        got, want = (
            conn.execute(
                f"select (indicators ->> 'ema_12')::float8 from {schema}.indicators "
                "where scrip = 'GP' and trading_date = %s",
                [new_day],
            ).fetchone()[0]
            for schema in ("analytics", "expected")
        )
    assert got != want and relative_difference(got, want) < 1e-9
    run_after(daily, vars="{recalc_since: '2000-01-01', recalc_scrips: [GP]}")
    assert_same_as_full_refresh(daily)
