"""The catalogue of keys (seeds/indicator_catalogue.csv) against everything that lists keys.

No database: these run in the fast suite. They take the place of the seed's dbt column tests,
which could only run after `dbt seed`.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from dse_indicators import catalogue
from dse_indicators.reference import KEYS, compute_all
from dse_indicators.reference.backfill import BACKFILL_KEYS, backfill_keys
from tests.python.talib_oracle import CALLS, talib_keys

ROOT = Path(__file__).resolve().parents[2]
ENTRIES = catalogue.load()
TALIB = [entry for entry in ENTRIES if entry.set == "talib"]


def _section(text: str, heading: str) -> str:
    """The text under a Markdown heading, up to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    start = text.index(heading + "\n") + len(heading) + 1
    ends = [m.start() for m in re.finditer(rf"^#{{1,{len(level)}}} ", text[start:], re.M)]
    return text[start : start + ends[0]] if ends else text[start:]


def _table_rows(text: str) -> list[list[str]]:
    """The cells of a Markdown table's body rows."""
    lines = [line.strip() for line in text.splitlines() if line.startswith("|")]
    rows = [line.strip("|").split("|") for line in lines]
    return [[cell.strip() for cell in row] for row in rows[2:]]


def test_the_catalogue_is_well_formed():
    keys = [entry.key for entry in ENTRIES]
    assert keys and all(keys) and len(set(keys)) == len(keys)
    assert all(isinstance(e.first_row, int) and e.first_row >= 1 for e in ENTRIES)
    assert {entry.set for entry in ENTRIES} == {"talib", "backfill"}
    assert all(entry.inputs for entry in ENTRIES)
    assert all(bool(entry.talib_call) == (entry.set == "talib") for entry in ENTRIES)
    assert set(catalogue.keys("backfill")) == set(BACKFILL_KEYS) and len(BACKFILL_KEYS) == 31


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (",talib,f,X(close),close,1,m", "the key is empty"),
        ("sma_5,talib,f,X(close),close,0,m", "first_row of sma_5 must be a positive integer"),
        ("sma_5,talib,f,X(close),close,,m", "first_row of sma_5 must be a positive integer"),
        ("sma_5,talib,f,X(close),close,1.5,m", "first_row of sma_5 must be a positive integer"),
        ("sma_5,talib,f,X(close),close,1,m\nsma_5,talib,f,X,close,1,m", "appears twice"),
    ],
)
def test_a_malformed_catalogue_is_refused(tmp_path, line, message):
    file = tmp_path / "catalogue.csv"
    file.write_text(",".join(catalogue.COLUMNS) + "\n" + line + "\n")
    with pytest.raises(catalogue.CatalogueError, match=message):
        catalogue.read(file)


def test_the_reference_computes_the_catalogue_keys_in_its_order():
    series = [np.linspace(10, 20, 300)] * 5
    assert catalogue.keys("talib") == KEYS
    assert tuple(compute_all(*series)) == KEYS


def test_the_oracle_runs_the_catalogue_calls():
    calls = {entry.key: entry.talib_call for entry in ENTRIES if entry.set == "talib"}
    assert calls == CALLS
    series = [np.linspace(10, 20, 300)] * 5
    assert set(talib_keys(*series)) == set(CALLS)


def test_first_row_is_where_talib_starts():
    """first_row is the warm-up: the oracle's first value sits on that row (1-based)."""
    rng = np.random.default_rng(3)
    close = 100 + rng.standard_normal(400).cumsum()
    high, low = close + rng.random(400), close - rng.random(400)
    volume = rng.integers(1, 10**6, 400).astype(float)
    values = talib_keys(close, high, low, close, volume)
    for entry in TALIB:
        first = int(np.flatnonzero(~np.isnan(values[entry.key]))[0]) + 1
        assert first == entry.first_row, entry.key


def test_first_row_is_where_the_old_job_has_a_value():
    """For the old job's keys first_row is the first non-null row of the literal reference."""
    rng = np.random.default_rng(4)
    close = 100 + rng.standard_normal(260).cumsum()
    high, low = close + rng.random(260), close - rng.random(260)
    volume = rng.integers(1, 10**6, 260).astype(float)
    dates = np.arange(np.datetime64("2024-01-01"), np.datetime64("2024-01-01") + 260)
    values = backfill_keys(dates, close, high, low, close, volume)
    for entry in ENTRIES:
        if entry.set == "backfill":
            defined = ~np.isnan(np.asarray(values[entry.key], dtype=float))
            assert int(np.flatnonzero(defined)[0]) + 1 == entry.first_row, entry.key


def test_the_readme_table_lists_exactly_the_catalogue_keys():
    text = (ROOT / "README.md").read_text()
    rows = _table_rows(_section(text, "## The indicators"))
    listed = [key.strip() for row in rows for key in row[1].split(",")]
    assert sorted(listed) == sorted(entry.key for entry in ENTRIES)
    assert f"{len(ENTRIES)} keys" in _section(text, "## The indicators")


def test_the_conventions_warm_up_table_follows_the_catalogue():
    text = (ROOT / "docs" / "talib-conventions.md").read_text()
    rows = _table_rows(_section(text, "## Warm-up table (first defined 0-based row; NaN before)"))
    listed = {}
    for row in rows:
        for key, first in (row[0:2], row[3:5]):
            if key:
                listed[key] = int(first.strip("*")) + 1  # the page counts rows from 0
    assert listed == {entry.key: entry.first_row for entry in TALIB}


def test_the_indicator_plan_computes_the_catalogue_keys_from_their_first_rows():
    """The SQL families, as the plan renders them (analyses/indicator_keys.sql, held to its
    golden file by test_generated_sql.py): the catalogue's keys, in its order, with its warm-ups.
    """
    rendered = (ROOT / "tests" / "python" / "golden" / "indicator_keys.sql.golden").read_text()
    planned = [(key, int(row)) for key, row in re.findall(r"\('(\w+)', (\d+)\)", rendered)]
    assert planned == [(entry.key, entry.first_row) for entry in ENTRIES]
