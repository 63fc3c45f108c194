"""`dse-indicators load`: every known layout, idempotent reloads, corrections, bad input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

SOURCE = "public.ws_dse_daily_prices"


@pytest.fixture
def empty_source(project):
    with project.connect() as conn:
        conn.execute(f"drop table if exists {SOURCE}")
    return project


def rows(project, scrip: str | None = None) -> list[tuple]:
    """The source table's rows (none when the table was never created)."""
    with project.connect() as conn:
        if conn.execute("select to_regclass(%s)", [SOURCE]).fetchone()[0] is None:
            return []
        where = "where txn_scrip = %s" if scrip else ""
        found = conn.execute(
            f"select txn_scrip, txn_date, txn_open, txn_high, txn_low, txn_close, txn_volume "
            f"from {SOURCE} {where} order by 1, 2, 7",
            [scrip] if scrip else [],
        )
        return found.fetchall()


def write(path: Path, text: str) -> Path:
    path.write_text(text.lstrip("\n"))
    return path


D = dt.date
GP_26 = ("GP", D(2021, 9, 26), Decimal("1340.5"), Decimal("1352"), Decimal("1330"))


# --------------------------------------------------------------------------- layouts


def test_dsebd_archive_uses_closep_not_ltp(cli, empty_source, tmp_path):
    # As copied from dsebd.org's day-end archive: thousands separators, `--` for no value.
    archive = write(
        tmp_path / "archive.csv",
        """
#,DATE,TRADING CODE,LTP*,HIGH,LOW,OPENP*,CLOSEP*,YCP,TRADE,VALUE (mn),VOLUME
1,2021-09-26,GP,"1,341.0","1,352.0","1,330.0","1,340.5","1,345.2","1,338.0",812,45.1,"33,561"
2,2021-09-26,ACMEPL,--,--,--,--,18.6,18.6,0,0,0
""",
    )
    result = cli("load", archive)
    assert result.code == 0, result.err
    assert "2 rows read (layout dsebd); 2 written" in result.out
    assert rows(empty_source) == [
        ("ACMEPL", D(2021, 9, 26), None, None, None, Decimal("18.6"), 0),
        (*GP_26, Decimal("1345.2"), 33561),
    ]


def test_stocksurferbd_and_bdshare_columns(cli, empty_source, tmp_path):
    surfer = write(
        tmp_path / "surfer.csv",
        """
DATE,TRADING_CODE,LTP,HIGH,LOW,OPENP,CLOSEP,YCP,TRADE,VALUE_MN,VOLUME
2021-09-26,GP,1341,1352,1330,1340.5,1345.2,1338,812,45.1,33561
""",
    )
    bdshare = write(
        tmp_path / "bdshare.csv",
        """
date,symbol,ltp,high,low,open,close,ycp,trade,value,volume
2021-09-27,GP,1350,1360,1340,1345,1355.5,1345.2,700,40.2,"29,000"
""",
    )
    result = cli("load", surfer, bdshare)
    assert result.code == 0, result.err
    assert "(layout dsebd)" in result.out and "(layout bdshare)" in result.out
    assert [row[5] for row in rows(empty_source)] == [Decimal("1345.2"), Decimal("1355.5")]
    assert rows(empty_source)[1][6] == 29000


def test_jibon_k_with_and_without_header(cli, empty_source, tmp_path):
    # The yearly files have no header, DD-MM-YYYY dates, a blank line and a DOS end-of-file
    # mark; 2021.csv has a header and ISO dates, newest first.
    yearly = tmp_path / "2020.csv"
    yearly.write_bytes(
        b"ABBANK,03-08-2020,10.1,10.4,10,10.2,1500\r\n"
        b"01.Bank,04-08-2020,24.19,24.73,23.85,24.43,2434432.63\r\n\r\n\x1a"
    )
    recent = write(
        tmp_path / "2021.csv",
        """
trading_code,date,openning_price,high,low,closing_price,volume
ABBANK,2021-01-31,12.1,12.3,12,12.2,2000
ABBANK,2021-01-28,12,12.2,11.9,12.1,1800
""",
    )
    result = cli("load", yearly, recent)
    assert result.code == 0, result.err
    assert "1 fractional volume rounded to whole shares" in result.out
    assert rows(empty_source) == [
        ("01.Bank", D(2020, 8, 4), Decimal("24.19"), Decimal("24.73"), Decimal("23.85"),
         Decimal("24.43"), 2434433),
        ("ABBANK", D(2020, 8, 3), Decimal("10.1"), Decimal("10.4"), Decimal("10"),
         Decimal("10.2"), 1500),
        ("ABBANK", D(2021, 1, 28), Decimal("12"), Decimal("12.2"), Decimal("11.9"),
         Decimal("12.1"), 1800),
        ("ABBANK", D(2021, 1, 31), Decimal("12.1"), Decimal("12.3"), Decimal("12"),
         Decimal("12.2"), 2000),
    ]  # fmt: skip


