"""Who is who: the `developers` of the project config as a raw table, so dbt can resolve one
developer across machines (transcripts), accounts and emails (telemetry) and logins (GitHub)."""

import dagster as dg

from . import project_config
from .config import hash_salt, settings
from .partitions import ONE_RUN
from .receiver.tokens import TokenStore, default_path
from .resources import WarehouseResource, retried_on_lake_conflict, writer_pool
from .warehouse import RAW, registered

TABLE = "raw.developer_identities"


def write_identities(con, rows) -> None:
    """Replace raw.developer_identities with `rows` (project_config.identity_rows)."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW}")
    with registered(con, "_identities", rows):
        con.execute(f"CREATE OR REPLACE TABLE {TABLE} AS SELECT * FROM _identities")


@dg.asset(
    key=["raw", "developer_identities"],
    group_name="raw",
    kinds={"yaml", "duckdb"},
    pool=writer_pool("identities"),
    backfill_policy=ONE_RUN,
    description="One row per (developer, identity) from the `developers` section of the project config "
    "(ANALYTICS_CONFIG): machines and logins as named, emails and Claude accounts hashed with the ingest's key "
    "(so they join to the hashed telemetry), the developer's key hashed unless privacy.keep_names. The machines "
    "of the receiver's per-machine tokens (`analytics-assets token add`) are added as their developers'.",
)
@retried_on_lake_conflict
def developer_identities(warehouse: WarehouseResource) -> dg.MaterializeResult:
    current = settings()
    config = project_config.load(current.config_path)
    tokens = TokenStore(default_path(warehouse.path)).listing()
    rows = project_config.identity_rows(config, hash_salt(warehouse.path), [(t["developer"], t["machine"]) for t in tokens])
    with warehouse.connect() as con:
        write_identities(con, rows)
    return dg.MaterializeResult(
        metadata={
            "config": str(current.config_path),
            "status": "no config file: every machine and account is its own developer" if not current.config_path.exists()
            else f"{len(config.developers)} developers",
            "developers": len(config.developers),
            "token_machines": len({t["machine"] for t in tokens}),
            "identities": rows.height,
            "dagster/row_count": rows.height,
        }
    )

