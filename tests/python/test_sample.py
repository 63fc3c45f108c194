"""Tests of the sample-data generator (pure Python, no database)."""

from __future__ import annotations

import collections
import datetime as dt
import re
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dse_indicators.sample import (
    FIXED_HOLIDAYS,
    PRICE_COLUMNS,
    REJECT_REASONS,
    SampleData,
    generate_prices,
    scrip_codes,
    trading_calendar,
)

END = dt.date(2025, 12, 31)
PRICES = ["txn_open", "txn_high", "txn_low", "txn_close"]
KEY = ["txn_scrip", "txn_date"]


def validate_reference(prices: pd.DataFrame, run_date: dt.date) -> pd.DataFrame:
    """Rules 1 and 2 of the cleaning contract: flat no-trade bars, plus a `reason` column."""
    df = prices.copy()
    volume = df["txn_volume"]
    no_trade = (volume == 0).fillna(False) & (df["txn_close"] > 0)
    for col in ["txn_open", "txn_high", "txn_low"]:
        no_trade &= df[col].isna() | (df[col] == 0)
    for col in ["txn_open", "txn_high", "txn_low"]:
        df.loc[no_trade, col] = df.loc[no_trade, "txn_close"]

    latest = run_date + dt.timedelta(days=1)
    checks = [
        ("missing_key", df["txn_scrip"].isna() | df["txn_date"].isna()),
        ("missing_price", df[PRICES].isna().any(axis=1)),
        ("non_positive_price", (df[PRICES] <= 0).any(axis=1)),
        ("high_below_low", df["txn_high"] < df["txn_low"]),
        ("missing_volume", volume.isna()),
        ("negative_volume", (volume < 0).fillna(False)),
        ("future_date", df["txn_date"].map(lambda d: d is not None and d > latest)),
    ]
    df["reason"] = None
    for name, failed in checks:
        df.loc[df["reason"].isna() & failed.astype(bool), "reason"] = name
    return df