def test_one_file_per_scrip_csv_and_parquet(cli, empty_source, tmp_path):
    csv_file = write(
        tmp_path / "gp.csv",
        """
Date,Open,High,Low,Close,Volume
2012-10-01,175.1,175.1,166.3,167.4,312800
""",
    )
    parquet_file = tmp_path / "BATBC.parquet"
    pq.write_table(
        pa.table(
            {
                "Date": pa.array([D(2012, 10, 1)], pa.date32()),
                "Open": [300.5],
                "High": [305.0],
                "Low": [299.0],
                "Close": [304.25],
                "Volume": pa.array([1200], pa.int64()),
            }
        ),
        parquet_file,
    )
    result = cli("load", csv_file, parquet_file)
    assert result.code == 0, result.err
    assert "scrip GP from the file name" in result.out
    assert rows(empty_source) == [
        ("BATBC", D(2012, 10, 1), Decimal("300.5"), Decimal("305"), Decimal("299"),
         Decimal("304.25"), 1200),
        ("GP", D(2012, 10, 1), Decimal("175.1"), Decimal("175.1"), Decimal("166.3"),
         Decimal("167.4"), 312800),
    ]  # fmt: skip


def test_map_names_the_columns_of_an_unknown_layout(cli, empty_source, tmp_path):
    odd = write(
        tmp_path / "odd.csv",
        """
code,day,o,h,l,c,last,shares
GP,26/09/2021,1340.5,1352,1330,1345.2,1341,33561
""",
    )
    unknown = cli("load", odd)
    assert unknown.code == 2
    assert "unknown columns code, day, o, h, l, c, last, shares" in unknown.err
    assert "--map" in unknown.err
    mapping = (
        "txn_scrip=code,txn_date=day,txn_open=o,txn_high=h,txn_low=l,txn_close=c,volume=shares"
    )
    result = cli("load", odd, "--map", mapping)
    assert result.code == 0, result.err
    assert rows(empty_source) == [(*GP_26, Decimal("1345.2"), 33561)]
    # A partial map overrides one column of a known layout: LTP as the close.
    surfer = write(
        tmp_path / "surfer.csv",
        """
DATE,TRADING_CODE,LTP,HIGH,LOW,OPENP,CLOSEP,YCP,TRADE,VALUE_MN,VOLUME
2021-09-26,GP,1341,1352,1330,1340.5,1345.2,1338,812,45.1,33561
""",
    )
    assert cli("load", surfer, "--map", "txn_close=LTP").code == 0
    assert rows(empty_source)[0][5] == Decimal("1341")


# --------------------------------------------------------------------------- idempotence


def test_loading_twice_changes_nothing_and_a_correction_replaces(cli, empty_source, tmp_path):
    seed = Path(__file__).resolve().parents[3] / "seeds" / "dse_sample_prices.csv"
    first = cli("load", seed)
    assert first.code == 0, first.err
    total = len(seed.read_text().splitlines()) - 1
    assert f"{total:,} rows read (layout source); {total:,} written" in first.out
    with empty_source.connect() as conn:
        versions = conn.execute(f"select ctid::text, xmin::text from {SOURCE}").fetchall()

    again = cli("load", seed)
    assert f"0 written (0 old rows replaced), {total:,} unchanged" in again.out
    with empty_source.connect() as conn:
        assert conn.execute(f"select ctid::text, xmin::text from {SOURCE}").fetchall() == versions

    gp = [line for line in seed.read_text().splitlines() if line.startswith("GP,")]
    day, *_ = gp[10].split(",")[1:]
    corrected = write(
        tmp_path / "correction.csv",
        f"txn_scrip,txn_date,txn_open,txn_high,txn_low,txn_close,txn_volume\n"
        f"GP,{day},300,310,290,305.5,12345\n",
    )
    fixed = cli("load", corrected)
    assert "1 written (1 old row replaced), 0 unchanged" in fixed.out
    assert [r for r in rows(empty_source, "GP") if str(r[1]) == day] == [
        ("GP", D.fromisoformat(day), 300, 310, 290, Decimal("305.5"), 12345)
    ]
    assert len(rows(empty_source)) == total


def test_rows_the_cleaning_rules_will_reject_are_counted(cli, empty_source, tmp_path):
    future = dt.date.today() + dt.timedelta(days=5)
    dirty = write(
        tmp_path / "dirty.csv",
        f"""
txn_scrip,txn_date,txn_open,txn_high,txn_low,txn_close,txn_volume
GP,2024-01-02,10,11,9,10.5,100
GP,2024-01-02,10,11,9,10.4,90
GP,2024-01-03,10,9,11,10.5,100
GP,2024-01-04,,11,9,10.5,100
GP,2024-01-07,0,0,0,10.5,0
,2024-01-08,10,11,9,10.5,100
GP,{future},10,11,9,10.5,100
""",
    )
    result = cli("load", dirty)
    assert result.code == 0, result.err
    assert (
        "5 rows will be rejected by the cleaning rules (duplicate 1, future_date 1, "
        "high_below_low 1, missing_key 1, missing_price 1)" in result.out
    )
    assert len(rows(empty_source)) == 7


