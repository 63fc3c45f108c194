"""`dse-indicators actions load` and `actions suggest`: the corporate actions table (contract
section 5), its checks, and the candidates the prices show, on generated and real DSE prices."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from dse_indicators import source_table

ACTIONS = "public.ws_dse_corporate_actions"
REFERENCE = Path(__file__).resolve().parents[4] / "shared" / "reference" / "dse"
D = dt.date

# Generated prices: quiet random walks, and two scrips with an action each.
SESSIONS = [D(2024, 1, 7) + dt.timedelta(days=i) for i in range(120) if (i + 6) % 7 < 5][:60]
BONUS_SCRIP, BONUS_SESSION = "BONUSCO", 30  # misses session 29, then opens at 1/1.1
SPLIT_SCRIP, SPLIT_SESSION = "SPLITCO", 40  # trades every session, drops to a tenth
QUIET = [f"QUIET{i:02}" for i in range(10)]


def generated_rows() -> list[tuple]:
    rng = np.random.default_rng(18)
    rows = []
    for scrip in [*QUIET, BONUS_SCRIP, SPLIT_SCRIP]:
        close = 100.0
        for n, day in enumerate(SESSIONS):
            if scrip == BONUS_SCRIP and n == BONUS_SESSION - 1:
                continue  # the record date: no row
            step = float(np.exp(rng.normal(0, 0.005)))
            open_ = close * float(np.exp(rng.normal(0, 0.002)))
            if scrip == BONUS_SCRIP and n == BONUS_SESSION:
                open_ = close / 1.1
            if scrip == SPLIT_SCRIP and n == SPLIT_SESSION:
                open_ = close / 10
            if (scrip, n) in ((BONUS_SCRIP, BONUS_SESSION), (SPLIT_SCRIP, SPLIT_SESSION)):
                step = open_ / close * 1.002
            close *= step
            high, low = max(open_, close) * 1.01, min(open_, close) * 0.99
            rows.append((scrip, day, *(round(v, 2) for v in (open_, high, low, close)), 1000))
    return rows


@pytest.fixture(scope="module")
def prices(project):
    """The source table with the generated prices."""
    with project.connect() as conn:
        conn.execute("drop table if exists public.ws_dse_daily_prices")
        source_table.create(conn)
        source_table.copy_rows(conn, generated_rows())
    return project


@pytest.fixture
def no_actions(prices):
    with prices.connect() as conn:
        conn.execute(f"drop table if exists {ACTIONS}")
    return prices


def actions(project, table: str = ACTIONS) -> list[tuple]:
    """The actions table's rows (none when it was never created)."""
    with project.connect() as conn:
        if conn.execute("select to_regclass(%s)", [table]).fetchone()[0] is None:
            return []
        return conn.execute(f"select * from {table} order by 1, 2, 3").fetchall()


def write(path: Path, text: str) -> Path:
    path.write_text(text.lstrip("\n"))
    return path


GOOD = """
scrip,ex_date,kind,ratio,price
QUIET01,2024-02-04,bonus,10,
QUIET02,2024-02-04,split,10,
QUIET02,2024-02-04,rights,0.5,10
"""


# --------------------------------------------------------------------------- load


