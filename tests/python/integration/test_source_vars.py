"""One home for the cleaning rules and the source's names: the helper and dbt agree.

The loader's report of what a run will reject is the staging macro as dbt renders it, so it
names the same rows as `price_rejects`; and every command finds a source table with other
names through the same `--vars` as dbt.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import numpy as np
import pandas as pd

RUN_DATE = "2024-01-10"
# dbt's vars, given the same way to dbt and to dse-indicators.
RUN_VARS = f"{{run_date: '{RUN_DATE}'}}"
OTHER_NAMES = (
    "{source_schema: raw, source_table: daily_prices, col_scrip: code, col_date: day,"
    " col_open: openp, col_high: highp, col_low: lowp, col_close: closep, col_volume: shares}"
)


def reported_rejects(output: str) -> Counter:
    """The reasons and counts of the load's line `N rows will be rejected ... (reason n, ...)`."""
    found = re.search(r"will be rejected by the cleaning rules \(([^)]*)\)", output)
    assert found, output
    return Counter(
        {r: int(n.replace(",", "")) for r, n in (p.split() for p in found[1].split(", "))}
    )


def test_the_loaders_rejects_are_those_of_price_rejects(cli, project, tmp_path):
    """Dirty rows, a run_date var, and a duplicate already in the source before the load."""
    with project.connect() as conn:
        conn.execute("drop table if exists public.ws_dse_daily_prices")
        # A scraper's table: its date column carries the time of the scrape, so a row written
        # at 14:30 and the loaded one at midnight are one (scrip, trading date) for dbt.
        conn.execute(
            "create table public.ws_dse_daily_prices (txn_scrip text, txn_date timestamp,"
            " txn_open numeric, txn_high numeric, txn_low numeric, txn_close numeric,"
            " txn_volume bigint)"
        )
        conn.execute(
            "insert into public.ws_dse_daily_prices values"
            " ('GP', '2024-01-08 14:30', 300, 305, 299, 301, 900)"
        )
    prices = tmp_path / "dirty.csv"
    prices.write_text(
        "txn_scrip,txn_date,txn_open,txn_high,txn_low,txn_close,txn_volume\n"
        "GP,2024-01-07,300,305,298,302,1000\n"
        "GP,2024-01-08,300,304,297,300,1200\n"  # wins over the scraper's row (volume 900)
        ",2024-01-08,10,11,9,10,5\n"  # missing_key
        "BATBC,,10,11,9,10,5\n"  # missing_key
        "BATBC,2024-01-07,10,,9,10,5\n"  # missing_price
        "BATBC,2024-01-08,10,11,0,10,5\n"  # non_positive_price
        "BATBC,2024-01-09,10,9,11,10,5\n"  # high_below_low
        "BATBC,2024-01-10,10,11,9,10,-5\n"  # negative_volume
        "BATBC,2024-01-11,10,11,9,10,5\n"  # one day after run_date: accepted
        "BATBC,2024-01-12,10,11,9,10,5\n"  # future_date against run_date (not today)
        "SQURPHARMA,2024-01-08,200,210,195,205,50\n"
        "SQURPHARMA,2024-01-08,200,210,195,206,50\n"  # the tie goes to the larger close
        "SQURPHARMA,2024-01-08,200,210,195,204,40\n"
    )
    loaded = cli("--vars", RUN_VARS, "load", prices)
    assert loaded.code == 0, loaded.err
    project.dbt("run", "--select", "+price_rejects", "--vars", RUN_VARS)
    with project.connect() as conn:
        rejects = conn.execute(
            "select reason, count(*) from analytics.price_rejects group by 1"
        ).fetchall()
        winner = conn.execute(
            "select close from analytics.stg_dse__prices"
            " where scrip = 'SQURPHARMA' and reject_reason is null"
        ).fetchall()
    expected = {
        "missing_key": 2,
        "missing_price": 1,
        "non_positive_price": 1,
        "high_below_low": 1,
        "negative_volume": 1,
        "future_date": 1,
        "duplicate": 3,  # the scraper's GP row and two SQURPHARMA rows
    }
    assert Counter(dict(rejects)) == expected
    assert reported_rejects(loaded.out) == expected
    assert winner == [(206.0,)]


def _prices(scrips: int = 2, days: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    dates = pd.bdate_range("2023-01-01", periods=days).date
    frames = []
    for i in range(scrips):
        close = np.round(50 + rng.standard_normal(days).cumsum(), 2)
        frames.append(
            pd.DataFrame(
                {
                    "txn_scrip": f"S{i}",
                    "txn_date": dates,
                    "txn_open": close,
                    "txn_high": np.round(close + 1, 2),
                    "txn_low": np.round(close - 1, 2),
                    "txn_close": close,
                    "txn_volume": rng.integers(100, 10_000, days),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_every_command_finds_a_source_with_other_names(cli, project, tmp_path):
    """--vars names another table and columns: load, dbt, status, audit, export and plot agree."""
    schema = "other_names"
    prices = _prices()
    file = tmp_path / "prices.csv"
    prices.to_csv(file, index=False)
    with project.connect() as conn:
        conn.execute("drop schema if exists raw cascade")

    def run(*args):
        return cli("--vars", OTHER_NAMES, *args)

    loaded = cli("load", "--vars", OTHER_NAMES, file)  # after the command's name, as dbt takes it
    assert loaded.code == 0, loaded.err
    assert f"{len(prices):,} written" in loaded.out
    assert "will be rejected" not in loaded.out
    with project.connect() as conn:
        columns = conn.execute(
            "select column_name from information_schema.columns"
            " where table_schema = 'raw' and table_name = 'daily_prices' order by ordinal_position"
        ).fetchall()
        assert [c for (c,) in columns] == [
            "code",
            "day",
            "openp",
            "highp",
            "lowp",
            "closep",
            "shares",
        ]
    project.dbt("run", "--vars", OTHER_NAMES, schema=schema)

    status = run("status", "--schema", schema, "--json")
    assert status.code == 0, status.out + status.err
    found = json.loads(status.out)
    assert found["up_to_date"] and found["price_rows"] == found["indicator_rows"] == len(prices)

    audit = run("audit", "--schema", schema)
    assert audit.code == 0, audit.out
    assert f"2 scrip(s), {len(prices)} rows" in audit.out

    out = tmp_path / "features"
    exported = run("export", "--schema", schema, "-o", out)
    assert exported.code == 0, exported.err
    frame = pd.read_parquet(out).sort_values(["scrip", "trading_date"])
    assert len(frame) == len(prices)
    assert np.allclose(frame["price_close"].to_numpy(), prices["txn_close"].to_numpy())
    assert np.allclose(frame["sma_5"].dropna().iloc[0], prices["txn_close"].iloc[:5].mean())

    image = tmp_path / "s0.png"
    assert run("plot", "S0", "--schema", schema, "-o", image).code == 0
    assert image.stat().st_size > 0
