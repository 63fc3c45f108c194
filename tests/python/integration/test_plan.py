"""The indicator plan at compile time: warm-ups from the families, clashes refused.

Each case compiles one inline query against the module's empty database; nothing is built.
"""

from __future__ import annotations

import csv
import json

import pytest

from .conftest import ROOT


def compile_inline(project, template: str):
    return project.dbt("compile", "--quiet", "--inline", template, check=False)


def test_first_rows_come_from_the_families_and_match_the_catalogue(project):
    result = compile_inline(
        project, "{{ tojson(dse_indicator_plan(dse_indicator_families()).first_rows) }}"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    first_rows = json.loads(result.stdout.strip().splitlines()[-1])
    with (ROOT / "seeds" / "indicator_catalogue.csv").open() as seed:
        catalogue = {row["key"]: int(row["first_row"]) for row in csv.DictReader(seed)}
    assert first_rows == catalogue


@pytest.mark.parametrize(
    ("template", "message"),
    [
        pytest.param(
            "{% set f = dse_indicator_families() %}{% do f.append(dse_sma('close', [5], 'sma')) %}"
            "{{ dse_indicator_plan(f).outputs }}",
            "the output key sma_5 is defined by both the family sma_5_10_20 and the family sma_5",
            id="output key",
        ),
        pytest.param(
            "{% set a, b = dse_willr(14), dse_willr(15) %}"
            "{% do b.update({'levels': [{'willr_high_14': 'max(low)'}]}) %}"
            "{{ dse_indicator_plan([a, b]).outputs }}",
            "the level column willr_high_14 is defined by both the family willr_14 and the"
            " family willr_15",
            id="level column",
        ),
        pytest.param(
            "{% set a, b = dse_cci(20), dse_cci(20) %}{% do b.update({'name': 'cci_again',"
            " 'outputs': {}, 'first_rows': {}}) %}{{ dse_indicator_plan([a, b]).outputs }}",
            "the state cci_20 is defined by both the family cci_20 and the family cci_again",
            id="state name",
        ),
        pytest.param(
            "{% set a = dse_atr(14) %}{% do a.recursive.update({'body': a.recursive.body"
            " ~ ' {sma} := 0;'}) %}{{ dse_indicator_plan([a]).outputs }}",
            "the family atr_14 reads the slot sma, which its state does not declare",
            id="unknown slot",
        ),
        pytest.param(
            "{% set a = dse_rsi(14) %}{% do a.update({'first_rows': {}}) %}"
            "{{ dse_indicator_plan([a]).outputs }}",
            "the family rsi_14 gives no first row",
            id="first row",
        ),
    ],
)
def test_a_clash_stops_the_compile_and_names_both_sides(project, template, message):
    result = compile_inline(project, template)
    assert result.returncode != 0
    assert message in " ".join((result.stdout + result.stderr).split())
