"""Moving an embedded DuckDB warehouse's history into the lake ANALYTICS_WAREHOUSE names.

Every table of the file (raw rows, ingest cursors, quarantine, marts, alerts, retention's records) is copied as
it is into the lake, in one lake transaction: a failed or killed import leaves the lake as it was. Views are not
copied: they are dbt's staging models, which the next `dbt build` (`make run`, any refresh) recreates. The cursors
come along, so the lake's ingests continue where the file's stopped. The hash salt kept beside the file comes too:
without it, the lake would hash the same email to another developer key. No Dagster import.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

SOURCE = "import_source"


class LakeImportError(RuntimeError):
    pass


@dataclass(frozen=True)
class Copied:
    schema: str
    table: str
    rows: int


def tables_of(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str]]:
    return con.execute("SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = ? "
                       "AND table_type = 'BASE TABLE' ORDER BY 1, 2", [catalog]).fetchall()


def import_file(lake_con: duckdb.DuckDBPyConnection, source: Path, replace: bool = False) -> list[Copied]:
    """Copy every table of the DuckDB file `source` into the lake `lake_con` is using. A table the lake already
    holds rows in stops the import (nothing copied) unless `replace`."""
    if not source.exists():
        raise LakeImportError(f"{source} does not exist")
    lake_catalog = lake_con.execute("SELECT current_database()").fetchone()[0]
    lake_con.execute(f"ATTACH '{str(source).replace(chr(39), chr(39) * 2)}' AS {SOURCE} (READ_ONLY)")
    try:
        tables = tables_of(lake_con, SOURCE)
        present = set(tables_of(lake_con, lake_catalog))
        occupied = [f"{s}.{t}" for s, t in tables if (s, t) in present
                    and lake_con.execute(f'SELECT count(*) FROM {lake_catalog}."{s}"."{t}"').fetchone()[0]]
        if occupied and not replace:
            raise LakeImportError(f"the lake already holds rows in {', '.join(occupied[:5])}{', ...' if len(occupied) > 5 else ''}: "
                               "import into an empty lake, or pass --replace to overwrite those tables")
        copied = []
        lake_con.execute("BEGIN TRANSACTION")
        try:
            for schema in sorted({s for s, _ in tables}):
                lake_con.execute(f'CREATE SCHEMA IF NOT EXISTS {lake_catalog}."{schema}"')
            for schema, table in tables:
                lake_con.execute(f'CREATE OR REPLACE TABLE {lake_catalog}."{schema}"."{table}" AS '
                                 f'SELECT * FROM {SOURCE}."{schema}"."{table}"')
                rows = lake_con.execute(f'SELECT count(*) FROM {lake_catalog}."{schema}"."{table}"').fetchone()[0]
                copied.append(Copied(schema, table, rows))
            lake_con.execute("COMMIT")
        except BaseException:
            lake_con.execute("ROLLBACK")
            raise
        return copied
    finally:
        lake_con.execute(f"USE {lake_catalog}")
        lake_con.execute(f"DETACH {SOURCE}")


def carry_salt(source: Path, lake_side: Path) -> str:
    """The file's hash salt (`.hash_salt` beside it) to where the lake mode keeps it (beside ANALYTICS_DUCKDB_PATH).
    Returns what was done; a different salt already there stops the import (its hashes would not match)."""
    old, new = source.parent / ".hash_salt", lake_side.parent / ".hash_salt"
    if not old.exists():
        return "no hash salt beside the file (ANALYTICS_HASH_SALT, if set, applies to both)"
    if new.exists():
        if new.read_bytes().strip() != old.read_bytes().strip():
            raise LakeImportError(f"{new} holds another hash salt than {old}: the imported developer keys would not match "
                               "the lake's new ones; remove it (nothing was hashed with it yet) or set ANALYTICS_HASH_SALT")
        return "the hash salt is already in place"
    new.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(old, new)
    new.chmod(0o600)
    return f"hash salt copied to {new}"
