"""The cleaning rules, as dbt renders them: what a run will reject, for the loader's report.

The rules have one home, the macro `dse_stage_prices` (macros/staging/), which the staging view
and daily runs share. The helper does not copy them: it has dbt render that macro once per
command (`dbt compile --inline`, with the command's `--vars`, so the same source names and
`run_date`), and runs the rendered query itself, inside the load's transaction. dbt's start-up
and the project's parse make that render cost a few seconds; docs/cli.md has the figure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from psycopg import sql

from dse_indicators import database, paths

# The temporary table of (scrip, date) keys whose rows the report covers. The staging macro
# takes a filter that keeps or drops all rows of a key, so ranking the duplicates of those keys
# alone is ranking them over the whole source. Keys are compared as the staging view types
# them (a source date column of type timestamp holds several rows of one trading date).
KEYS_TABLE = "dse_loaded_keys"

_REJECT_COUNTS = """\
{%- set keys_filter -%}
(coalesce(KEY_SCRIP, E'\\x01'), coalesce(KEY_DATE, '-infinity'::date))
    in (select scrip, trading_date from pg_temp.KEYS_TABLE)
{%- endset -%}
select reject_reason, count(*)
from ({{ dse_stage_prices(source('dse', 'daily_prices'), keys_filter) }}) as staged
where reject_reason is not null
group by reject_reason
"""


class RulesUnavailable(RuntimeError):
    """dbt could not render the cleaning rules; carries its message."""


def _template() -> str:
    text = _REJECT_COUNTS.replace("KEYS_TABLE", KEYS_TABLE)
    text = text.replace("KEY_SCRIP", "{{ adapter.quote(var('col_scrip')) }}::text")
    return text.replace("KEY_DATE", "{{ adapter.quote(var('col_date')) }}::date")


def keys_table(key_scrip: sql.Composable, key_date: sql.Composable) -> sql.Composed:
    """`create temporary table` of the loaded keys, from expressions of their scrip and date."""
    return sql.SQL(
        "create temporary table {table} (scrip, trading_date) on commit drop as"
        " select distinct coalesce({scrip}::text, E'\\x01'),"
        " coalesce({day}::date, '-infinity'::date) from incoming"
    ).format(table=sql.Identifier(KEYS_TABLE), scrip=key_scrip, day=key_date)


def _dbt() -> str:
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.is_file() else (shutil.which("dbt") or "dbt")


def render_reject_counts(vars_text: str | None = None) -> str:
    """The query counting, by reason, the rejects among the keys of KEYS_TABLE, as dbt renders it.

    dbt finds its profile as for `dbt run` (DBT_PROFILES_DIR, the current folder, ~/.dbt) and
    talks to the database the helper uses. Its files go to target/dse-indicators/ (ignored by
    git), apart from a user's own run's, and reused by the next render (dbt's partial parse).
    """
    root = paths.checkout()
    work = root / "target" / "dse-indicators"
    command = [
        _dbt(), "compile", "--inline", _template(), "--quiet", "--output", "json",
        "--project-dir", str(root), "--target-path", str(work), "--log-path", str(work),
    ]  # fmt: skip
    if vars_text:
        command += ["--vars", vars_text]
    env = {**os.environ, **database.environment()}
    try:
        done = subprocess.run(
            command, env=env, cwd=Path.cwd(), capture_output=True, text=True, check=False
        )
    except OSError as error:
        raise RulesUnavailable(f"dbt did not start: {error}") from error
    try:
        return json.loads(done.stdout)["compiled"]
    except (ValueError, KeyError, TypeError):
        message = (done.stdout + done.stderr).strip().splitlines()
        last = message[-1] if message else f"dbt exited with code {done.returncode}"
        raise RulesUnavailable(last) from None
