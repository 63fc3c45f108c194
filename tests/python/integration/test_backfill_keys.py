"""The 31 keys of the old backfill job (contract section 3) in the table, on every row and every
key, against the contract's formulas in numpy (`dse_indicators.reference.backfill`, written from
the contract, not from the SQL): the real GP series and generated scrips after a full refresh,
dirty generated scrips at the edges of the windows, scrips kept up to date by daily runs through
new days, corrections, a late row and deleted rows (then held to a full refresh), and the
`key_sets` var.

The reference's inputs are the source's raw rows cleaned by the contract's rules in plain Python
(tests/python/cleaning_rules.py), never the table's own prices, so a rejected row the SQL let into
a window, or a duplicate it resolved the wrong way, shows as a wrong value.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import json

import numpy as np
import pytest

from dse_indicators import project as dbt_project
from dse_indicators import sample, source_table
from dse_indicators.reference import KEYS
from dse_indicators.reference.backfill import (
    BACKFILL_KEYS,
    WINDOW,
    ad_line_magnitude,
    backfill_keys,
)
from tests.python.cleaning_rules import Bar, Cleaned, columns, read_source
from tests.python.integration.checks import (
    assert_prices_are_the_source,
    read_table,
    row_versions,
)
from tests.python.integration.conftest import ROOT
from tests.python.integration.test_incremental import assert_same_tables

TOLERANCE = 1e-9
INTEGER_KEYS = frozenset({"day_of_week", "week_of_month", "month"})
BOOLEAN_KEYS = frozenset({"is_month_end", "is_quarter_end"})
# AD_line is a signed sum of up to 200 terms mfm x volume, which the SQL adds in another order
# than numpy (in blocks). Where the terms cancel, the rounding is a fraction of the terms, not of
# the small result: so AD_line may also differ by 1e-9 x 1e-6 of sum |mfm x volume| over W.
AD_LINE_TERMS = 1e-6
# Keys whose value on a row depends on every row of W (the window restarts with W's first row).
WHOLE_WINDOW_KEYS = ("EMA_50", "MACD_line_12_26_9", "MACD_signal_12_26_9", "AD_line")

GP_PRICES = ROOT / "tests" / "python" / "data" / "GP.csv"


# --------------------------------------------------------------------------- the comparison


def expected_keys(bars: list[Bar]) -> dict[str, np.ndarray]:
    """The contract's formulas on one scrip's accepted rows."""
    return backfill_keys([b.trading_date for b in bars], *columns(bars))


def ad_line_terms(bars: list[Bar]) -> np.ndarray:
    """Per row, sum |mfm x volume| over W (the last min(t, 200) rows): AD_line's scale."""
    return ad_line_magnitude(*columns(bars)[1:])


def difference(key: str, got, want, terms: float) -> float | None:
    """How far a stored value is from the reference, in units of the tolerance's scale; None
    when it cannot be right at all (absent, null against a number, a wrong JSON type)."""
    if key in INTEGER_KEYS:
        return 0.0 if type(got) is int and got == int(want) else None
    if key in BOOLEAN_KEYS:
        return 0.0 if type(got) is bool and got == bool(want) else None
    if np.isnan(want) or got is None:
        return 0.0 if np.isnan(want) and got is None else None
    if type(got) not in (int, float):  # a JSON number; not a string, boolean or object
        return None
    if key == "OBV":  # integers summed: exact
        return 0.0 if got == want else None
    scale = max(1.0, abs(want), AD_LINE_TERMS * terms if key == "AD_line" else 0.0)
    return abs(got - want) / scale


