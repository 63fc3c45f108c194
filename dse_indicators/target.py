"""The relations dbt builds in the target schema, as the helper commands read them."""

from __future__ import annotations

import os

import psycopg
from psycopg import sql

from dse_indicators.errors import NotBuilt

NOT_BUILT = "indicators not built yet: run dbt run"


def schema_name(explicit: str | None = None) -> str:
    """The target schema: the option, else $DBT_SCHEMA, else public (as profiles.yml says)."""
    return explicit or os.environ.get("DBT_SCHEMA") or "public"


def exists(conn: psycopg.Connection, schema: str, name: str) -> bool:
    query = "select to_regclass(%s) is not null"
    return conn.execute(query, [sql.Identifier(schema, name).as_string(conn)]).fetchone()[0]


def indicators_table(conn: psycopg.Connection, schema: str) -> sql.Identifier:
    """`schema.indicators`, or NotBuilt when dbt has not created it yet."""
    if not exists(conn, schema, "indicators"):
        raise NotBuilt(f"{NOT_BUILT} (no table {schema}.indicators)")
    return sql.Identifier(schema, "indicators")
