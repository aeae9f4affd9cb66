"""Dagster resources: the warehouse (DuckDB) and dbt. Paths come from the environment
(config.py), secrets never appear here: they are read where used, at run time."""


import contextlib
import functools
import inspect
import os
from pathlib import Path
from typing import Callable, Iterator

import dagster as dg
import duckdb

from . import warehouse
from .config import settings
from .partitions import EAGER_UNPARTITIONED, ONE_RUN

WRITER_POOL = "duckdb_writer"  # every asset that writes DuckDB; limit 1 in dagster.yaml


def writer_pool(role: str | None) -> str | None:
    """The Dagster pool of a step that opens the warehouse. The DuckDB file allows one writing process: every such
    step shares WRITER_POOL (pools have a limit of 1), readers too (a reader never meets a writer's lock). A lake
    takes concurrent writers: each role has its own pool (limit 1: two runs of one ingest never read the same new
    bytes at once; dbt builds one at a time), and a step that only reads (role None) waits for no pool."""
    from . import lake

    if not lake.url():
        return WRITER_POOL
    return f"lake_{role}" if role else None


def mart_reader(role: str | None) -> dict:
    """What every reader of the marts (forecast, alerts, dashboard, exports, community) shares: its pool (`role`:
    the table it writes, None when it writes only files), a refresh whenever the marts it reads change
    (declarative: no schedule to keep in step), one run per backfill."""
    return dict(pool=writer_pool(role), automation_condition=EAGER_UNPARTITIONED, backfill_policy=ONE_RUN)


@contextlib.contextmanager
def lake_conflicts_retried(retries: int = 5) -> Iterator[None]:
    """A lake transaction that lost to a concurrent writer's conflicting commit is rolled back; the step is then
    retried (an ingest resumes from the cursors committed so far), never surfaced as a failed run. On a fresh lake
    the first writers also race to create the shared tables (`CREATE TABLE IF NOT EXISTS raw.ingest_cursors`)."""
    from . import lake

    try:
        yield
    except duckdb.Error as exc:
        if lake.is_conflict(exc):
            raise dg.RetryRequested(max_retries=retries, seconds_to_wait=1.0) from exc
        raise


def retried_on_lake_conflict(fn: Callable) -> Callable:
    """`lake_conflicts_retried` around a writer asset's whole body (a generator's too)."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def generator(*args, **kwargs):
            with lake_conflicts_retried():
                yield from fn(*args, **kwargs)
        return generator

    @functools.wraps(fn)
    def function(*args, **kwargs):
        with lake_conflicts_retried():
            return fn(*args, **kwargs)
    return function


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file. `database` defaults to ANALYTICS_DUCKDB_PATH."""

    database: str = ""

    @property
    def path(self) -> Path:
        return Path(self.database) if self.database else settings().duckdb_path

    @contextlib.contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        con = warehouse.connect(self.path, read_only=read_only)
        try:
            yield con
        finally:
            con.close()

    def export_env(self) -> None:
        """dbt reads the same file through its profile's env_var; make it absolute for the subprocess. With a lake,
        dbt's `lake` target attaches it, loading the extensions from where lake.py laid them out."""
        from . import lake

        os.environ["ANALYTICS_DUCKDB_PATH"] = str(self.path.resolve())
        if lake.url():
            os.environ["ANALYTICS_DBT_TARGET"] = "lake"
            os.environ["ANALYTICS_DUCKDB_EXTENSIONS"] = str(lake.verified_extension_directory())
            os.environ["ANALYTICS_DUCKDB_UNSIGNED"] = "true"  # their signatures verified once (lake.py)
            os.environ[lake.DATA_ENV] = lake.data_path()
