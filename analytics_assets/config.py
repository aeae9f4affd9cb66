"""Paths and settings from the environment (the public configuration interface in DESIGN.md).

No Dagster import: every module, the demo generator and the tests read settings from here.
Relative values are resolved against the current directory; defaults against the project root,
so `dagster dev` and `make run` started from the project see the same files.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"


def _path(var: str, default: str) -> Path:
    value = os.environ.get(var)
    if value:
        return Path(value).expanduser().resolve()
    return (PROJECT_ROOT / default).resolve()


def _warehouse_path() -> Path:
    """The DuckDB file: ANALYTICS_WAREHOUSE=duckdb:<path>, else ANALYTICS_DUCKDB_PATH, else data/warehouse.duckdb.
    With a lake (ANALYTICS_WAREHOUSE=ducklake:...) it only places the files kept beside the warehouse."""
    value = os.environ.get("ANALYTICS_WAREHOUSE", "")
    if value.startswith("duckdb:") and value[len("duckdb:"):].strip():
        return Path(value[len("duckdb:"):].strip()).expanduser().resolve()
    return _path("ANALYTICS_DUCKDB_PATH", "data/warehouse.duckdb")


@dataclass(frozen=True)
class Settings:
    duckdb_path: Path
    landing_dir: Path
    output_dir: Path
    config_path: Path

    @property
    def otlp_dir(self) -> Path:
        return self.landing_dir / "otlp"


def settings() -> Settings:
    return Settings(
        duckdb_path=_warehouse_path(),
        landing_dir=_path("ANALYTICS_LANDING_DIR", "landing"),
        output_dir=_path("ANALYTICS_OUTPUT_DIR", "output"),
        config_path=_path("ANALYTICS_CONFIG", "analytics.yaml"),
    )


def hash_salt(duckdb_path: Path) -> bytes:
    """Key for hashing identities: ANALYTICS_HASH_SALT, else a random key generated once and kept
    beside the warehouse (never in the warehouse, never in metadata), so hashes stay stable."""
    value = os.environ.get("ANALYTICS_HASH_SALT")
    if value:
        return value.encode()
    salt_file = duckdb_path.parent / ".hash_salt"
    if not salt_file.exists():
        salt_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(salt_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process won the race; use its key
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
    return salt_file.read_text().strip().encode()
