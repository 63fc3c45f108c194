"""`migrate`: keep the old backfill job's table as indicators_legacy, so dbt can build its own.

The old `backfill_indicators.py` job wrote a table named `indicators` in the target schema:
(scrip, trading_date, indicators jsonb, status, notes, created_at, updated_at). dbt refuses to
run over it (macros/run/dse_incremental_helpers.sql, dse_refuse_legacy_table); this renames it,
its indexes and its primary key in one transaction, and the next `dbt run` builds the new table
under the old name, its indexes under the old index names.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from dse_indicators.errors import UserError

TABLE = "indicators"
LEGACY = "indicators_legacy"


@dataclass
class Migration:
    """What `migrate` found and did."""

    schema: str
    migrated: bool
    message: str
    rows: int = 0
    renamed: dict[str, str] | None = None


def is_legacy_table(conn: psycopg.Connection, schema: str, name: str) -> bool:
    """A table that exists without the `state` and `features` columns dbt's table has."""
    query = (
        "select to_regclass(%(rel)s) is not null, count(a.attname) from pg_attribute as a"
        " where a.attrelid = to_regclass(%(rel)s) and a.attname in ('state', 'features')"
        " and not a.attisdropped"
    )
    rel = sql.Identifier(schema, name).as_string(conn)
    exists, new_columns = conn.execute(query, {"rel": rel}).fetchone()
    return exists and new_columns == 0


def _exists(conn: psycopg.Connection, schema: str, name: str) -> bool:
    rel = sql.Identifier(schema, name).as_string(conn)
    return conn.execute("select to_regclass(%s) is not null", [rel]).fetchone()[0]


def legacy_name(index: str) -> str:
    """idx_indicators_scrip -> idx_indicators_legacy_scrip; indicators_pkey -> ..._legacy_pkey."""
    if TABLE in index:
        return index.replace(TABLE, LEGACY, 1)
    return f"{index}_legacy"


def migrate(conn: psycopg.Connection, schema: str) -> Migration:
    """Rename the old table and its indexes, or say why there is nothing to do."""
    with conn.transaction():
        if not is_legacy_table(conn, schema, TABLE):
            if _exists(conn, schema, LEGACY):
                message = f"already migrated: the old table is {schema}.{LEGACY}; nothing to do"
            elif _exists(conn, schema, TABLE):
                message = f"{schema}.{TABLE} is already dbt's table: nothing to migrate"
            else:
                message = f"no table {schema}.{TABLE}: nothing to migrate"
            return Migration(schema, False, message)
        table = sql.Identifier(schema, TABLE)
        # Readers and writers of the old table wait until the rename commits.
        conn.execute(sql.SQL("lock table {} in access exclusive mode").format(table))
        (rows,) = conn.execute(sql.SQL("select count(*) from {}").format(table)).fetchone()
        indexes = [
            name
            for (name,) in conn.execute(
                "select i.relname from pg_index as x join pg_class as i on i.oid = x.indexrelid"
                " where x.indrelid = %s::regclass order by i.relname",
                [table.as_string(conn)],
            )
        ]
        renamed = {name: legacy_name(name) for name in indexes}
        try:
            # Renaming the index of a constraint (the primary key) renames the constraint too.
            for old, new in renamed.items():
                conn.execute(
                    sql.SQL("alter index {} rename to {}").format(
                        sql.Identifier(schema, old), sql.Identifier(new)
                    )
                )
            conn.execute(
                sql.SQL("alter table {} rename to {}").format(table, sql.Identifier(LEGACY))
            )
        except psycopg.errors.DuplicateTable as error:
            raise UserError(
                f"{error.diag.message_primary}, so {schema}.{TABLE} cannot be kept under that "
                f"name; nothing was changed. Rename or drop that relation, then run "
                f"dse-indicators migrate again"
            ) from error
    message = (
        f"kept the old table as {schema}.{LEGACY} ({rows:,} rows); "
        f"now run dbt run to build {schema}.{TABLE}"
    )
    return Migration(schema, True, message, rows, renamed)