# --------------------------------------------------------------------------- bad input


def test_bad_input_exits_2_and_writes_nothing(cli, empty_source, tmp_path):
    good = write(
        tmp_path / "GP.csv",
        "Date,Open,High,Low,Close,Volume\n2021-09-26,1,2,0.5,1.5,10\n",
    )
    cases = {
        "missing": (tmp_path / "nowhere.csv", "nowhere.csv: no such file"),
        "columns": (
            write(tmp_path / "cols.csv", "a,b,c\n1,2,3\n"),
            "unknown columns a, b, c",
        ),
        "date": (
            write(
                tmp_path / "ACI.csv",
                "Date,Open,High,Low,Close,Volume\n"
                + "".join(f"2021-09-{d:02},1,2,0.5,1.5,10\n" for d in range(1, 29))
                + "2021-09-31,1,2,0.5,1.5,10\n",
            ),
            "data row 29: date '2021-09-31' does not parse as YYYY-MM-DD",
        ),
        "separator": (
            write(tmp_path / "semi.csv", "symbol;date;close\nGP;2021-09-26;1.5\n"),
            "the columns seem separated by ';'",
        ),
        "format": (
            write(tmp_path / "BXP.csv", "Date,Open,High,Low,Close,Volume\nSep 26,1,2,1,1,1\n"),
            "dates like 'Sep 26' match none of",
        ),
        "number": (
            write(tmp_path / "RAK.csv", "Date,Open,High,Low,Close,Volume\n2021-09-26,1,2,x,1,1\n"),
            "data row 1: low price 'x' is not a number",
        ),
    }
    for name, (bad, message) in cases.items():
        result = cli("load", good, bad)
        assert result.code == 2, name
        assert message in result.err, (name, result.err)
        assert rows(empty_source) == [], name


def test_a_bad_row_deep_in_a_big_file_rolls_everything_back(cli, empty_source, tmp_path):
    good = write(
        tmp_path / "GP.csv", "Date,Open,High,Low,Close,Volume\n2021-09-26,1,2,0.5,1.5,10\n"
    )
    lines = ["Date,Open,High,Low,Close,Volume"]
    start = dt.date(1990, 1, 1)
    lines += [f"{start + dt.timedelta(days=i)},1,2,0.5,1.5,10" for i in range(150_000)]
    lines.append("2021-02-30,1,2,0.5,1.5,10")  # after the first batch the pre-check reads
    big = write(tmp_path / "ACI.csv", "\n".join(lines) + "\n")
    result = cli("load", good, big)
    assert result.code == 2
    assert "data row 150001: date '2021-02-30' does not parse" in result.err
    assert "nothing was loaded" in result.err
    assert rows(empty_source) == []


def test_bad_map_and_help(cli, tmp_path):
    result = cli("load", tmp_path / "x.csv", "--map", "close")
    assert result.code == 2 and "--map: cannot read 'close'" in result.err
    with pytest.raises(SystemExit) as help_exit:
        cli("load", "--help")
    assert help_exit.value.code == 0


def test_sample_still_writes_generated_prices(cli, project):
    result = cli("sample", "--scrips", "2", "--days", "30", "--replace")
    assert result.code == 0, result.err
    assert "2 scrips x 30 trading days" in result.out
    again = cli("sample", "--scrips", "2", "--days", "30")
    assert again.code == 2 and "--replace" in again.err


def test_bad_numbers_as_null_loads_what_the_archive_has(cli, empty_source, tmp_path):
    # jibon-k's 2014.csv really holds a low of '1781..50'.
    archive = write(
        tmp_path / "2014.csv",
        "trading_code,date,openning_price,high,low,closing_price,volume\n"
        "BATBC,2014-03-02,1800,1810,1781..50,1795,2500\n"
        "BATBC,2014-03-03,1795,1805,1790,1800,2100\n",
    )
    strict = cli("load", archive)
    assert strict.code == 2
    assert "data row 1: low price '1781..50' is not a number" in strict.err
    assert "--bad-numbers-as-null" in strict.err
    lenient = cli("load", archive, "--bad-numbers-as-null")
    assert lenient.code == 0, lenient.err
    assert "1 unreadable number loaded as no value" in lenient.out
    assert "1 row will be rejected by the cleaning rules (missing_price 1)" in lenient.out
    assert [row[4] for row in rows(empty_source)] == [None, Decimal("1790")]