def compare_backfill(
    by_scrip: dict[str, list[tuple]], cleaned: Cleaned, scrips: list[str] | None = None
) -> dict[str, dict]:
    """Per key: rows checked, the largest difference, and every mismatch as (scrip, row number,
    trading_date, stored value, reference value)."""
    report = {key: {"rows": 0, "worst": 0.0, "mismatches": []} for key in BACKFILL_KEYS}
    for scrip in scrips if scrips is not None else sorted(by_scrip):
        rows, bars = by_scrip[scrip], cleaned.accepted[scrip]
        assert [row[0] for row in rows] == [b.trading_date for b in bars], scrip
        expected, terms = expected_keys(bars), ad_line_terms(bars)
        for i, row in enumerate(rows):
            document = row[6]
            for key in BACKFILL_KEYS:
                entry = report[key]
                entry["rows"] += 1
                want = expected[key][i]
                got = document.get(key, "<absent>")
                off = difference(key, got, want, terms[i])
                if off is not None:
                    entry["worst"] = max(entry["worst"], off)
                if off is None or off > TOLERANCE:
                    entry["mismatches"].append((scrip, i + 1, row[0], got, want))
    return report


def assert_equal_the_reference(report: dict[str, dict]) -> None:
    failures = [
        f"{key}: {len(entry['mismatches'])} of {entry['rows']} rows, first {scrip} row {n} "
        f"({day}): stored {got!r}, reference {want.item()!r}"
        for key, entry in report.items()
        if entry["mismatches"]
        for scrip, n, day, got, want in entry["mismatches"][:1]
    ]
    assert not failures, "keys differing from the reference:\n" + "\n".join(failures)
    assert all(entry["rows"] > 0 for entry in report.values())


def test_the_comparison_sees_every_kind_of_wrong_value():
    """The comparison itself, on documents made from the reference as PostgreSQL writes them."""
    rng = np.random.default_rng(5)
    close = np.round(100 * np.exp(np.cumsum(rng.normal(0, 0.02, 230))), 1)
    bars = [
        Bar(datetime.date(2024, 1, 1) + datetime.timedelta(days=i), c, c + 1, c - 1, c, 1000 + i)
        for i, c in enumerate(close)
    ]
    expected = expected_keys(bars)

    def json_value(value):
        if isinstance(value, np.bool_ | np.integer):
            return value.item()
        return None if np.isnan(value) else float(value)

    def table(change: dict | None = None) -> dict[str, list[tuple]]:
        rows = []
        for i, bar in enumerate(bars):
            document = {key: json_value(expected[key][i]) for key in BACKFILL_KEYS}
            if i == 220 and change:
                document.update(change)
                document = {k: v for k, v in document.items() if v != "<drop>"}
            rows.append((*dataclasses.astuple(bar), json.loads(json.dumps(document))))
        return {"X": rows}

    cleaned = Cleaned({"X": bars}, [])
    assert_equal_the_reference(compare_backfill(table(), cleaned))
    ad_line = expected["AD_line"][220]
    terms = ad_line_terms(bars)[220]
    fine = {
        "SMA_3": expected["SMA_3"][220] * (1 + 0.5e-9),
        "AD_line": ad_line + 0.9e-15 * terms,
        "OBV": int(expected["OBV"][220]),  # PostgreSQL writes a whole float8 without ".0"
    }
    assert_equal_the_reference(compare_backfill(table(fine), cleaned))
    wrong = {
        "SMA_3": expected["SMA_3"][220] * (1 + 2e-9),
        "AD_line": ad_line + 2e-9 * max(1.0, abs(ad_line), 1e-6 * terms),
        "OBV": expected["OBV"][220] + 1,
        "EMA_50": None,
        "day_of_week": float(expected["day_of_week"][220]),
        "is_month_end": int(expected["is_month_end"][220]),
        "month": "<drop>",
        "RSI_14": str(expected["RSI_14"][220]),
    }
    for key, value in wrong.items():
        report = compare_backfill(table({key: value}), cleaned)
        assert [k for k, entry in report.items() if entry["mismatches"]] == [key], key


# --------------------------------------------------------------------------- generated data


def paisa(x: float) -> str:
    """A price as the source holds it: numeric, two decimals."""
    return f"{x:.2f}"