def test_load_creates_the_table_and_a_second_load_changes_nothing(cli, no_actions, tmp_path):
    good = write(tmp_path / "actions.csv", GOOD)
    first = cli("actions", "load", good)
    assert first.code == 0, first.err
    assert "3 actions read; 3 new, 0 replaced, 0 unchanged in public.ws_dse_corporate_actions" in (
        first.out
    )
    assert actions(no_actions) == [
        ("QUIET01", D(2024, 2, 4), "bonus", Decimal("10"), None),
        ("QUIET02", D(2024, 2, 4), "rights", Decimal("0.5"), Decimal("10")),
        ("QUIET02", D(2024, 2, 4), "split", Decimal("10"), None),
    ]
    with no_actions.connect() as conn:
        versions = conn.execute(f"select ctid::text, xmin::text from {ACTIONS}").fetchall()
        key = conn.execute(
            "select pg_get_constraintdef(oid) from pg_constraint"
            " where conrelid = %s::regclass and contype = 'p'",
            [ACTIONS],
        ).fetchone()[0]
    assert key == "PRIMARY KEY (scrip, ex_date, kind)"

    again = cli("actions", "load", good)
    assert again.code == 0, again.err
    assert "3 actions read; 0 new, 0 replaced, 3 unchanged" in again.out
    with no_actions.connect() as conn:
        assert conn.execute(f"select ctid::text, xmin::text from {ACTIONS}").fetchall() == versions

    # A row with a key already there replaces it; the others stay as they are.
    corrected = write(
        tmp_path / "corrected.csv",
        "scrip,ex_date,kind,ratio,price\nQUIET02,2024-02-04,rights,1,12.5\n"
        "QUIET03,2024-03-03,bonus,7.5,\n",
    )
    fixed = cli("actions", "load", corrected)
    assert "2 actions read; 1 new, 1 replaced, 0 unchanged" in fixed.out
    assert len(actions(no_actions)) == 4
    assert ("QUIET02", D(2024, 2, 4), "rights", Decimal("1"), Decimal("12.5")) in actions(
        no_actions
    )


