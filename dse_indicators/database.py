"""Connections: the server named by the PG* variables, else the embedded one."""

from __future__ import annotations

import os

import psycopg

from dse_indicators import embedded

NO_DATABASE = (
    "No database to connect to. Start the embedded one with `dse-indicators db start` "
    '(then `eval "$(dse-indicators db env)"` for dbt), or set PGHOST, PGPORT, PGUSER, '
    "PGPASSWORD and PGDATABASE for your own PostgreSQL."
)


class DatabaseUnavailable(RuntimeError):
    """No server to talk to, with what to do about it."""


def environment() -> dict[str, str]:
    """The libpq variables to use: the caller's PG* when PGHOST is set, else the embedded server."""
    if os.environ.get("PGHOST"):
        return {k: v for k, v in os.environ.items() if k.startswith("PG")}
    server = embedded.running()
    if server is None:
        raise DatabaseUnavailable(NO_DATABASE)
    return server.environment()


def connect(**kwargs) -> psycopg.Connection:
    """A psycopg connection to the project's database."""
    env = environment()
    params = {
        "host": env.get("PGHOST"),
        "port": env.get("PGPORT"),
        "user": env.get("PGUSER"),
        "password": env.get("PGPASSWORD"),
        "dbname": env.get("PGDATABASE"),
    }
    try:
        return psycopg.connect(**{k: v for k, v in params.items() if v}, **kwargs)
    except psycopg.OperationalError as error:
        raise DatabaseUnavailable(f"{NO_DATABASE}\n({error})".strip()) from error
