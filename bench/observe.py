"""What the benchmark watches besides the clock: backend memory, rows read and rows written."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

# dbt puts the node id into a comment on every query it sends for a model.
MODEL_NODE = "model.dse_indicators.indicators"
BENCH_SCHEMA = "bench_meta"


def _status_kib(pid: int) -> dict[str, int]:
    """VmHWM and RssAnon of a process in KiB; empty when it is gone or not on this machine."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    values = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmHWM", "RssAnon"):
            values[name] = int(rest.split()[0])
    return values


@dataclass
class BackendPeak:
    hwm_kib: int = 0  # the kernel's high-water mark of the whole RSS, shared buffers included
    anon_kib: int = 0  # the largest private (anonymous) RSS seen at a poll
    leader: bool = True


@dataclass
class MemoryWatch:
    """Polls the backends running the indicators model (and their parallel workers).

    The backend's /proc/<pid>/status is read while it lives: VmHWM is its peak resident set,
    shared-buffer pages it touched included; RssAnon, sampled, is its private memory alone.
    """

    conn: psycopg.Connection
    interval: float = 0.05
    peaks: dict[int, BackendPeak] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> MemoryWatch:
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()

    def _poll(self) -> None:
        query = (
            "select pid, backend_type = 'parallel worker' from pg_stat_activity"
            " where datname = current_database() and pid <> pg_backend_pid()"
            " and position(%s in query) > 0"
        )
        while not self._stop.is_set():
            for pid, is_worker in self.conn.execute(query, [MODEL_NODE]).fetchall():
                status = _status_kib(pid)
                peak = self.peaks.setdefault(pid, BackendPeak(leader=not is_worker))
                peak.hwm_kib = max(peak.hwm_kib, status.get("VmHWM", 0))
                peak.anon_kib = max(peak.anon_kib, status.get("RssAnon", 0))
            self._stop.wait(self.interval)

    def summary(self) -> dict[str, float | int | None]:
        leaders = [p for p in self.peaks.values() if p.leader]
        if not leaders or not any(p.hwm_kib for p in leaders):
            return {"backend_vmhwm_mb": None, "backend_rss_anon_mb": None, "backends": 0}
        return {
            "backend_vmhwm_mb": round(max(p.hwm_kib for p in leaders) / 1024, 1),
            "backend_rss_anon_mb": round(max(p.anon_kib for p in leaders) / 1024, 1),
            "with_parallel_workers_vmhwm_mb": round(
                sum(p.hwm_kib for p in self.peaks.values()) / 1024, 1
            ),
            "backends": len(self.peaks),
        }


def wait_for_other_backends(conn: psycopg.Connection, timeout: float = 10.0) -> None:
    """Wait until the client backends of a finished run have exited (and flushed their stats)."""
    query = (
        "select count(*) from pg_stat_activity where datname = current_database()"
        " and backend_type = 'client backend' and pid <> pg_backend_pid()"
    )
    deadline = time.monotonic() + timeout
    while conn.execute(query).fetchone()[0] and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # a backend leaves pg_stat_activity just before it flushes its statistics


def table_counters(conn: psycopg.Connection, tables: dict[str, tuple[str, str]]) -> dict:
    """Cumulative read and write counters of each (schema, table), from pg_stat_user_tables."""
    conn.execute("select pg_stat_clear_snapshot()")
    counters = {}
    for label, (schema, table) in tables.items():
        row = conn.execute(
            "select seq_tup_read, coalesce(idx_tup_fetch, 0), n_tup_ins, n_tup_upd, n_tup_del"
            " from pg_stat_user_tables where schemaname = %s and relname = %s",
            [schema, table],
        ).fetchone()
        counters[label] = dict(
            zip(("seq_read", "idx_fetch", "ins", "upd", "del"), row or (0,) * 5, strict=True)
        )
    return counters


def counter_deltas(before: dict, after: dict) -> dict:
    """Per table: rows read (sequential + index fetches), inserted, updated, deleted."""
    deltas = {}
    for label, now in after.items():
        then = before.get(label, {})
        diff = {name: value - then.get(name, 0) for name, value in now.items()}
        deltas[label] = {
            "read": diff["seq_read"] + diff["idx_fetch"],
            "inserted": diff["ins"],
            "updated": diff["upd"],
            "deleted": diff["del"],
        }
    return deltas


def snapshot_row_versions(conn: psycopg.Connection, schema: str) -> None:
    """Remember (scrip, trading_date, xmin) of every indicators row: a rewrite changes xmin."""
    conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(BENCH_SCHEMA)))
    conn.execute(sql.SQL("drop table if exists {}").format(sql.Identifier(BENCH_SCHEMA, "xmins")))
    conn.execute(
        sql.SQL(
            "create unlogged table {} as select scrip, trading_date, xmin::text as row_xmin from {}"
        ).format(sql.Identifier(BENCH_SCHEMA, "xmins"), sql.Identifier(schema, "indicators"))
    )
    # This scan reads the indicators table too: flush its statistics before the run starts.
    conn.execute("select pg_stat_force_next_flush()")


def rows_written(conn: psycopg.Connection, schema: str) -> dict[str, int]:
    """Rows inserted or rewritten (new xmin) and rows deleted since the snapshot."""
    row = conn.execute(
        sql.SQL(
            "select count(*) filter (where before.row_xmin is distinct from now.xmin::text"
            "   and now.scrip is not null),"
            " count(*) filter (where now.scrip is null)"
            " from {} as now full join {} as before using (scrip, trading_date)"
        ).format(sql.Identifier(schema, "indicators"), sql.Identifier(BENCH_SCHEMA, "xmins"))
    ).fetchone()
    return {"written": row[0], "deleted": row[1]}


def temp_bytes(conn: psycopg.Connection) -> int:
    """Bytes the database's queries spilled to temporary files so far."""
    conn.execute("select pg_stat_clear_snapshot()")
    query = "select temp_bytes from pg_stat_database where datname = current_database()"
    return conn.execute(query).fetchone()[0]