def test_the_vars_name_the_table_and_a_file_may_leave_out_price(cli, prices, tmp_path):
    table = "corp.actions_elsewhere"
    with prices.connect() as conn:
        conn.execute("drop schema if exists corp cascade")
    no_price = write(
        tmp_path / "bonus.csv", "Scrip,Ex_Date,Kind,Ratio\nQUIET04,2024-01-08,Bonus,5\n"
    )
    result = cli(
        "--vars", "{actions_schema: corp, actions_table: actions_elsewhere}", "actions", "load",
        no_price,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert f"1 new, 0 replaced, 0 unchanged in {table}" in result.out
    assert actions(prices, table) == [("QUIET04", D(2024, 1, 8), "bonus", Decimal("5"), None)]
    with prices.connect() as conn:
        types = conn.execute(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = 'corp' and table_name = 'actions_elsewhere'"
            " order by ordinal_position"
        ).fetchall()
    assert types == [
        ("scrip", "text"), ("ex_date", "date"), ("kind", "text"), ("ratio", "numeric"),
        ("price", "numeric"),
    ]  # fmt: skip


BAD_ROWS = {
    "kind": ("QUIET01,2024-02-05,dividend,10,", "kind 'dividend' is none of bonus, split, rights"),
    "ratio zero": ("QUIET01,2024-02-05,bonus,0,", "ratio '0' is not a number above 0"),
    "ratio negative": ("QUIET01,2024-02-05,split,-10,", "ratio '-10' is not a number above 0"),
    "ratio text": ("QUIET01,2024-02-05,bonus,ten,", "ratio 'ten' is not a number above 0"),
    "ratio NaN": ("QUIET01,2024-02-05,bonus,NaN,", "ratio 'NaN' is not a number above 0"),
    "rights without price": (
        "QUIET01,2024-02-05,rights,0.5,",
        "a rights issue needs its subscription price above 0",
    ),
    "rights price zero": (
        "QUIET01,2024-02-05,rights,0.5,0",
        "a rights issue needs its subscription price above 0 in the column price (found '0')",
    ),
    "price for a bonus": (
        "QUIET01,2024-02-05,bonus,10,25",
        "price '25' is given for a bonus; only rights issues have one",
    ),
    "price for a split": ("QUIET01,2024-02-05,split,10,1", "price '1' is given for a split"),
    "unknown scrip": (
        "QUIET1,2024-02-05,bonus,10,",
        "scrip 'QUIET1' has no prices in public.ws_dse_daily_prices (did you mean QUIET01",
    ),
    "duplicate key": (
        "QUIET01,2024-02-04,bonus,12.5,",
        "QUIET01 2024-02-04 bonus is already on line 2",
    ),
    "impossible date": (
        "QUIET01,2024-02-30,bonus,10,",
        "ex_date '2024-02-30' is not a date written YYYY-MM-DD",
    ),
    "day-first date": ("QUIET01,05-02-2024,bonus,10,", "ex_date '05-02-2024' is not a date"),
    "no scrip": (",2024-02-05,bonus,10,", "no scrip"),
    "cells": ("QUIET01,2024-02-05,bonus", "3 cells, the header names 5"),
}


@pytest.mark.parametrize("case", BAD_ROWS)
def test_a_bad_row_is_named_by_its_line_and_nothing_is_written(case, cli, no_actions, tmp_path):
    row, message = BAD_ROWS[case]
    # Line 1 the header, line 2 a good row, line 3 the bad one.
    bad = write(
        tmp_path / "bad.csv",
        f"scrip,ex_date,kind,ratio,price\nQUIET01,2024-02-04,bonus,10,\n{row}\n",
    )
    result = cli("actions", "load", bad)
    assert result.code == 2, (case, result.out)
    assert "nothing was loaded" in result.err
    assert f"line 3: {message}" in result.err, (case, result.err)
    assert "Traceback" not in result.err
    assert actions(no_actions) == []


def test_every_bad_row_is_named_and_an_old_table_keeps_its_rows(cli, no_actions, tmp_path):
    assert cli("actions", "load", write(tmp_path / "good.csv", GOOD)).code == 0
    before = actions(no_actions)
    bad = write(
        tmp_path / "bad.csv",
        """
scrip,ex_date,kind,ratio,price
QUIET05,2024-02-05,bonus,10,

NOSUCH,2024-02-05,bonus,10,
QUIET05,2024-02-06,swap,1,
""",
    )
    result = cli("actions", "load", bad)
    assert result.code == 2
    assert "2 bad rows; nothing was loaded" in result.err
    assert "line 4: scrip 'NOSUCH'" in result.err and "line 5: kind 'swap'" in result.err
    assert actions(no_actions) == before


def test_bad_files_exit_2(cli, no_actions, tmp_path):
    cases = {
        "missing": (tmp_path / "nowhere.csv", "nowhere.csv: no such file"),
        "empty": (write(tmp_path / "empty.csv", ""), "empty file"),
        "columns": (
            write(tmp_path / "cols.csv", "scrip,date,kind,ratio\nQUIET01,2024-02-04,bonus,10\n"),
            "line 1 names the columns scrip, date, kind, ratio; the file needs scrip, ex_date",
        ),
    }
    for name, (path, message) in cases.items():
        result = cli("actions", "load", path)
        assert result.code == 2, name
        assert message in result.err, (name, result.err)
    assert actions(no_actions) == []


def test_a_missing_source_table_is_said(cli, project, tmp_path):
    good = write(tmp_path / "good.csv", GOOD)
    result = cli("--vars", "{source_table: no_such_prices}", "actions", "load", good)
    assert result.code == 2
    assert "there is no source table public.no_such_prices" in result.err
    suggest = cli("--vars", "{source_table: no_such_prices}", "actions", "suggest")
    assert suggest.code == 2 and "load prices first" in suggest.err


# --------------------------------------------------------------------------- suggest


def test_suggest_finds_the_bonus_and_the_split_and_load_takes_its_csv(cli, no_actions, tmp_path):
    result = cli("actions", "suggest")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split()[:3] == ["scrip", "ex_date", "last"]
    bonus = next(line for line in lines if line.startswith(BONUS_SCRIP)).split()
    ex_date, last_date = SESSIONS[BONUS_SESSION], SESSIONS[BONUS_SESSION - 2]
    assert bonus[1:4] == [str(ex_date), str(last_date), "1"]  # one session missed
    assert bonus[-3:] == ["bonus", "10", "0.9091"]
    split = next(line for line in lines if line.startswith(SPLIT_SCRIP)).split()
    assert split[1] == str(SESSIONS[SPLIT_SESSION]) and split[3] == "0"
    assert split[-3:] == ["split", "10", "0.1000"]
    assert "2 candidates over 12 scrips and 60 market sessions" in result.out
    assert not any(line.startswith("QUIET") for line in lines)

    as_csv = cli("actions", "suggest", "--csv")
    assert as_csv.code == 0, as_csv.err
    assert as_csv.out == (
        "scrip,ex_date,kind,ratio,price\n"
        f"{BONUS_SCRIP},{ex_date},bonus,10,\n"
        f"{SPLIT_SCRIP},{SESSIONS[SPLIT_SESSION]},split,10,\n"
    )
    assert "2 candidates" in as_csv.err
    checked = write(tmp_path / "checked.csv", as_csv.out)
    loaded = cli("actions", "load", checked)
    assert loaded.code == 0, loaded.err
    assert "2 actions read; 2 new" in loaded.out

    # What the table holds is no longer suggested.
    after = cli("actions", "suggest", "--csv")
    assert after.out == "scrip,ex_date,kind,ratio,price\n"
    assert "0 candidates over 12 scrips and 60 market sessions; 2 left out" in after.err


def test_suggest_for_some_scrips(cli, no_actions):
    only = cli("actions", "suggest", "--scrips", f"QUIET01,{SPLIT_SCRIP}", "--csv")
    assert only.code == 0, only.err
    assert only.out.splitlines()[1:] == [f"{SPLIT_SCRIP},{SESSIONS[SPLIT_SESSION]},split,10,"]
    unknown = cli("actions", "suggest", "--scrips", "BONUSC0")
    assert unknown.code == 2
    assert "--scrips: 'BONUSC0' has no prices" in unknown.err and "BONUSCO" in unknown.err


def test_actions_help(cli):
    for args in (["actions"], ["actions", "load"], ["actions", "suggest"]):
        with pytest.raises(SystemExit) as help_exit:
            cli(*args, "--help")
        assert help_exit.value.code == 0


# --------------------------------------------------------------------------- real prices

SQURPHARMA_BONUSES = {  # shared/reference/dse/README.md, from tashreef's factor steps
    D(2013, 8, 27): 30, D(2014, 8, 27): 15, D(2015, 8, 16): 12.5, D(2016, 11, 15): 10,
    D(2017, 11, 9): 7.5, D(2018, 11, 28): 7, D(2020, 11, 23): 5,
}  # fmt: skip
JIBON_K = REFERENCE / "jibon-k-dse-eod"


@pytest.mark.skipif(not JIBON_K.is_dir(), reason=f"no jibon-k archive at {JIBON_K}")
def test_suggest_finds_squrpharmas_bonuses_in_the_jibon_k_archive(cli, project):
    # Every scrip of the years of the seven ex-dates (about 470,000 rows), into a table of its
    # own: the other scrips tell the market sessions SQURPHARMA missed. Read where it lies,
    # never copied (the archive has no licence).
    started = time.monotonic()
    vars_ = "{source_table: jibon_k_prices, actions_table: jibon_k_actions}"
    files = [JIBON_K / "csv" / f"{year}.csv" for year in (2013, 2014, 2015, 2016, 2017, 2018, 2020)]
    loaded = cli("--vars", vars_, "load", *files, "--bad-numbers-as-null")
    assert loaded.code == 0, loaded.err
    result = cli("--vars", vars_, "actions", "suggest", "--scrips", "SQURPHARMA", "--csv")
    assert result.code == 0, result.err
    found = {}
    for line in result.out.splitlines()[1:]:
        scrip, day, kind, ratio, price = line.split(",")
        assert scrip == "SQURPHARMA" and price == ""
        found[D.fromisoformat(day)] = (kind, float(ratio))
    # All seven, and no other candidate in these years.
    assert set(found) == set(SQURPHARMA_BONUSES), found
    assert all(kind == "bonus" for kind, _ in found.values())
    # The ratio is the real one for the larger rates; 7.5 % and 5 % come out as neighbours.
    right = [day for day, rate in SQURPHARMA_BONUSES.items() if found[day][1] == rate]
    assert len(right) >= 5, found
    assert "no market session between 2018-12-27 and 2020-01-01" in result.err
    assert time.monotonic() - started < 60