def price_rows(scrip: str, dates: list[datetime.date], seed: int, level: float = 80.0):
    """One valid source row per date: a random walk, with some closes and opens outside
    [low, high] (valid: DSE's close is computed). From 60 rows on, rows 31..55 are no-trade days
    (volume 0, open/high/low null or 0: flat bars at the close, RSI 100, no volume for 25 rows);
    from 150 rows on, rows 101..120 rise every day (RSI 100 with gains)."""
    n = len(dates)
    rng = np.random.default_rng(seed)
    close = np.round(level * np.exp(np.cumsum(rng.normal(0, 0.02, n))), 2)
    if n >= 150:
        close[100:120] = close[99] + 0.5 * np.arange(1, 21)
        close[120:] = np.round(close[120:] * close[119] / close[120], 2)
    open_ = np.round(close * np.exp(rng.normal(0, 0.006, n)), 2)
    high = np.maximum(open_, close) + np.round(rng.random(n) * level * 0.01, 2)
    low = np.minimum(open_, close) - np.round(rng.random(n) * level * 0.01, 2)
    outside = rng.random(n) < 0.04
    high[outside] = np.maximum(np.maximum(open_, close)[outside] - 0.01, low[outside])
    volume = rng.integers(1_000, 900_000, n)
    rows = [
        [scrip, day, paisa(open_[i]), paisa(high[i]), paisa(low[i]), paisa(close[i]), volume[i]]
        for i, day in enumerate(dates)
    ]
    if n >= 60:
        for i in range(30, 55):
            flat = None if i % 2 else "0"
            rows[i][2:] = [flat, flat, flat, rows[29][5], 0]
    return [tuple(row) for row in rows]


# The reasons a row of its own is rejected for, in turn (contract section 2, rule 2).
HOLE_DIRT = (
    lambda r: (*r[:5], None, r[6]),  # missing close
    lambda r: (*r[:2], "0", *r[3:]),  # non-positive open
    lambda r: (*r[:3], paisa(float(r[4]) - 0.01), *r[4:]),  # high below low
    lambda r: (*r[:6], None),  # missing volume
    lambda r: (*r[:6], -5),  # negative volume
    lambda r: (*r[:2], "-1.00", *r[3:]),  # negative price
)


def dirty(rows: list[tuple], holes: list[datetime.date], future: datetime.date) -> list[tuple]:
    """The valid rows plus rows the cleaning must reject: one on each hole (a date of its own),
    duplicates that lose (a smaller volume, or an equal volume and a lower close) and a
    high-below-low row with a larger volume on the same day as a valid one (it must not win the
    de-duplication), one future-dated row."""
    out = list(rows)
    first = rows[0]
    for k, day in enumerate(holes):
        out.append(HOLE_DIRT[k % len(HOLE_DIRT)]((first[0], day, *first[2:])))
    for i, row in enumerate(rows):
        price = float(row[5])
        if i % 10 == 0 and row[6]:
            out.append((*row[:5], paisa(price * 1.05), row[6] - 1))
        if i % 10 == 3 and row[6]:
            out.append((*row[:5], paisa(price - 0.01), row[6]))
        if i % 25 == 7:
            out.append((*row[:3], paisa(price * 0.9), paisa(price * 1.1), row[5], 10**9))
    out.append((*first[:1], future, *first[2:]))
    return out


SAMPLE_END = datetime.date(2025, 12, 31)
EDGE_LENGTHS = (1, 14, 15, 33, 34, 199, 200, 201, 450)
EDGE_START = datetime.date(2023, 12, 1)


