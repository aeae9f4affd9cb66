"""Dagster resources: the warehouse (DuckDB) and dbt. Paths come from the environment
(config.py), secrets never appear here: they are read where used, at run time."""


import contextlib
import os
from pathlib import Path
from typing import Iterator

import dagster as dg
import duckdb

from . import warehouse
from .config import settings
from .partitions import EAGER_UNPARTITIONED, ONE_RUN

WRITER_POOL = "duckdb_writer"  # every asset that writes DuckDB; limit 1 in dagster.yaml

# What every reader of the marts (forecast, alerts, dashboard, exports, community) shares: the writer pool
# (each opens the warehouse file, so it never meets a writer's lock), a refresh whenever the marts it reads
# change (declarative: no schedule to keep in step), one run per backfill.
MART_READER = dict(pool=WRITER_POOL, automation_condition=EAGER_UNPARTITIONED, backfill_policy=ONE_RUN)


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
            os.environ["ANALYTICS_DUCKDB_EXTENSIONS"] = str(lake.extension_directory())
            os.environ[lake.DATA_ENV] = lake.data_path()
