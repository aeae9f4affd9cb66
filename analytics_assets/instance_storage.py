"""The local Dagster instance's event log: Dagster's own SQLite storage without an fsync per event.

Dagster's SQLite event log opens a new engine for every event and commits it with SQLite's default
`synchronous=FULL`: an fsync (two, with the index shard) per event. A run of the whole graph records
~2,500 events (each dbt model and test, each partition planned and materialized), and those fsyncs were a
third of `make run` (whole graph 36-43 s with them, 25-27 s without, on the 2-core machine). Here each
shard keeps one engine with pooled connections, which commit with `synchronous=OFF`: a crash of any process
loses nothing (SQLite still journals every transaction); an operating-system crash or power loss
during a write can lose the newest events or damage that run's history file. That trade is made for the
laptop's instance only (dagster.yaml); the server's instance keeps its history in PostgreSQL
(deploy/dagster.yaml), and the warehouse is not involved either way.
"""

from __future__ import annotations

import contextlib
import os
from typing import Iterator

import dagster as dg
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.pool import QueuePool

BUSY_TIMEOUT_SECONDS = 30  # another process (the webserver, the daemon, a second run) holding the file


def _no_fsync(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA synchronous=OFF")


class LocalEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` with one engine per shard and `synchronous=OFF` (see the module's note).
    `base_dir` defaults to Dagster's own place for it, `$DAGSTER_HOME/history/runs`."""

    def __init__(self, base_dir: str | None = None, inst_data=None) -> None:
        self._engines: dict = {}
        self._present: set = set()  # tables and asset-key columns seen to exist
        base = base_dir or os.path.join(os.environ.get("DAGSTER_HOME", "."), "history", "runs")
        super().__init__(base_dir=base, inst_data=inst_data)

    @classmethod
    def config_type(cls):
        return {"base_dir": dg.Field(dg.StringSource, is_required=False)}

    def register_instance(self, instance) -> None:
        super().register_instance(instance)
        from .run_worker import prewarm_in_daemon

        prewarm_in_daemon(instance)  # the daemon's first run does not wait for the run worker server

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> "LocalEventLogStorage":
        return cls(base_dir=(config_value or {}).get("base_dir"), inst_data=inst_data)

    @contextlib.contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engines.get(shard)
            if engine is None:
                # Pooled: a connection per event (Dagster's NullPool) was a quarter of recording a run's events.
                # SQLite locks per transaction, so a kept connection does not hold other processes out.
                engine = create_engine(self.conn_string_for_shard(shard), poolclass=QueuePool, pool_size=2,
                                       connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False})
                event.listen(engine, "connect", _no_fsync)
                if shard not in self._initialized_dbs:
                    self._initdb(engine)
                    self._initialized_dbs.add(shard)
                self._engines[shard] = engine
            with engine.connect() as conn:
                with conn.begin():
                    yield conn

    # Dagster asks the schema (SQLAlchemy reflection) whether a column or table exists at every asset event,
    # a sixth of recording a run. The schema only grows (`dagster instance migrate`): a "yes" is kept.
    def _has_asset_key_col_on_connection(self, conn: Connection, column_name: str) -> bool:
        if ("column", column_name) not in self._present and super()._has_asset_key_col_on_connection(conn, column_name):
            self._present.add(("column", column_name))
        return ("column", column_name) in self._present

    def has_table(self, table_name: str) -> bool:
        if ("table", table_name) not in self._present and super().has_table(table_name):
            self._present.add(("table", table_name))
        return ("table", table_name) in self._present