def edge_scrip(length: int, future: datetime.date) -> list[tuple]:
    """Scrip EDGE_<length>: `length` accepted rows on calendar days from EDGE_START (every
    weekday, so every day_of_week, month end and quarter end, 29 February 2024 among them),
    every 6th day a rejected row instead, and the dirt of `dirty`."""
    dates: list[datetime.date] = []
    holes: list[datetime.date] = []
    day = EDGE_START
    while len(dates) < length:
        (holes if (day - EDGE_START).days % 6 == 0 else dates).append(day)
        day += datetime.timedelta(days=1)
    return dirty(price_rows(f"EDGE_{length}", dates, seed=length), holes, future)


def write_gp(conn) -> None:
    """GP's real prices as the file has them (numeric, so the database holds its decimals)."""
    with open(GP_PRICES, newline="", encoding="utf-8") as handle:
        rows = [("GP", *row) for row in csv.reader(handle)][1:]
    source_table.copy_rows(conn, rows)


@pytest.fixture(scope="module")
def full(project):
    """GP, two generated DSE-like scrips and the dirty edge scrips, built by one full refresh."""
    with project.connect() as conn:
        source_table.create(conn)
        (today,) = conn.execute("select current_date").fetchone()
        write_gp(conn)
        # A fixed end, so the data does not change with the day the test runs (its rows dated
        # after `end`, made to be future rows then, are past now and accepted as such).
        generated = sample.generate_prices(scrips=2, days=700, seed=17, end=SAMPLE_END)
        source_table.copy_frame(conn, generated.prices)
        future = today + datetime.timedelta(days=5)
        for length in EDGE_LENGTHS:
            source_table.copy_rows(conn, edge_scrip(length, future))
        source_table.copy_rows(conn, [(None, today, "1", "1", "1", "1", 1)])
        source_table.copy_rows(conn, [("EDGE_1", None, "1", "1", "1", "1", 1)])
    project.dbt("run", "--full-refresh")
    with project.connect() as conn:
        by_scrip = read_table(conn)
        cleaned = read_source(conn)
    assert_prices_are_the_source(by_scrip, cleaned)
    return project, by_scrip, cleaned


# --------------------------------------------------------------------------- full refresh


def test_the_real_gp_series_and_generated_scrips_equal_the_reference(full):
    _, by_scrip, cleaned = full
    scrips = sorted(s for s in by_scrip if not s.startswith("EDGE_"))
    assert "GP" in scrips and len(scrips) == 3
    assert len(by_scrip["GP"]) == 3147
    report = compare_backfill(by_scrip, cleaned, scrips)
    assert_equal_the_reference(report)
    assert report["SMA_3"]["rows"] == sum(len(by_scrip[s]) for s in scrips)


def test_dirty_scrips_at_the_edges_of_the_windows_equal_the_reference(full):
    _, by_scrip, cleaned = full
    scrips = [f"EDGE_{n}" for n in EDGE_LENGTHS]
    # The data is what the test claims: the lengths, rejects in every scrip, and each edge case.
    assert [len(cleaned.accepted[s]) for s in scrips] == list(EDGE_LENGTHS)
    reasons = {scrip: {r for s, _, r in cleaned.rejects if s == scrip} for scrip in scrips}
    assert all({"duplicate", "future_date"} <= reasons[s] for s in scrips)
    assert {
        "missing_price", "non_positive_price", "high_below_low", "missing_volume",
        "negative_volume",
    } <= reasons["EDGE_450"]  # fmt: skip
    expected = expected_keys(cleaned.accepted["EDGE_450"])
    flat = expected["RSI_14"][44:55]
    assert (flat == 100).all() and (expected["ATR_14"][44:55] == 0).all()
    assert (expected["RSI_14"][113:120] == 100).all()
    assert np.isnan(expected["volume_ratio_20"][49:55]).all()
    assert np.isnan(expected["CMF_20"][49:55]).all()
    assert expected["is_quarter_end"].any() and expected["is_month_end"].sum() > 30
    assert set(expected["day_of_week"]) == set(range(1, 8))

    assert_equal_the_reference(compare_backfill(by_scrip, cleaned, scrips))


# --------------------------------------------------------------------------- key sets


