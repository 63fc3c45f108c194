"""The dbt project's vars, as dbt reads them: dbt_project.yml, overridden by `--vars`.

The helper writes and reads the source table that dbt reads, so it takes the table's place and
column names from the same vars (`source_schema`, `source_table`, `col_*`) instead of a copy.
`--vars` has dbt's syntax, a YAML mapping, and the same meaning: given to `dse-indicators`, it
is what the same option of `dbt run` would be.
"""

from __future__ import annotations

import dataclasses
import functools

import yaml

from dse_indicators import paths
from dse_indicators.errors import UserError

# The source's columns in the order the helper writes them; each name is a var of dbt_project.yml.
FIELDS = ("scrip", "date", "open", "high", "low", "close", "volume")


@dataclasses.dataclass(frozen=True)
class Source:
    """Where the raw prices live and what their columns are called."""

    schema: str
    table: str
    columns: tuple[str, ...]  # in FIELDS order

    def column(self, field: str) -> str:
        return self.columns[FIELDS.index(field)]

    def with_table(self, table: str) -> Source:
        return dataclasses.replace(self, table=table)


@functools.cache
def project_vars() -> dict:
    """The vars of dbt_project.yml (without anything a command line adds)."""
    file = paths.checkout() / "dbt_project.yml"
    with open(file, encoding="utf-8") as handle:
        return dict((yaml.safe_load(handle) or {}).get("vars") or {})


def parse_vars(text: str | None) -> dict:
    """A `--vars` value: a YAML mapping, as dbt takes it; UserError otherwise."""
    if not text:
        return {}
    try:
        found = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise UserError(f"--vars is not YAML: {error}") from None
    if found is None:
        return {}
    if not isinstance(found, dict):
        raise UserError(
            f"--vars must be a YAML mapping such as '{{source_table: prices}}', not {text!r}"
        )
    return found


def vars_with(overrides: str | None = None) -> dict:
    """dbt_project.yml's vars with `--vars` on top."""
    return {**project_vars(), **parse_vars(overrides)}


def source(overrides: str | None = None) -> Source:
    """The source table the vars name."""
    found = vars_with(overrides)
    names = ["source_schema", "source_table", *(f"col_{field}" for field in FIELDS)]
    empty = [name for name in names if not str(found.get(name) or "").strip()]
    if empty:
        raise UserError(f"the var(s) {', '.join(empty)} must name the source table and columns")
    return Source(
        schema=str(found["source_schema"]),
        table=str(found["source_table"]),
        columns=tuple(str(found[f"col_{field}"]) for field in FIELDS),
    )


@dataclasses.dataclass(frozen=True)
class ActionsTable:
    """Where the corporate actions live (contract section 5): the vars actions_schema/_table."""

    schema: str
    table: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.table}"


def actions(overrides: str | None = None) -> ActionsTable:
    """The corporate actions table the vars name."""
    found = vars_with(overrides)
    empty = [n for n in ("actions_schema", "actions_table") if not str(found.get(n) or "").strip()]
    if empty:
        raise UserError(f"the var(s) {', '.join(empty)} must name the corporate actions table")
    return ActionsTable(schema=str(found["actions_schema"]), table=str(found["actions_table"]))