def clean_reference(prices: pd.DataFrame, run_date: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Straightforward implementation of the cleaning contract: (accepted rows, rejects)."""
    df = validate_reference(prices, run_date)
    valid = df[df["reason"].isna()].sort_values(
        [*KEY, "txn_volume", "txn_close"], ascending=[True, True, False, False]
    )
    losers = valid.duplicated(KEY, keep="first")
    df.loc[losers[losers].index, "reason"] = "duplicate"
    accepted = valid[~losers].drop(columns="reason").sort_values(KEY).reset_index(drop=True)
    rejects = df.loc[df["reason"].notna(), [*KEY, "reason"]]
    return accepted, rejects.reset_index(drop=True)


def as_counter(rejects: pd.DataFrame) -> collections.Counter:
    return collections.Counter(
        zip(rejects["txn_scrip"], rejects["txn_date"], rejects["reason"], strict=True)
    )


def consecutive(accepted: pd.DataFrame) -> pd.DataFrame:
    """Accepted rows with the previous accepted close of the same scrip (`prev_close`)."""
    out = accepted.sort_values(KEY).copy()
    out["prev_close"] = out.groupby("txn_scrip")["txn_close"].shift()
    return out


@pytest.fixture(scope="module")
def sample() -> SampleData:
    return generate_prices(20, 300)


@pytest.fixture(scope="module")
def cleaned(sample: SampleData) -> tuple[pd.DataFrame, pd.DataFrame]:
    return clean_reference(sample.prices, END)


# --------------------------------------------------------------------------- shape and determinism


def test_layout(sample: SampleData) -> None:
    prices = sample.prices
    assert tuple(prices.columns) == PRICE_COLUMNS
    assert prices["txn_volume"].dtype == "Int64"
    for col in PRICES:
        assert prices[col].dtype == np.float64
        values = prices[col].dropna().to_numpy()
        assert np.allclose(values, np.round(values, 4), rtol=0, atol=1e-9)
    assert {type(x) for x in prices["txn_scrip"]} <= {str, type(None)}
    assert {type(x) for x in prices["txn_date"]} <= {dt.date, type(None)}
    assert list(sample.expected_rejects.columns) == ["txn_scrip", "txn_date", "reason"]
    assert set(sample.expected_rejects["reason"]) <= set(REJECT_REASONS)
    assert REJECT_REASONS[0] == "missing_key" and REJECT_REASONS[-1] == "duplicate"
    # Not sorted: a real table comes in scraper order.
    ordered = prices.dropna(subset=KEY).sort_values(KEY)
    assert not ordered.index.equals(prices.dropna(subset=KEY).index)


def test_deterministic() -> None:
    a, b = generate_prices(12, 250, seed=3), generate_prices(12, 250, seed=3)
    pd.testing.assert_frame_equal(a.prices, b.prices)
    pd.testing.assert_frame_equal(a.expected_rejects, b.expected_rejects)
    assert a.calendar == b.calendar
    c = generate_prices(12, 250, seed=4)
    assert not a.prices.equals(c.prices)
    assert c.calendar == a.calendar  # the exchange calendar does not depend on the seed


def test_clean_part_does_not_depend_on_dirty() -> None:
    dirty = generate_prices(15, 200, seed=11)
    clean = generate_prices(15, 200, seed=11, dirty=False)
    assert clean.expected_rejects.empty
    assert clean_reference(clean.prices, END)[1].empty
    accepted_dirty, _ = clean_reference(dirty.prices, END)
    accepted_clean, _ = clean_reference(clean.prices, END)
    merged = accepted_dirty.merge(accepted_clean, how="left", on=KEY, indicator=True)
    assert (merged["_merge"] == "both").all()
    for col in [*PRICES, "txn_volume"]:
        assert (merged[f"{col}_x"] == merged[f"{col}_y"]).all()
    # Only the corrupted rows (replaced, not copied) are missing from the dirty result.
    assert 0 < len(accepted_clean) - len(accepted_dirty) < 0.01 * len(accepted_clean)


# --------------------------------------------------------------------------- calendar and codes


def test_calendar(sample: SampleData) -> None:
    cal = sample.calendar
    assert len(cal) == 300 and cal == sorted(set(cal)) and cal[-1] <= END
    assert cal == trading_calendar(300, END)
    assert all(d.weekday() in {6, 0, 1, 2, 3} for d in cal)  # Sunday..Thursday
    assert not any((d.month, d.day) in FIXED_HOLIDAYS for d in cal)


def test_calendar_has_eid_closures() -> None:
    cal = trading_calendar(1700, END)
    assert len(cal) == 1700 and cal[-1] == END  # 31 Dec 2025 is a Wednesday
    trading = set(cal)
    fixed = set(FIXED_HOLIDAYS)
    # Sunday-to-Thursday days that are closed though not a fixed holiday come in runs (Eid).
    day, runs, run = cal[0], collections.Counter(), 0
    while day <= cal[-1]:
        closed = day.weekday() in {6, 0, 1, 2, 3} and (day.month, day.day) not in fixed
        closed = closed and day not in trading
        if closed:
            run += 1
        elif day.weekday() in {6, 0, 1, 2, 3}:
            if run >= 2:
                runs[day.year] += 1
            run = 0
        day += dt.timedelta(days=1)
    full_years = range(cal[0].year + 1, cal[-1].year + 1)
    assert all(runs[y] >= 2 for y in full_years), runs
    assert sum(runs.values()) <= 2 * (len(full_years) + 2)


def test_scrip_codes() -> None:
    codes = scrip_codes(3000)
    assert len(set(codes)) == 3000
    assert all(re.fullmatch(r"[A-Z0-9]{2,12}", c) for c in codes)
    assert codes[:3] == ["BRACBANK", "BEXIMCO", "RENATA"]
    assert not {"BATBC", "GP", "SQURPHARMA", "AAMRANET"} & set(scrip_codes(500))
    assert scrip_codes(25) == codes[:25]


# --------------------------------------------------------------------------- clean rows


def test_ticks_and_range(cleaned: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    accepted, _ = cleaned
    for col in PRICES:
        tenths = accepted[col].to_numpy() * 10
        assert np.allclose(tenths, np.round(tenths), rtol=0, atol=1e-6), col
    assert (accepted[PRICES] > 0).all().all()
    assert accepted["txn_close"].between(3, 3000).all()
    levels = accepted.groupby("txn_scrip")["txn_close"].median()
    assert levels.min() < 60 and levels.max() > 300  # penny stocks to blue chips
    assert (accepted["txn_volume"] >= 0).all()


def test_circuit_limit(cleaned: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    rows = consecutive(cleaned[0]).dropna(subset=["prev_close"])
    ratio = rows["txn_close"] / rows["prev_close"]
    assert ratio.between(0.9 - 1e-9, 1.1 + 1e-9).all()
    assert (ratio != 1).mean() > 0.5  # prices do move


def test_bars_consistent_except_a_few(cleaned: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    accepted, _ = cleaned
    assert (accepted["txn_high"] >= accepted["txn_low"]).all()
    outside = pd.Series(False, index=accepted.index)
    for col in ["txn_open", "txn_close"]:
        outside |= (accepted[col] > accepted["txn_high"]) | (accepted[col] < accepted["txn_low"])
    # A few valid rows have close (or open) slightly outside [low, high].
    assert 1 <= outside.sum() <= 0.01 * len(accepted)
    gap = np.maximum(
        accepted["txn_low"] - accepted[["txn_open", "txn_close"]].min(axis=1),
        accepted[["txn_open", "txn_close"]].max(axis=1) - accepted["txn_high"],
    )
    assert (gap[outside] <= 0.1 + 1e-9).all()


def test_listing_delisting_suspension(sample: SampleData) -> None:
    keyed = sample.prices.dropna(subset=KEY)
    pos = {d: i for i, d in enumerate(sample.calendar)}
    keyed = keyed[keyed["txn_date"].map(lambda d: d in pos)]
    idx = keyed["txn_date"].map(pos)
    by_scrip = idx.groupby(keyed["txn_scrip"])
    assert (by_scrip.min() > 0).any()  # listed after the first day
    assert (by_scrip.max() < len(sample.calendar) - 1).any()  # delisted before the last day
    longest_gap = by_scrip.agg(lambda s: np.diff(np.sort(s.unique())).max())
    assert (longest_gap >= 4).any()  # suspended for at least three trading days


def test_floor_stretches(cleaned: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    rows = consecutive(cleaned[0])
    flat = (
        (rows["txn_open"] == rows["txn_close"])
        & (rows["txn_high"] == rows["txn_close"])
        & (rows["txn_low"] == rows["txn_close"])
        & (rows["txn_close"] == rows["prev_close"])
        & (rows["txn_volume"] < 500)
    )
    run_id = (~flat | (rows["txn_scrip"] != rows["txn_scrip"].shift())).cumsum()
    runs = flat.groupby(run_id).sum()
    assert runs.max() >= 5  # a week or more at the floor
    assert (rows.loc[flat, "txn_volume"] == 0).any() and (rows.loc[flat, "txn_volume"] > 0).any()


def test_no_trade_rows_are_valid(sample: SampleData) -> None:
    prices = sample.prices
    ohl = prices[["txn_open", "txn_high", "txn_low"]]
    base = (prices["txn_volume"] == 0).fillna(False) & (prices["txn_close"] > 0)
    zeros = base & (ohl == 0).all(axis=1)
    nulls = base & ohl.isna().all(axis=1)
    assert zeros.any() and nulls.any()
    # They become flat bars and pass validation (only a duplicate of one may be rejected).
    checked = validate_reference(prices, END)
    assert checked.loc[zeros | nulls, "reason"].isna().all()
    bars = checked.loc[zeros | nulls, ["txn_open", "txn_high", "txn_low"]]
    assert (bars.to_numpy() == checked.loc[zeros | nulls, ["txn_close"]].to_numpy()).all()
    rejects = sample.expected_rejects
    rejects = rejects[rejects["reason"] != "duplicate"]
    rejected = set(zip(rejects["txn_scrip"], rejects["txn_date"], strict=True))
    for _, row in prices[zeros | nulls].iterrows():
        assert (row["txn_scrip"], row["txn_date"]) not in rejected


def test_volume(cleaned: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    volume = cleaned[0].groupby("txn_scrip")["txn_volume"].median()
    assert volume.max() / max(volume.min(), 1) > 10  # scrip-specific scales


# --------------------------------------------------------------------------- dirty rows


def test_expected_rejects_match_reference(
    sample: SampleData, cleaned: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    assert as_counter(sample.expected_rejects) == as_counter(cleaned[1])
    assert set(sample.expected_rejects["reason"]) == set(REJECT_REASONS)
    share = len(sample.expected_rejects) / len(sample.prices)
    assert 0.003 < share < 0.01


def test_each_dirty_kind_present(sample: SampleData) -> None:
    prices = sample.prices
    expected = as_counter(sample.expected_rejects)

    def reasons(mask: pd.Series) -> set[str]:
        rows = prices[mask]
        assert len(rows) > 0
        keys = set(zip(rows["txn_scrip"], rows["txn_date"], strict=True))
        return {r for (s, d, r) in expected if (s, d) in keys}

    assert reasons(prices["txn_scrip"].isna()) == {"missing_key"}
    assert reasons(prices["txn_date"].isna()) == {"missing_key"}
    latest = END + dt.timedelta(days=1)
    assert reasons(prices["txn_date"].map(lambda d: d is not None and d > latest)) == {
        "future_date"
    }
    assert "missing_price" in reasons(
        prices[PRICES].isna().sum(axis=1).eq(1) & prices["txn_volume"].gt(0).fillna(False)
    )
    zero, negative = (prices[PRICES] == 0).any(axis=1), (prices[PRICES] < 0).any(axis=1)
    assert "non_positive_price" in reasons(zero | negative)
    if (sample.expected_rejects["reason"] == "non_positive_price").sum() >= 2:
        assert "non_positive_price" in reasons(zero) and "non_positive_price" in reasons(negative)
    assert "high_below_low" in reasons(prices["txn_high"] < prices["txn_low"])
    assert "missing_volume" in reasons(prices["txn_volume"].isna())
    assert "negative_volume" in reasons((prices["txn_volume"] < 0).fillna(False))

    exact = prices.duplicated(keep=False)
    assert exact.any() and reasons(exact) == {"duplicate"}

    checked = validate_reference(prices, END)
    keyed = checked[checked["reason"].isna()]
    groups = keyed[keyed.duplicated(KEY, keep=False)].groupby(KEY)
    smaller_volume = groups["txn_volume"].nunique() > 1
    equal_volume_other_close = (groups["txn_volume"].nunique() == 1) & (
        groups["txn_close"].nunique() > 1
    )
    assert smaller_volume.any() and equal_volume_other_close.any()


def test_duplicate_winners(sample: SampleData, cleaned: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    accepted, rejects = cleaned
    dup_keys = rejects.loc[rejects["reason"] == "duplicate", KEY].drop_duplicates()
    winners = accepted.merge(dup_keys, on=KEY)
    assert len(winners) == len(dup_keys)
    candidates = sample.prices.merge(dup_keys, on=KEY)
    for _, win in winners.iterrows():
        rows = candidates[
            (candidates["txn_scrip"] == win["txn_scrip"])
            & (candidates["txn_date"] == win["txn_date"])
        ]
        rows = rows[rows["txn_volume"].notna() & (rows["txn_volume"] >= 0)]
        rows = rows[(rows[PRICES] > 0).all(axis=1) & (rows["txn_high"] >= rows["txn_low"])]
        top = rows.sort_values(["txn_volume", "txn_close"], ascending=False).iloc[0]
        assert (top["txn_volume"], top["txn_close"]) == (win["txn_volume"], win["txn_close"])


def test_corrupted_rows_both_replace_and_shadow(
    sample: SampleData, cleaned: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    accepted, _ = cleaned
    kept = set(zip(accepted["txn_scrip"], accepted["txn_date"], strict=True))
    checked = sample.expected_rejects[
        ~sample.expected_rejects["reason"].isin(["missing_key", "future_date", "duplicate"])
    ]
    survives = [
        (s, d) in kept for s, d in zip(checked["txn_scrip"], checked["txn_date"], strict=True)
    ]
    # Some corrupted rows replaced the clean row, others are extra copies next to it.
    assert any(survives) and not all(survives)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scrips=st.integers(1, 6),
    days=st.integers(1, 160),
    seed=st.integers(0, 2**32 - 1),
    end=st.dates(dt.date(2005, 1, 1), dt.date(2035, 12, 31)),
)
def test_property_rejects_match_reference(scrips: int, days: int, seed: int, end: dt.date) -> None:
    data = generate_prices(scrips, days, seed=seed, end=end)
    assert len(data.calendar) == days and data.calendar[-1] <= end
    assert tuple(data.prices.columns) == PRICE_COLUMNS
    accepted, rejects = clean_reference(data.prices, end)
    assert as_counter(data.expected_rejects) == as_counter(rejects)
    if len(data.prices) >= 230:
        assert set(data.expected_rejects["reason"]) == set(REJECT_REASONS)
    rows = consecutive(accepted).dropna(subset=["prev_close"])
    assert (rows["txn_close"] / rows["prev_close"]).between(0.9 - 1e-9, 1.1 + 1e-9).all()
    tenths = accepted[PRICES].to_numpy() * 10
    assert np.allclose(tenths, np.round(tenths), rtol=0, atol=1e-6)


def test_arguments() -> None:
    with pytest.raises(ValueError):
        generate_prices(0, 10)
    with pytest.raises(ValueError):
        generate_prices(3, 0)
    tiny = generate_prices(1, 1)
    assert len(tiny.prices) == 1 and tiny.expected_rejects.empty


def test_full_size_is_fast() -> None:
    start = time.perf_counter()
    data = generate_prices(490, 1700)
    elapsed = time.perf_counter() - start
    assert elapsed < 20, elapsed
    assert 700_000 < len(data.prices) < 840_000
    share = len(data.expected_rejects) / len(data.prices)
    assert 0.003 < share < 0.01
