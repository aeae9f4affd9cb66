"""The warehouse as a DuckLake lakehouse: the catalog in PostgreSQL, the data as Parquet files under
ANALYTICS_LAKE_DATA_PATH (a local or shared folder). Selected by ANALYTICS_WAREHOUSE:

    unset, or duckdb:<path>                      the embedded DuckDB file (ANALYTICS_DUCKDB_PATH as before)
    ducklake:postgres:<libpq connection string>  the lake, e.g. ducklake:postgres:dbname=lake host=db user=analytics

DuckDB's extensions (ducklake, postgres) come installed with the project from the package registry
(duckdb-extension-ducklake, -postgres, the version of the pinned duckdb); they are laid out once as a DuckDB
extension directory in the virtualenv and loaded from there, so nothing is downloaded at run time (DuckDB's
INSTALL would reach the network). No Dagster import.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from pathlib import Path

import duckdb

ALIAS = "lake"
ENV, DATA_ENV = "ANALYTICS_WAREHOUSE", "ANALYTICS_LAKE_DATA_PATH"
# extension name -> its package (the postgres package's file is named postgres, DuckDB loads it as postgres_scanner)
EXTENSIONS = {"ducklake": "duckdb_extension_ducklake", "postgres_scanner": "duckdb_extension_postgres"}


class LakeError(RuntimeError):
    pass


def url(env=os.environ) -> str | None:
    """The lake's ATTACH url when ANALYTICS_WAREHOUSE names one, else None (the DuckDB file)."""
    value = (env.get(ENV) or "").strip()
    if not value or value.startswith("duckdb:"):
        return None
    if not value.startswith("ducklake:postgres:"):
        raise LakeError(f"{ENV} must be unset, duckdb:<path> or ducklake:postgres:<connection string>, not {value.split(':')[0]}:...")
    return value


def data_path(env=os.environ) -> str:
    value = (env.get(DATA_ENV) or "").strip()
    if not value:
        raise LakeError(f"{ENV} names a lake: set {DATA_ENV} to the folder (or s3:// URL) that holds its Parquet files")
    return value if "://" in value else str(Path(value).expanduser().resolve()) + "/"


@functools.cache  # per process: every warehouse connection asks
def extension_directory() -> Path:
    """A DuckDB extension directory holding the installed packages' extension files (made once per version)."""
    folder = Path(sys.prefix) / "share" / "analytics-assets" / "duckdb-extensions"
    platform = duckdb.execute("PRAGMA platform").fetchone()[0]
    target = folder / f"v{duckdb.__version__}" / platform
    for name, package in EXTENSIONS.items():
        file = target / f"{name}.duckdb_extension"
        if file.exists():
            continue
        try:
            module = __import__(package)
        except ImportError:
            raise LakeError(f"the {package.replace('_', '-')} package is not installed: `make install` installs it") from None
        found = sorted(Path(module.__file__).parent.rglob(f"v{duckdb.__version__}/*.duckdb_extension"))
        if not found:
            raise LakeError(f"{package} has no extension for duckdb {duckdb.__version__}: install the version equal to duckdb's")
        target.mkdir(parents=True, exist_ok=True)
        temporary = file.with_name(f".{file.name}.{os.getpid()}")
        shutil.copyfile(found[0], temporary)
        os.replace(temporary, file)
    return folder


def is_conflict(exc: BaseException) -> bool:
    """A lake commit that lost to another writer's conflicting commit (both deleted from one data file, say):
    DuckLake retries the commits it can merge itself; these it cannot. Redoing the transaction is the answer."""
    return isinstance(exc, duckdb.TransactionException) and "conflict" in str(exc).lower()


def attach_sql(lake_url: str, data: str, read_only: bool = False) -> str:
    quote = lambda s: s.replace("'", "''")  # noqa: E731
    return f"ATTACH '{quote(lake_url)}' AS {ALIAS} (DATA_PATH '{quote(data)}'{', READ_ONLY' if read_only else ''})"


def connect(read_only: bool = False, env=os.environ) -> duckdb.DuckDBPyConnection:
    """A connection whose default catalog is the lake (so `raw.x`, `marts.y` name the lake's tables)."""
    lake_url, data = url(env), data_path(env)
    if "://" not in data:
        Path(data).mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"extension_directory": str(extension_directory()), "autoinstall_known_extensions": False})
    try:
        con.execute("LOAD ducklake")
        con.execute("LOAD postgres_scanner")
        con.execute(attach_sql(lake_url, data, read_only))
        con.execute(f"USE {ALIAS}")
    except BaseException:
        con.close()
        raise
    return con
