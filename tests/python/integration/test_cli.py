"""`dse-indicators status`, `export` and `plot` against a real dbt build, and the errors every
command shares (no database: exit 3; bad input: exit 2)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from dse_indicators import catalogue, plot, show, source_table
from dse_indicators.cli import main
from dse_indicators.sample import generate_prices

ROOT = Path(__file__).resolve().parents[3]
SOURCE = "public.ws_dse_daily_prices"
TODAY = dt.date.today()
END = TODAY - dt.timedelta(days=10)


@pytest.fixture(scope="module")
def sample():
    """Generated dirty prices ending ten days ago, without the rows dated after that: dbt judges
    future rows against today, and the new days the tests add lie in between."""
    data = generate_prices(6, 260, seed=5, end=END)
    future = data.prices["txn_date"].map(lambda d: d is not None and d > END)
    rejects = data.expected_rejects
    return dataclasses.replace(
        data,
        prices=data.prices[~future],
        expected_rejects=rejects[rejects["reason"] != "future_date"],
    )


@pytest.fixture(scope="module")
def built(project, sample, tmp_path_factory):
    """Before the first run: the source only. Then `dbt run`. Returns what status said before."""
    with project.connect() as conn:
        source_table.create(conn)
        source_table.copy_frame(conn, sample.prices)
    env = {**os.environ, **project.env}
    before = subprocess.run(
        [str(Path(sys.executable).with_name("dse-indicators")), "status"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    project.dbt("run")
    return before


def indicators(project, keys: list[str], where: str = "") -> dict[tuple, tuple]:
    """(scrip, date) -> prices and keys, read the way the table defines them (true: 1)."""
    columns = ", ".join(
        f"case jsonb_typeof(indicators -> '{k}') when 'boolean' then "
        f"(indicators ->> '{k}')::boolean::integer::float8 else (indicators ->> '{k}')::float8 end"
        for k in keys
    )
    with project.connect() as conn:
        found = conn.execute(
            f"select scrip, trading_date, price_open, price_high, price_low, price_close, "
            f"price_volume, {columns} from analytics.indicators {where}"
        )
        return {(r[0], r[1]): r[2:] for r in found}


def parquet_rows(folder: Path, keys: list[str]) -> dict[tuple, tuple]:
    table = pq.read_table(folder)
    names = ["price_open", "price_high", "price_low", "price_close", "price_volume", *keys]
    columns = [table[name].to_pylist() for name in ["scrip", "trading_date", *names]]
    return {(row[0], row[1]): tuple(row[2:]) for row in zip(*columns, strict=True)}


def all_keys(project) -> list[str]:
    with project.connect() as conn:
        found = conn.execute(
            "select distinct jsonb_object_keys(indicators) from analytics.indicators"
        )
        return sorted(row[0] for row in found)


# --------------------------------------------------------------------------- status


def test_status_before_the_first_run_says_what_to_do(built):
    assert built.returncode == 1
    assert "indicators not built yet: run dbt run" in built.stdout


def test_status_after_a_run_is_up_to_date(cli, built, sample):
    result = cli("status", "--json")
    assert result.code == 0, result.out + result.err
    report = json.loads(result.out)
    accepted = len(sample.prices) - len(sample.expected_rejects)
    assert report["up_to_date"] is True
    assert report["price_rows"] == len(sample.prices)
    assert report["rejects"] == len(sample.expected_rejects)
    assert report["indicator_rows"] == accepted
    assert (report["pending"], report["vanished"], report["scrips_behind"]) == (0, 0, [])
    assert report["latest_trading_date"] == str(sample.calendar[-1])
    assert report["last_run"] is not None
    per_scrip = {s["scrip"]: s for s in report["per_scrip"]}
    assert sum(s["indicator_rows"] for s in per_scrip.values()) == accepted

    text = cli("status")
    assert text.code == 0
    assert "status: up to date" in text.out
    assert f"indicator rows     {accepted:>12,}" in text.out


def test_status_flags_a_new_day_until_dbt_runs(cli, project, built, sample):
    day = END + dt.timedelta(days=3)
    # A new listing (two days of it) and a new day for two scrips.
    new_rows = [("AANEW", day - dt.timedelta(days=1), 10.0, 11.0, 9.5, 10.5, 1000)]
    new_rows += [(s, day, 10.0, 11.0, 9.5, 10.5, 1000) for s in ("AANEW", *_scrips(sample)[:2])]
    with project.connect() as conn:
        source_table.copy_rows(conn, new_rows)
    behind = cli("status", "--json")
    assert behind.code == 1
    report = json.loads(behind.out)
    assert report["up_to_date"] is False
    assert report["pending"] == 4
    assert sorted(report["scrips_behind"]) == sorted({r[0] for r in new_rows})
    assert report["latest_trading_date"] == str(day)
    text = cli("status")
    assert "status: BEHIND: run dbt run" in text.out
    assert "AANEW" in text.out  # the scrips behind are listed

    project.dbt("run")
    assert cli("status").code == 0


def _scrips(sample) -> list[str]:
    return sorted({s for s in sample.prices["txn_scrip"] if isinstance(s, str)})


# --------------------------------------------------------------------------- export


def test_export_equals_the_table_then_appends_only_new_rows(cli, project, built, tmp_path):
    keys = all_keys(project)
    out = tmp_path / "features"
    first = cli("export", "-o", out)
    assert first.code == 0, first.err
    want = indicators(project, keys)
    got = parquet_rows(out, keys)
    assert len(pq.read_table(out)) == len(want)  # every row once
    assert got.keys() == want.keys()
    for key, values in want.items():
        # Exactly the table's values (float8 from the JSON text), None where a key is absent.
        assert got[key] == values, key
    schema = pq.read_schema(next(out.glob("year=*/*.parquet")))
    assert [schema.field(k).type for k in keys] == ["double"] * len(keys)
    # One column per key, in the catalogue's order.
    assert schema.names[8:] == list(catalogue.keys())
    assert f"exported {len(want):,} rows" in first.out

    assert "nothing new to export" in cli("export", "-o", out).out

    # A new trading day arrives and dbt runs: the second export appends exactly those rows.
    day = END + dt.timedelta(days=5)
    scrips = sorted({s for s, _ in want})
    with project.connect() as conn:
        source_table.copy_rows(conn, [(s, day, 10.0, 11.0, 9.5, 10.5, 1000) for s in scrips])
    project.dbt("run")
    second = cli("export", "-o", out)
    assert second.code == 0, second.err
    assert f"exported {len(scrips):,} rows" in second.out
    got = parquet_rows(out, keys)
    assert len(pq.read_table(out)) == len(want) + len(scrips)  # no row twice
    assert got == indicators(project, keys)
    manifest = json.loads((out / "_manifest.json").read_text())
    assert [e["rows"] for e in manifest["exports"]] == [len(want), len(scrips)]
    assert manifest["last_dates"] == dict.fromkeys(scrips, str(day))


def test_export_warns_about_rows_recomputed_after_export(cli, project, built, tmp_path):
    out = tmp_path / "stale"
    assert cli("export", "-o", out, "--keys", "sma_5", "rsi_14").code == 0
    with project.connect() as conn:
        scrip, day = conn.execute(
            "select scrip, trading_date from analytics.indicators order by trading_date desc, "
            "scrip limit 1 offset 20"
        ).fetchone()
        conn.execute(
            f"update {SOURCE} set txn_close = txn_close * 1.01 "
            "where txn_scrip = %s and txn_date = %s",
            [scrip, day],
        )
    project.dbt("run")
    result = cli("export", "-o", out)
    assert result.code == 0
    assert "that dbt recomputed after they were exported" in result.err
    assert "--rebuild" in result.err
    rebuilt = cli("export", "-o", out, "--rebuild")
    assert rebuilt.code == 0
    keys = ["sma_5", "rsi_14"]
    assert parquet_rows(out, keys) == indicators(project, keys)


def test_export_of_some_scrips_keys_and_dates(cli, project, built, tmp_path):
    out = tmp_path / "subset"
    since = TODAY - dt.timedelta(days=60)
    with project.connect() as conn:
        scrips = [r[0] for r in conn.execute("select distinct scrip from analytics.indicators")]
    chosen = sorted(scrips)[:2]
    result = cli(
        "export", "-o", out, "--since", since, "--scrips", ",".join(chosen), "--keys", "rsi_14"
    )
    assert result.code == 0, result.err
    where = f"where trading_date >= '{since}' and scrip in ('{chosen[0]}', '{chosen[1]}')"
    assert parquet_rows(out, ["rsi_14"]) == indicators(project, ["rsi_14"], where)
    table = pq.read_table(out)
    assert table.column_names[:8] == [
        "scrip", "trading_date", "price_open", "price_high", "price_low", "price_close",
        "price_volume", "price_factor",
    ]  # fmt: skip
    assert table.column_names[8:] == ["rsi_14", "year"]  # year: the hive partition
    assert set(table["price_factor"].to_pylist()) == {1.0}  # not adjusted
    years = [d.year for d in table["trading_date"].to_pylist()]
    assert years == [int(y) for y in table["year"].to_pylist()]


def test_export_refuses_unknown_keys_and_scrips_and_writes_nothing(cli, built, tmp_path):
    out = tmp_path / "refused"
    keys = cli("export", "-o", out, "--keys", "rsi_14", "rsi_99")
    assert keys.code == 2
    assert "unknown key(s): rsi_99 (did you mean rsi_14?)" in keys.err
    scrips = cli("export", "-o", out, "--scrips", "NOSUCH")
    assert scrips.code == 2
    assert "unknown scrip(s): NOSUCH" in scrips.err
    assert not out.exists()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    foreign = cli("export", "-o", tmp_path / "full")
    assert foreign.code == 2 and "not empty" in foreign.err
    # A directory exported from another database is not appended to.
    other = tmp_path / "other"
    assert cli("export", "-o", other, "--keys", "rsi_14").code == 0
    manifest = json.loads((other / "_manifest.json").read_text())
    (other / "_manifest.json").write_text(json.dumps({**manifest, "source": "prod: x.indicators"}))
    mixed = cli("export", "-o", other)
    assert mixed.code == 2
    assert "holds an export of prod: x.indicators, not of dse_test_cli: analytics" in mixed.err


# --------------------------------------------------------------------------- plot and show


def test_plot_draws_the_tables_values(cli, built, project, tmp_path, monkeypatch):
    figures = []

    class Recorded(plot.Figure):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            figures.append(self)

    monkeypatch.setattr(plot, "Figure", Recorded)
    with project.connect() as conn:
        scrip, last = conn.execute(
            "select scrip, max(trading_date) from analytics.indicators group by scrip "
            "order by count(*) desc limit 1"
        ).fetchone()
    since = last - dt.timedelta(days=200)
    out = tmp_path / "chart.png"
    result = cli("plot", scrip, "--from", since, "-o", out)
    assert result.code == 0, result.err
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {out}: {scrip}" in result.out
    assert "not drawn" not in result.out  # every plotted key is in the table

    keys = ["sma_20", "sma_50", "rsi_14", "macd", "macd_signal", "sar"]
    table = indicators(project, keys, f"where scrip = '{scrip}' and trading_date >= '{since}'")
    rows = [table[k] for k in sorted(table)]
    (figure,) = figures
    price, _, rsi, macd = figure.axes

    def series(axis, label: str) -> list:
        (line,) = [line for line in axis.get_lines() if line.get_label() == label]
        return [None if np.isnan(y) else float(y) for y in line.get_ydata()]

    def column(i: int) -> list:
        return [row[i] for row in rows]

    assert series(price, "close") == column(3)
    assert series(price, "SMA 20") == column(5)
    assert series(price, "SMA 50") == column(6)
    assert series(rsi, "RSI 14") == column(7)
    assert series(macd, "macd") == column(8)
    assert series(macd, "macd signal") == column(9)
    (sar,) = [c for c in price.collections if c.get_label() == "SAR"]
    drawn_sar = [float(y) for _, y in sar.get_offsets()]
    assert [y for y in drawn_sar if not np.isnan(y)] == [v for v in column(10) if v is not None]

    unknown = cli("plot", scrip.lower(), "-o", out)
    assert unknown.code == 2
    assert f"unknown scrip '{scrip.lower()}'" in unknown.err and scrip in unknown.err
    backwards = cli("plot", scrip, "--from", "2025-02-01", "--to", "2025-01-01", "-o", out)
    assert backwards.code == 2 and "is after --to" in backwards.err
    nowhere = cli("plot", scrip, "-o", tmp_path / "missing" / "x.png")
    assert nowhere.code == 2 and "does not exist" in nowhere.err
    not_an_image = cli("plot", scrip, "-o", tmp_path / "chart.txt")
    assert not_an_image.code == 2 and "name an image file" in not_an_image.err


def test_show_prints_the_newest_values_of_the_table(cli, built, project):
    result = cli("show", "--limit", "3")
    assert result.code == 0
    assert "analytics.indicators:" in result.out
    header, *lines = result.out.splitlines()[1:]
    assert header.split() == ["scrip", "trading_date", "close", *show.SHOWN_KEYS]
    assert len(lines) == 3
    keys = list(show.SHOWN_KEYS)
    table = indicators(project, keys)
    for line in lines:
        scrip, day, *printed = line.split()
        newest = max(d for s, d in table if s == scrip)
        assert day == str(newest)
        # An absent key (a new listing's warm-up) prints as a blank cell.
        want = [
            v for v in (table[(scrip, newest)][3], *table[(scrip, newest)][5:]) if v is not None
        ]
        for text, value in zip(printed, want, strict=True):
            decimals = len(text.partition(".")[2])
            assert abs(float(text.replace(",", "")) - value) <= 0.5 * 10.0**-decimals, line


# --------------------------------------------------------------------------- shared errors


@pytest.mark.parametrize(
    "args",
    [
        ["status"],
        ["export", "-o", "{tmp}/out"],
        ["plot", "GP", "-o", "{tmp}/gp.png"],
        ["load", "{seed}"],
        ["show"],
    ],
)
def test_no_database_exits_3_with_what_to_do(args, tmp_path):
    seed = Path(__file__).resolve().parents[3] / "seeds" / "dse_sample_prices.csv"
    env = {**os.environ, "PGHOST": str(tmp_path / "no-server-here"), "PGDATABASE": "x"}
    command = [a.format(tmp=tmp_path, seed=seed) for a in args]
    result = subprocess.run(
        [str(Path(sys.executable).with_name("dse-indicators")), *command],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 3, result.stderr
    assert "No database to connect to" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["load", "status", "export", "plot", "show", "db", "sample"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: dse-indicators {command}" in capsys.readouterr().out


def test_bad_option_values_exit_2(cli):
    with pytest.raises(SystemExit) as exit_info:
        cli("export", "-o", "x", "--since", "2024-13-01")
    assert exit_info.value.code == 2
