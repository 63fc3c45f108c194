"""The benchmark's database side: a fresh database, its data, the write floor, row counts."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from dse_indicators import catalogue, project, source_table
from dse_indicators.sample import generate_prices

HELD_TABLE = "bench_held_prices"
SOURCE = source_table.table_name()
HELD_SOURCE = project.source().with_table(HELD_TABLE)
HELD = source_table.table_name(HELD_SOURCE)


def connect(env: dict[str, str], dbname: str) -> psycopg.Connection:
    """An autocommit connection to `dbname` on the server `env` (PG* variables) names."""
    params = {
        "host": env.get("PGHOST"),
        "port": env.get("PGPORT"),
        "user": env.get("PGUSER"),
        "password": env.get("PGPASSWORD"),
        "dbname": dbname,
    }
    return psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True)


def drop_database(env: dict[str, str], name: str) -> None:
    with connect(env, env.get("PGDATABASE") or "postgres") as conn:
        drop = sql.SQL("drop database if exists {} with (force)")
        conn.execute(drop.format(sql.Identifier(name)))


def recreate_database(env: dict[str, str], name: str) -> None:
    drop_database(env, name)
    with connect(env, env.get("PGDATABASE") or "postgres") as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))


@dataclass(frozen=True)
class Workload:
    scrips: int
    days: int
    held_days: int  # generated after the `days`, released into the source one per repetition
    seed: int
    end: dt.date


@dataclass(frozen=True)
class Loaded:
    source_rows: int
    held_rows: int


def load_prices(conn: psycopg.Connection, workload: Workload) -> Loaded:
    """Generated prices into the source table; the last `held_days` dates into another table."""
    data = generate_prices(
        workload.scrips, workload.days + workload.held_days, seed=workload.seed, end=workload.end
    )
    held_dates = data.calendar[-workload.held_days :] if workload.held_days else []
    is_held = data.prices["txn_date"].isin(held_dates)
    source_table.create(conn)
    conn.execute(sql.SQL("create table {} (like {})").format(HELD, SOURCE))
    source_rows = source_table.copy_frame(conn, data.prices[~is_held])
    held_rows = source_table.copy_frame(conn, data.prices[is_held], HELD_SOURCE)
    # A freshly loaded table gets its hint bits and statistics on first read; do that now.
    conn.execute(sql.SQL("vacuum analyze {}").format(SOURCE))
    return Loaded(source_rows, held_rows)


def release_next_day(conn: psycopg.Connection) -> tuple[dt.date, int]:
    """Move the earliest held-back trading date into the source table: a new day arrives."""
    day = conn.execute(sql.SQL("select min(txn_date) from {}").format(HELD)).fetchone()[0]
    if day is None:
        raise RuntimeError("no held-back day left to release")
    moved = conn.execute(
        sql.SQL(
            "with moved as (delete from {held} where txn_date = %s returning *)"
            " insert into {source} select * from moved"
        ).format(held=HELD, source=SOURCE),
        [day],
    )
    return day, moved.rowcount


#: Generated corporate actions per scrip, days before the data's end: a bonus, a split and a
#: rights issue (contract section 5), so every kind of factor is computed.
ACTIONS = ((400, "bonus", 10, None), (900, "split", 2, None), (1300, "rights", 0.5, 10))


def create_actions(conn: psycopg.Connection, workload: Workload) -> int:
    """The actions table the adjust_prices var reads, with ACTIONS for every scrip."""
    conn.execute(
        "drop table if exists public.ws_dse_corporate_actions;"
        "create table public.ws_dse_corporate_actions (scrip text, ex_date date, kind text,"
        " ratio numeric, price numeric, primary key (scrip, ex_date, kind))"
    )
    rows = [
        (workload.end - dt.timedelta(days=before), kind, float(ratio), price and float(price))
        for before, kind, ratio, price in ACTIONS
    ]
    inserted = conn.execute(
        sql.SQL(
            "insert into public.ws_dse_corporate_actions"
            " select scrips.scrip, a.ex_date, a.kind, a.ratio, a.price"
            " from (select distinct txn_scrip as scrip from {} where txn_scrip is not null)"
            " as scrips"
            " cross join unnest(%s::date[], %s::text[], %s::numeric[], %s::numeric[])"
            " as a (ex_date, kind, ratio, price)"
        ).format(SOURCE),
        [list(column) for column in zip(*rows, strict=True)],
    )
    return inserted.rowcount


def accepted_rows(conn: psycopg.Connection, schema: str) -> int:
    query = sql.SQL("select count(*) from {}.stg_dse__prices where reject_reason is null")
    return conn.execute(query.format(sql.Identifier(schema))).fetchone()[0]


def catalogue_keys(project_dir: Path) -> list[str]:
    """The indicator keys, from the project's catalogue seed."""
    return [k.key for k in catalogue.read(project_dir / "seeds" / "indicator_catalogue.csv")]


def _floor_document(keys: list[str]) -> sql.Composed:
    # Constant cost per key, full 17-digit float8 values like the real ones, and as distinct:
    # with close * k alone, repeated closes would shrink the jsonb_path_ops index seven-fold.
    # A function takes at most 100 arguments: 45 pairs per jsonb_build_object, concatenated.
    pairs = [sql.SQL("{}, close * (0.5 + random())").format(sql.Literal(key)) for key in keys]
    chunks = [
        sql.SQL("jsonb_build_object({})").format(sql.SQL(", ").join(pairs[i : i + 45]))
        for i in range(0, len(pairs), 45)
    ]
    return sql.SQL(" || ").join(chunks)


def build_write_floor(conn: psycopg.Connection, schema: str, keys: list[str]) -> dict[str, float]:
    """Write the output and nothing else: the same rows, keys, key constraint and indexes.

    Returns the seconds of each step and their total.
    """
    target = sql.Identifier(schema, "write_floor")
    create = sql.SQL(
        "create table {} as select scrip, trading_date, {} as indicators"
        " from {}.stg_dse__prices where reject_reason is null"
    ).format(target, _floor_document(keys), sql.Identifier(schema))
    steps = {
        "drop": "drop table if exists {}",
        "create_table_as": create,
        "primary_key": "alter table {} add primary key (scrip, trading_date)",
        "gin_index": "create index on {} using gin (indicators jsonb_path_ops)",
        "btree_indexes": "create index on {0} (scrip); create index on {0} (trading_date)",
    }
    seconds = {}
    started = time.perf_counter()
    with conn.transaction():
        conn.execute("set local work_mem = '256MB'")  # as the model's pre-hook does
        for step, statement in steps.items():
            step_started = time.perf_counter()
            if isinstance(statement, str):
                statement = sql.SQL(statement).format(target)
            conn.execute(statement)
            seconds[step] = time.perf_counter() - step_started
    seconds["total"] = time.perf_counter() - started
    return seconds


def average_row_bytes(conn: psycopg.Connection, schema: str, table: str) -> float | None:
    """Mean stored size of the indicators document, to compare the floor with the model."""
    query = sql.SQL("select avg(pg_column_size(indicators)) from {}")
    value = conn.execute(query.format(sql.Identifier(schema, table))).fetchone()[0]
    return None if value is None else round(float(value), 1)


def table_bytes(conn: psycopg.Connection, schema: str, table: str) -> int:
    query = "select pg_total_relation_size(format('%%I.%%I', %s::text, %s::text)::regclass)"
    return conn.execute(query, [schema, table]).fetchone()[0]
