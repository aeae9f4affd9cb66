"""Dagster wiring every vendor API source shares (Cursor, Anthropic): the results of a run that replaced some days
of a vendor's raw tables, and the explained no-op of a vendor that is not configured."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from .ingest.assets import contract_verdict
from .resources import WarehouseResource
from .vendor_load import VendorStats, VendorTables


class VendorRunConfig(dg.Config):
    max_quarantine_share: float = 0.5
    keep_names: bool = False


def not_configured(warehouse: WarehouseResource, tables: VendorTables, keys, status: str) -> list:
    """The empty tables (so dbt's staging builds) and a passing, explained result per asset."""
    with warehouse.connect() as con:
        tables.ensure(con)
    out: list = []
    for key in keys:
        out.append(dg.MaterializeResult(asset_key=key, metadata={"status": status, "dagster/row_count": 0}))
        out.append(dg.AssetCheckResult(asset_key=key, check_name="pandera_contract", passed=True,
                                       metadata={"pandera_verdict": "no rows", "status": status}))
    return out


def results(con, tables: VendorTables, contracts: dict, stats: VendorStats, keys: dict, day_column: str, days: list,
            config: VendorRunConfig, extra: dict):
    """Per asset: what the run read, loaded, replaced and quarantined, and the pandera verdict on the rows of its days."""
    for kind, key in keys.items():
        table = tables.names[kind]
        yield dg.MaterializeResult(asset_key=key, metadata={
            "records_read": stats.records[kind], "rows_loaded": stats.loaded[kind], "rows_replaced": stats.replaced[kind],
            "rows_duplicated": stats.duplicates[kind], "rows_quarantined": stats.quarantined[kind],
            "dagster/row_count": con.execute(f"SELECT count(*) FROM {table}").fetchone()[0], **extra})
        loaded = con.execute(f"SELECT * EXCLUDE (ingested_at) FROM {table} WHERE {day_column} IN (SELECT unnest(?::DATE[]))",
                             [days]).pl()
        yield contract_verdict(key, contracts[kind], loaded, stats.records[kind], stats.quarantined[kind],
                               config.max_quarantine_share)


def run_metadata(days: list, stats: VendorStats, source) -> dict:
    """The days a partitioned run covered and what its API calls took (requests, retries, refused days)."""
    client = getattr(source, "client", None)
    return {"days": len(days), "first_day": str(days[0]), "last_day": str(days[-1]), "api_windows": stats.windows,
            "requests": getattr(client, "requests", 0), "retries": getattr(client, "retries", 0),
            "days_refused": dg.MetadataValue.json(stats.days_refused[:50])}


def partition_days(context: dg.AssetExecutionContext) -> list:
    """The days of the run's partition range."""
    window = context.partition_time_window
    return [window.start.date() + dt.timedelta(days=i) for i in range((window.end - window.start).days)]
