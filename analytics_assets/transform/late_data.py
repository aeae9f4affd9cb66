"""Late data: the days an ingest touched whose daily-mart partitions were built before it.

Every ingest records the event dates it touched (`event_dates_touched` in its materialization
metadata; a Copilot report run touches its partition days). A day is stale when such an event is
newer than the latest build of that day's partition of a mart it feeds. The late-data sensor turns the stale days
older than today (today's partition is the eager condition's) into one backfill; retention holds
back the raw rows of stale days so no partition is left unable to rebuild.
"""

from __future__ import annotations

from typing import Iterable

import dagster as dg
from dagster._core.definitions.assets.graph.asset_graph_subset import AssetGraphSubset
from dagster._core.events import DagsterEventType

from ..partitions import SENSOR_STATUS, day_keys, marts_days, metadata_days, today_utc
from .dbt_assets import daily_mart_sources, dbt_daily_marts, dbt_models

# The raw tables whose rows feed the daily marts, as the dbt project reads them (every agent's ingest, the OTLP
# tables, the Copilot reports; a new source's table is watched as soon as a daily mart reads it). Tables whose
# materializations name no event dates (developer identities, repository folders) are read and never stale a day.
WATCHED = sorted(set().union(*daily_mart_sources().values()), key=lambda key: key.to_user_string())
PAGE = 500


def touched_days(instance: dg.DagsterInstance, keys: Iterable[dg.AssetKey], after: int = 0) -> tuple[dict[dg.AssetKey, dict[str, int]], int]:
    """Per key, {day: storage id of the newest materialization that touched it} over the events after `after`,
    and the newest storage id seen (the next cursor)."""
    touched: dict[dg.AssetKey, dict[str, int]] = {}
    newest = after
    for key in keys:
        cursor, days_of_key = None, touched.setdefault(key, {})
        while True:
            page = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=key, after_storage_id=after or None),
                                                   limit=PAGE, cursor=cursor, ascending=True)
            for record in page.records:
                newest = max(newest, record.storage_id)
                event = record.asset_materialization
                days = metadata_days(event.metadata) if event else []
                if record.partition_key:  # a partitioned report run: its days are its partitions
                    days.append(record.partition_key)
                for day in day_keys(days):
                    days_of_key[day] = max(days_of_key.get(day, 0), record.storage_id)
            if not page.has_more:
                break
            cursor = page.cursor
    return touched, newest


def stale_days(instance: dg.DagsterInstance, touched: dict[dg.AssetKey, dict[str, int]]) -> list[str]:
    """The days some daily mart's partition was last built before the newest touch of a raw table it reads (or
    never built): a refresh rebuilds the touched days of the marts its source feeds, not of the others."""
    stale = set()
    for mart, keys in daily_mart_sources().items():
        days: dict[str, int] = {}
        for key in keys:
            for day, touch in touched.get(key, {}).items():
                days[day] = max(days.get(day, 0), touch)
        if days:
            built = instance.get_latest_storage_id_by_partition(mart, DagsterEventType.ASSET_MATERIALIZATION, set(days))
            stale.update(day for day, touch in days.items() if built.get(day, 0) < touch)
    return sorted(stale)


@dg.sensor(
    name="late_data_sensor",
    minimum_interval_seconds=120,
    default_status=SENSOR_STATUS,
    asset_selection=dg.AssetSelection.assets(dbt_daily_marts),
    description="When an ingest (any agent's, OTLP, Copilot reports) touches event dates before today whose daily-mart "
    "partitions were built before it, requests ONE backfill of exactly those partitions (with the dbt models they read, "
    "rebuilt first). Today's partition is refreshed by the eager automation condition instead.",
)
def late_data_sensor(context: dg.SensorEvaluationContext):
    after = int(context.cursor or 0)
    touched, newest = touched_days(context.instance, WATCHED, after)
    today = today_utc().isoformat()
    late = [day for day in stale_days(context.instance, touched) if day < today]
    if not late:
        return dg.SensorResult(skip_reason=dg.SkipReason(f"no late days in events after {after}"), cursor=str(newest))
    return dg.SensorResult(run_requests=[backfill_request(context.repository_def.asset_graph, late)], cursor=str(newest))


def backfill_request(asset_graph, days: list[str]) -> dg.RunRequest:
    """One backfill: the dbt models the daily marts read (unpartitioned, rebuilt first so the late rows are in
    them), then the daily marts for exactly `days` (contiguous days run as one range: ONE_RUN)."""
    upstream = (dg.AssetSelection.assets(dbt_daily_marts).upstream() & dg.AssetSelection.assets(dbt_models)).resolve(asset_graph)
    subset = marts_days.subset_with_partition_keys(days)
    graph_subset = AssetGraphSubset(partitions_subsets_by_asset_key={key: subset for key in dbt_daily_marts.keys},
                                    non_partitioned_asset_keys=set(upstream))
    return dg.RunRequest.for_asset_graph_subset(graph_subset, tags={"late_days": ",".join(days)[:200]})
