"""The generated SQL, held to golden files: a change that alters it shows as a diff here.

The analyses render what the indicator plan generates: the PL/pgSQL functions, the model's
query for a full refresh and for a daily run. They are compiled by dbt and compared with the
files in tests/python/golden/. When a change is meant to alter the SQL, write the files anew
with `DSE_UPDATE_GOLDEN=1 .venv/bin/pytest tests/python/integration/test_generated_sql.py`
and commit them with the change: the diff is the review of the generated SQL.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

import pytest

from dse_indicators import source_table
from dse_indicators.sample import generate_prices

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = ROOT / "tests" / "python" / "golden"
ANALYSES = (
    "recursive_functions",
    "indicators_full_refresh",
    "indicators_daily_run",
    "indicator_keys",
)
MODEL = Path("dse_indicators", "models", "marts", "indicators.sql")


def compiled(project, *path: str | Path) -> str:
    """A compiled file, with the test's database name taken out (the schema is `analytics`)."""
    text = (project.work / "target" / "compiled" / Path(*path)).read_text()
    return text.replace(f'"{project.env["PGDATABASE"]}".', "")


def without_comments_and_blank_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.startswith("--")]


@pytest.fixture(scope="module")
def analyses(project):
    """The analyses compiled against a database without the table (and with a source)."""
    with project.connect() as conn:
        source_table.create(conn)
        source_table.copy_frame(conn, generate_prices(3, 60, seed=5).prices)
    project.dbt("compile", "--select", "path:analyses", "indicators")
    return {
        name: compiled(project, "dse_indicators", "analyses", f"{name}.sql") for name in ANALYSES
    }


@pytest.mark.parametrize("name", ANALYSES)
def test_the_generated_sql_equals_its_golden_file(analyses, name):
    golden = GOLDEN / f"{name}.sql.golden"
    if os.environ.get("DSE_UPDATE_GOLDEN"):
        golden.write_text(analyses[name])
    expected = golden.read_text()
    diff = "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            analyses[name].splitlines(keepends=True),
            f"golden/{golden.name}",
            f"analyses/{name}.sql as compiled now",
        )
    )
    assert not diff, (
        f"The generated SQL changed. If that is intended, write the golden files anew "
        f"(DSE_UPDATE_GOLDEN=1) and commit them with the change:\n{diff}"
    )


@pytest.fixture(scope="module")
def compiled_model(project, analyses):
    """The model compiled for a full refresh (no table yet), then, once built, for a daily run."""
    full_refresh = compiled(project, MODEL)
    project.dbt("run")
    project.dbt("compile", "--select", "indicators")
    return {
        "indicators_full_refresh": full_refresh,
        "indicators_daily_run": compiled(project, MODEL),
    }


@pytest.mark.parametrize("name", ["indicators_full_refresh", "indicators_daily_run"])
def test_the_analyses_render_what_the_model_runs(analyses, compiled_model, name):
    """The analyses show what runs, not a copy of it."""
    assert without_comments_and_blank_lines(compiled_model[name]) == (
        without_comments_and_blank_lines(analyses[name])
    )


def test_every_function_the_plan_needs_is_in_the_schema(project, analyses, compiled_model):
    """on-run-start created the functions the analysis renders."""
    created = r'create or replace (?:function|aggregate) "analytics"\.(\w+)'
    names = set(re.findall(created, analyses["recursive_functions"]))
    query = (
        "select p.proname from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace"
        " where n.nspname = 'analytics'"
    )
    with project.connect() as conn:
        found = {row[0] for row in conn.execute(query)}
    assert len(names) >= 3 and names <= found
