"""A real PostgreSQL and a real dbt for the integration tests.

By default the tests use the embedded PostgreSQL of the checkout (started if needed) and give
each test module a database of its own, created fresh. With DSE_TEST_SERVER=env they use the
server the PG* variables name instead (the role must be allowed to create databases).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from dse_indicators import embedded
from dse_indicators.cli import main

ROOT = Path(__file__).resolve().parents[3]


def server_environment() -> dict[str, str]:
    if os.environ.get("DSE_TEST_SERVER") == "env":
        return {k: v for k, v in os.environ.items() if k.startswith("PG")}
    return embedded.start(ROOT / ".pgdata").environment()


@dataclass
class Project:
    """The dbt project run against one fresh database, as a user would run it."""

    env: dict[str, str]
    work: Path
    runs: list[list[str]] = field(default_factory=list)
    root: Path = ROOT  # the dbt project folder (a copy in test_adding_an_indicator.py)

    def connect(self, **kwargs) -> psycopg.Connection:
        return psycopg.connect(
            host=self.env["PGHOST"],
            port=self.env.get("PGPORT", "5432"),
            user=self.env.get("PGUSER"),
            password=self.env.get("PGPASSWORD"),
            dbname=self.env["PGDATABASE"],
            **{"autocommit": True, **kwargs},
        )

    def command(
        self, args: tuple[str, ...], target: str = "target", logs: str = "logs"
    ) -> list[str]:
        return [
            str(Path(sys.executable).with_name("dbt")),
            *args,
            "--project-dir",
            str(self.root),
            "--profiles-dir",
            str(self.work),
            "--target-path",
            str(self.work / target),
            "--log-path",
            str(self.work / logs),
        ]

    def environment(self, schema: str | None = None) -> dict[str, str]:
        return {**os.environ, **self.env, **({"DBT_SCHEMA": schema} if schema else {})}

    def dbt(self, *args: str, check: bool = True, schema: str | None = None):
        """Run dbt as a user would; `schema` builds into another target schema."""
        command = self.command(args)
        self.runs.append(command)
        result = subprocess.run(
            command, env=self.environment(schema), capture_output=True, text=True, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def dbt_process(self, *args: str) -> subprocess.Popen:
        """Start dbt in the background (its own target and log folders), for overlapping runs."""
        command = self.command(args, f"target-{len(self.runs)}", f"logs-{len(self.runs)}")
        self.runs.append(command)
        return subprocess.Popen(
            command,
            env=self.environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def as_role(self, role: str, schema: str) -> Project:
        """The same project run by another database role into another schema."""
        return Project(
            {**self.env, "PGUSER": role, "DBT_SCHEMA": schema}, self.work, root=self.root
        )


@pytest.fixture(scope="module")
def project(request, tmp_path_factory) -> Project:
    """A fresh database named after the test module, and a dbt profile pointing at it."""
    env = server_environment()
    name = "dse_test_" + request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    admin = {**env, "PGDATABASE": env.get("PGDATABASE") or "postgres"}
    with Project(admin, Path()).connect() as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    work = tmp_path_factory.mktemp(name)
    shutil.copy(ROOT / "profiles.example.yml", work / "profiles.yml")
    return Project({**env, "PGDATABASE": name, "DBT_SCHEMA": "analytics"}, work)


@dataclass
class Run:
    """What one `dse-indicators` command did: its exit code and its output."""

    code: int
    out: str
    err: str


@pytest.fixture
def cli(project, monkeypatch, capsys):
    """Run `dse-indicators ...` in this process against the module's database."""
    for name, value in project.env.items():
        monkeypatch.setenv(name, value)

    def run(*args: str | Path) -> Run:
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
