"""dbt as a user runs it: a subprocess with the PG* variables, timed as a whole."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.observe import MODEL_NODE

# The daily job, three ways: the model with what it depends on, the whole project's run, and
# the whole project's build (run, seeds and tests), which the README's cron line runs.
DAILY_COMMANDS = {
    "model": ("run", "--select", "+indicators"),
    "run": ("run",),
    "build": ("build",),
}


class DbtFailed(RuntimeError):
    """A dbt command ended with an error; carries its output."""


@dataclass(frozen=True)
class DbtTiming:
    seconds: float  # the whole command, start-up and parsing included
    model_seconds: float | None  # run_results.json: execution_time of the indicators model
    statements: dict[str, float]  # the model's SQL seconds by command tag (INSERT, MERGE, ...)


def dbt_executable() -> str:
    """The dbt next to this Python (the project's virtualenv), else the one on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    if beside.exists():
        return str(beside)
    found = shutil.which("dbt")
    if found is None:
        raise DbtFailed("dbt not found: run `make setup` or install the project's dependencies")
    return found


@dataclass(frozen=True)
class DbtProject:
    """The checkout's dbt project, run against one database with its own profile and target."""

    project_dir: Path
    work_dir: Path  # holds profiles.yml, target/ and logs/
    env: dict[str, str]  # PG* and DBT_SCHEMA
    vars_yaml: str

    @classmethod
    def prepare(cls, project_dir: Path, work_dir: Path, env: dict[str, str], vars_yaml: str):
        work_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(project_dir / "profiles.example.yml", work_dir / "profiles.yml")
        return cls(project_dir, work_dir, env, vars_yaml)

    def command(self, *args: str) -> list[str]:
        return [
            dbt_executable(),
            *args,
            "--vars",
            self.vars_yaml,
            "--project-dir",
            str(self.project_dir),
            "--profiles-dir",
            str(self.work_dir),
            "--target-path",
            str(self.work_dir / "target"),
            "--log-path",
            str(self.log_file.parent),
            "--log-format-file",
            "json",  # one event per line: each statement with its elapsed time
        ]

    @property
    def log_file(self) -> Path:
        return self.work_dir / "logs" / "dbt.log"

    def environment(self) -> dict[str, str]:
        # No usage statistics: a call home in the timed path would only add noise.
        return {**os.environ, **self.env, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}

    def invoke(self, *args: str) -> float:
        """Run one dbt command; its wall-clock seconds."""
        self.log_file.unlink(missing_ok=True)  # dbt appends: keep this run's events only
        started = time.perf_counter()
        result = subprocess.run(
            self.command(*args),
            env=self.environment(),
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            raise DbtFailed(f"dbt {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return seconds

    def run_indicators(self, full_refresh: bool = False) -> DbtTiming:
        extra = ("--full-refresh",) if full_refresh else ()
        seconds = self.invoke("run", *extra, "--select", "+indicators")
        return DbtTiming(seconds, self.model_seconds(), self.model_statements())

    def run_daily(self, how: str) -> DbtTiming:
        """The daily job as `how` says (DAILY_COMMANDS), timed as a whole."""
        seconds = self.invoke(*DAILY_COMMANDS[how])
        return DbtTiming(seconds, self.model_seconds(), self.model_statements())

    def model_seconds(self) -> float | None:
        """dbt's own timing of the indicators model in the last run."""
        results = json.loads((self.work_dir / "target" / "run_results.json").read_text())
        for result in results.get("results", []):
            if result.get("unique_id") == MODEL_NODE:
                return result.get("execution_time")
        return None

    def model_statements(self) -> dict[str, float]:
        """Seconds the indicators model's statements took, summed by PostgreSQL command tag."""
        seconds: dict[str, float] = {}
        with open(self.log_file) as log:
            for line in log:
                event = json.loads(line)
                data = event.get("data", {})
                if event.get("info", {}).get("name") != "SQLQueryStatus":
                    continue
                if data.get("node_info", {}).get("unique_id") != MODEL_NODE:
                    continue
                tag = (
                    re.sub(r"[\d ]+$", "", data.get("status", "")) or "?"
                )  # "INSERT 0 5" -> INSERT
                seconds[tag] = seconds.get(tag, 0.0) + float(data.get("elapsed", 0.0))
        return seconds
