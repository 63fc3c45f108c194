"""README's "Adding an indicator", followed once on a copy of the project: a new key, the
momentum MOM(close, 10), goes from a family macro to every document and equals TA-Lib.

The SQL steps (2 to 5) are followed here as written; the Python steps (the reference and the
oracle) are those every existing key went through, held by test_catalogue.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import talib

from dse_indicators import source_table
from dse_indicators.sample import generate_prices
from tests.python.integration.conftest import ROOT, Project

FAMILY = """\
{% macro dse_momentum(n) %}
    {#- mom_n = MOM(close, n): the close less the close n rows back. -#}
    {%- set base = 'mom_base_' ~ n -%}
    {{ return({
        'name': 'momentum_' ~ n,
        'levels': [{base: 'lag(close, ' ~ n ~ ') over (partition by scrip order by trading_date)'}],
        'outputs': {'mom_' ~ n: 'case when row_num > ' ~ n ~ ' then close - ' ~ base ~ ' end'},
        'first_rows': {'mom_' ~ n: n + 1},
        'lookback': n,
    }) }}
{% endmacro %}
"""
# Clean prices: every source row is accepted, so the oracle reads its closes from the source.
PRICES = generate_prices(6, 80, seed=31, dirty=False).prices
CATALOGUE_ROW = (
    'mom_10,talib,momentum,"MOM(close, 10)",close,11,Close less the close 10 rows back.\n'
)


@pytest.fixture(scope="module")
def copied(project, tmp_path_factory) -> Project:
    """The dbt project copied as a contributor's checkout, built once before the change."""
    checkout = tmp_path_factory.mktemp("checkout")
    for folder in ("models", "macros", "seeds", "tests/generic"):
        shutil.copytree(ROOT / folder, checkout / folder)
    for name in ("dbt_project.yml", "profiles.example.yml"):
        shutil.copy(ROOT / name, checkout / name)
    with project.connect() as conn:
        source_table.create(conn)
        source_table.copy_frame(conn, PRICES)
    copy = Project(project.env, project.work, root=checkout)
    copy.dbt("run")
    return copy


def test_a_new_indicator_follows_the_readme(copied):
    checkout: Path = copied.root
    # 2. The family macro; 3. one line in the list of families.
    (checkout / "macros" / "indicators" / "dse_momentum.sql").write_text(FAMILY)
    families = checkout / "macros" / "indicators" / "dse_indicator_families.sql"
    text = families.read_text()
    last = "        dse_sma('volume::float8', [20], 'volume_sma'),\n"
    assert last in text
    families.write_text(text.replace(last, last + "        dse_momentum(10),\n"))
    # 4. One row in the catalogue.
    with (checkout / "seeds" / "indicator_catalogue.csv").open("a") as catalogue:
        catalogue.write(CATALOGUE_ROW)
    # 5. A daily run refuses the table built with other indicators; a full refresh rebuilds it.
    refused = copied.dbt("run", check=False)
    assert refused.returncode != 0 and "dbt run --full-refresh" in refused.stdout
    copied.dbt("run", "--full-refresh")
    copied.dbt("test")
    with copied.connect() as conn:
        rows = conn.execute(
            "select scrip, (indicators ->> 'mom_10')::float8, indicators ? 'rsi_14' "
            "from analytics.indicators order by scrip, trading_date"
        ).fetchall()
    assert any(has_rsi for *_, has_rsi in rows)  # the other keys are still there
    for scrip, source in PRICES.sort_values("txn_date").groupby("txn_scrip"):
        expected = talib.MOM(source["txn_close"].to_numpy(dtype=float), 10)
        got = np.array([np.nan if mom is None else mom for s, mom, _ in rows if s == scrip])
        assert np.array_equal(np.isnan(got), np.isnan(expected)), scrip
        assert np.allclose(got, expected, rtol=0, atol=1e-9, equal_nan=True), scrip