def documents(project, schema: str) -> list[dict]:
    with project.connect() as conn:
        return [row[0] for row in conn.execute(f"select indicators from {schema}.indicators")]


def test_key_sets_pick_the_keys_and_a_changed_set_needs_a_full_refresh(full):
    project, by_scrip, cleaned = full
    schema = "only_backfill"
    project.dbt("run", "--full-refresh", "--vars", "{key_sets: [backfill]}", schema=schema)
    rows = documents(project, schema)
    assert len(rows) == sum(len(r) for r in by_scrip.values())
    assert {frozenset(document) for document in rows} == {frozenset(BACKFILL_KEYS)}
    with project.connect() as conn:
        alone = read_table(conn, schema)
    assert_equal_the_reference(compare_backfill(alone, cleaned))

    for key_sets in ("[talib, backfill]", "[talib]"):
        with project.connect() as conn:
            before = row_versions(conn, schema)
        result = project.dbt(
            "run", "--vars", f"{{key_sets: {key_sets}}}", schema=schema, check=False
        )
        assert result.returncode != 0, key_sets
        said = result.stdout + result.stderr
        assert "was built with other indicators" in said, key_sets
        assert "dbt run --full-refresh" in said, key_sets
        with project.connect() as conn:
            assert row_versions(conn, schema) == before, key_sets

    project.dbt("run", "--full-refresh", "--vars", "{key_sets: [talib]}", schema=schema)
    rows = documents(project, schema)
    assert set().union(*rows) == set(KEYS)  # no backfill key in any document


# --------------------------------------------------------------------------- daily runs

DAILY_TABLE = "daily_prices"
DAILY_VARS = f"{{source_table: {DAILY_TABLE}}}"
DAILY_SCHEMA = "daily"


def trading_days(first: datetime.date, count: int) -> list[datetime.date]:
    """`count` DSE trading days (Sunday to Thursday) from `first` on."""
    days = (first + datetime.timedelta(days=k) for k in range(2 * count))
    return [day for day in days if day.isoweekday() not in (5, 6)][:count]


class Daily:
    """A source table of its own and a target schema of its own, kept up to date by dbt run."""

    def __init__(self, project):
        self.project = project
        self.source = dbt_project.source().with_table(DAILY_TABLE)

    def write(self, rows: list[tuple]) -> None:
        with self.project.connect() as conn:
            source_table.copy_rows(conn, rows, self.source)

    def execute(self, statement: str, params: list | None = None) -> None:
        with self.project.connect() as conn:
            conn.execute(statement, params)

    def run(self, *args: str) -> None:
        self.project.dbt("run", *args, "--vars", DAILY_VARS, schema=DAILY_SCHEMA)

    def cleaned(self) -> Cleaned:
        with self.project.connect() as conn:
            return read_source(conn, table=f"public.{DAILY_TABLE}")

    def bar(self, scrip: str, row_number: int) -> Bar:
        return self.cleaned().accepted[scrip][row_number - 1]

    def assert_equals_the_reference(self) -> None:
        with self.project.connect() as conn:
            by_scrip = read_table(conn, DAILY_SCHEMA)
        cleaned = self.cleaned()
        assert_prices_are_the_source(by_scrip, cleaned)
        assert_equal_the_reference(compare_backfill(by_scrip, cleaned))


def assert_a_change_reaches_200_rows(before: Cleaned, after: Cleaned, scrip: str, row: int):
    """The test's own premise: changing row `row` changes the whole-window keys of the rows
    whose W holds it (row .. row + 199), and no later row's."""
    old, new = expected_keys(before.accepted[scrip]), expected_keys(after.accepted[scrip])
    last = min(row + WINDOW - 1, len(after.accepted[scrip]))
    for key in WHOLE_WINDOW_KEYS:
        assert old[key][last - 1] != new[key][last - 1], (key, last)
        assert np.array_equal(old[key][last:], new[key][last:]), key


