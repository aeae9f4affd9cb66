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
import json
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


VERIFIED = "signatures-verified.json"


def _stats(folder: Path) -> dict:
    files = sorted(folder.glob(f"v{duckdb.__version__}/*/*.duckdb_extension"))
    return {str(f): [(s := f.stat()).st_size, s.st_mtime_ns, s.st_ino] for f in files}


@functools.cache  # per process
def verified_extension_directory() -> Path:
    """extension_directory(), its files' signatures verified. DuckDB verifies an extension's signature by hashing
    the whole file on every LOAD: ~0.25 s for the two (78 MB) on every connection, the lake's largest fixed cost
    (each step of a run opens one). They are verified once per installed version instead (`verify_signatures`),
    and connections load them without the check (DuckDB's allow_unsigned_extensions). Those connections could also LOAD an unsigned extension by SQL; this project's
    SQL does not, and writing into the virtualenv is writing its code anyway."""
    folder = extension_directory()
    verify_signatures(folder)
    return folder


def verify_signatures(folder: Path) -> None:
    """Unless the files are those recorded as verified (size, modification time, inode): one LOAD of each with
    DuckDB's signature check (a bad file raises, and is never recorded), then the record."""
    marker, found = folder / VERIFIED, _stats(folder)
    try:
        if json.loads(marker.read_text()) == found:
            return
    except (OSError, ValueError):
        pass
    con = duckdb.connect(config={"extension_directory": str(folder), "autoinstall_known_extensions": False})
    try:
        for name in EXTENSIONS:
            con.execute(f"LOAD {name}")
    finally:
        con.close()
    temporary = marker.with_name(f".{marker.name}.{os.getpid()}")
    try:
        temporary.write_text(json.dumps(found))
        os.replace(temporary, marker)
    except OSError:  # a read-only install: verified for this process, checked again by the next
        pass


def duckdb_config() -> dict:
    """The DuckDB settings of a connection that loads the lake's extensions (installed, never downloaded)."""
    return {"extension_directory": str(verified_extension_directory()), "autoinstall_known_extensions": False,
            "allow_unsigned_extensions": True}


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
    con = duckdb.connect(config=duckdb_config())
    try:
        con.execute("LOAD ducklake")
        con.execute("LOAD postgres_scanner")
        for attempt in range(INIT_ATTEMPTS):
            try:
                con.execute(attach_sql(lake_url, data, read_only))
                break
            except duckdb.Error as exc:
                if attempt == INIT_ATTEMPTS - 1 or not lost_initialisation(exc):
                    raise
        con.execute(f"USE {ALIAS}")
    except BaseException:
        con.close()
        raise
    return con


INIT_ATTEMPTS = 3


def lost_initialisation(exc: BaseException) -> bool:
    """The first ATTACH of a new lake creates its catalog's tables in PostgreSQL; processes attaching it at the same
    moment (four ingests started together on a new deployment) race to create them, and the losers' CREATE fails
    once the winner's has committed. Attaching again finds the catalog made."""
    text = str(exc)
    return "Failed to initialize DuckLake" in text and ("already exists" in text or "duplicate key" in text)