def assert_same_as_a_full_refresh(daily: Daily) -> None:
    """The daily-run table against a full refresh of the same source, built in another schema,
    by test_incremental's rule: bit for bit but the last bits of the long sums."""
    daily.project.dbt(
        "run", "--full-refresh", "--select", "+indicators", "--vars", DAILY_VARS,
        schema="daily_expected",
    )  # fmt: skip
    assert_same_tables(daily.project, DAILY_SCHEMA, "daily_expected")


@pytest.mark.timeout(600)
def test_daily_runs_through_new_corrected_late_and_deleted_rows(project):
    daily = Daily(project)
    long_days = trading_days(datetime.date(2022, 1, 2), 430)
    side_days = trading_days(datetime.date(2022, 6, 5), 260)
    long_rows = price_rows("LONG", long_days, seed=41)
    side_rows = price_rows("SIDE", side_days, seed=42, level=12.0)
    thursdays = [day for day in long_days[:300] if day.isoweekday() == 4]
    holes = [day + datetime.timedelta(days=1) for day in thursdays[::7]]  # Fridays
    with project.connect() as conn:
        conn.execute(f"drop table if exists public.{DAILY_TABLE}")
        source_table.create(conn, daily.source)
        (today,) = conn.execute("select current_date").fetchone()
    future = today + datetime.timedelta(days=3)
    daily.write(dirty(long_rows[:300], holes, future) + side_rows[:200])
    daily.run()
    daily.assert_equals_the_reference()

    # New days: many at once, then one.
    daily.write(long_rows[300:420] + side_rows[200:250])
    daily.run()
    daily.assert_equals_the_reference()
    daily.write(long_rows[420:421] + side_rows[250:251])
    daily.run()
    daily.assert_equals_the_reference()

    # A corrected close while W still starts at the scrip's first row, then one in a full W.
    for row in (150, 250):
        before = daily.cleaned()
        daily.execute(
            f"update public.{DAILY_TABLE} set txn_close = txn_close + 2.5 "
            "where txn_scrip = 'LONG' and txn_date = %s",
            [daily.bar("LONG", row).trading_date],
        )
        assert_a_change_reaches_200_rows(before, daily.cleaned(), "LONG", row)
        daily.run()
        daily.assert_equals_the_reference()

    # A late back-dated row on a Friday without a row: every later row moves one place.
    late = next(
        day + datetime.timedelta(days=1)
        for day in thursdays[36:]
        if day + datetime.timedelta(days=1) not in holes
    )
    row = [b.trading_date for b in daily.cleaned().accepted["LONG"]].index(
        late - datetime.timedelta(days=1)
    ) + 2
    daily.write([("LONG", late, "71.10", "72.40", "70.55", "71.90", 55_555)])
    daily.run()
    assert daily.bar("LONG", row).trading_date == late
    daily.assert_equals_the_reference()

    # A deleted row, then dirt arriving late: a duplicate with a larger volume replaces row 320,
    # and row 100 becomes a reject (high below low).
    daily.execute(
        f"delete from public.{DAILY_TABLE} where txn_scrip = 'LONG' and txn_date = %s",
        [daily.bar("LONG", 300).trading_date],
    )
    daily.run()
    daily.assert_equals_the_reference()
    replaced, rejected = daily.bar("LONG", 320), daily.bar("LONG", 100)
    daily.write(
        [("LONG", replaced.trading_date, "60.00", "66.00", "59.00", "65.50", replaced.volume + 1)]
    )
    daily.execute(
        f"update public.{DAILY_TABLE} set txn_low = txn_high + 1 "
        "where txn_scrip = 'LONG' and txn_date = %s",
        [rejected.trading_date],
    )
    daily.run()
    assert daily.bar("LONG", 319) == Bar(
        replaced.trading_date, 60, 66, 59, 65.5, replaced.volume + 1
    )
    daily.assert_equals_the_reference()

    assert_same_as_a_full_refresh(daily)
