"""Dagster wiring for Cursor's Admin API: daily-partitioned usage (events and daily activity; a backfill of any range is
one run, each day replaced on re-run) and the team snapshot (members and the billing cycle's spend)."""

import datetime as dt

import dagster as dg

from .. import project_config
from ..config import hash_salt, settings
from ..ingest.assets import contract_spec
from ..partitions import ONE_RUN, SCHEDULE_TIMEZONE, marts_days
from ..resources import WarehouseResource, retried_on_lake_conflict, writer_pool
from ..vendor_assets import VendorRunConfig, not_configured, partition_days, results, run_metadata
from ..vendor_load import VendorStats
from .client import CursorAccessError, CursorClient
from .fetch import ApiSource, CursorSource, FolderSource
from .load import CURSOR, TABLES, fetch_days, fetch_team, store
from .schemas import SCHEMAS

# The marts' days (UTC, today included: the API aggregates hourly, so today's partition is re-fetched as it grows).
cursor_days = marts_days
EVENTS_KEY, DAILY_KEY, MEMBERS_KEY, SPEND_KEY = (dg.AssetKey(TABLES[k].split(".")) for k in ("events", "daily", "members", "spend"))
NOT_CONFIGURED = "Cursor is not configured: set cursor.source (api, with CURSOR_API_KEY; or folder) in analytics.yaml"


def _source(config: project_config.CursorConfig) -> CursorSource:
    if config.source == "folder":
        return FolderSource(settings().landing_dir / "cursor")
    try:
        return ApiSource(CursorClient(base_url=config.base_url, key_env=config.key_env))
    except CursorAccessError as exc:
        raise dg.Failure(str(exc)) from None


@dg.multi_asset(
    name="cursor_usage",
    specs=[
        dg.AssetSpec(EVENTS_KEY, group_name="raw", kinds={"cursor", "polars", "duckdb"},
                     description="Cursor usage events, one row per request: user (email hashed unless privacy.keep_names), "
                     "model, kind, max mode, tokens in/out/cache write/cache read, Cursor's cost in cents, chargeable or not. "
                     "Daily partitions by usage day (UTC); a run replaces its days."),
        dg.AssetSpec(DAILY_KEY, group_name="raw", kinds={"cursor", "polars", "duckdb"},
                     description="Cursor daily usage, one row per member and day: lines added/deleted and accepted, applies, "
                     "accepts, rejects, tabs shown/accepted, composer/chat/agent/cmd-k requests, subscription vs usage-based "
                     "vs API-key requests, most used model, client version. Same partitions."),
    ],
    check_specs=[contract_spec(EVENTS_KEY, SCHEMAS["events"]), contract_spec(DAILY_KEY, SCHEMAS["daily"])],
    partitions_def=cursor_days,
    pool=writer_pool("cursor_usage"),
    backfill_policy=ONE_RUN,
    description="Fetch Cursor's usage events and daily usage of the partition days (Admin API, or response files under "
    "landing/cursor/) and replace those days. A backfill of any range is one run, split into the windows the API allows.",
)
@retried_on_lake_conflict
def cursor_usage(context: dg.AssetExecutionContext, config: VendorRunConfig, warehouse: WarehouseResource):
    project = project_config.load(settings().config_path)
    if not project.cursor.configured:
        yield from not_configured(warehouse, CURSOR, [EVENTS_KEY, DAILY_KEY], NOT_CONFIGURED)
        return
    days = partition_days(context)
    stats = VendorStats()
    source = _source(project.cursor)
    try:
        frames = fetch_days(source, days, stats)
    except CursorAccessError as exc:
        raise dg.Failure(str(exc)) from None
    for note in stats.notes:
        context.log.warning(note)
    with warehouse.connect() as con:
        store(con, frames, days, "usage_day", hash_salt(warehouse.path), config.keep_names or project.keep_names, stats)
        yield from results(con, CURSOR, SCHEMAS, stats, {"events": EVENTS_KEY, "daily": DAILY_KEY}, "usage_day", days, config,
                           run_metadata(days, stats, source))


@dg.multi_asset(
    name="cursor_team",
    specs=[
        dg.AssetSpec(MEMBERS_KEY, group_name="raw", kinds={"cursor", "polars", "duckdb"},
                     description="Cursor team members, one snapshot per day (email hashed, name kept only with "
                     "privacy.keep_names), role, removed or not: the seats of licence utilisation."),
        dg.AssetSpec(SPEND_KEY, group_name="raw", kinds={"cursor", "polars", "duckdb"},
                     description="Cursor spend per member in the current billing cycle (cents, premium requests, the "
                     "cycle's start), one snapshot per day."),
    ],
    check_specs=[contract_spec(MEMBERS_KEY, SCHEMAS["members"]), contract_spec(SPEND_KEY, SCHEMAS["spend"])],
    pool=writer_pool("cursor_team"),
    backfill_policy=ONE_RUN,
    description="Take today's snapshot of Cursor's team members and billing-cycle spend (re-running a day replaces it).",
)
@retried_on_lake_conflict
def cursor_team(context: dg.AssetExecutionContext, config: VendorRunConfig, warehouse: WarehouseResource):
    project = project_config.load(settings().config_path)
    if not project.cursor.configured:
        yield from not_configured(warehouse, CURSOR, [MEMBERS_KEY, SPEND_KEY], NOT_CONFIGURED)
        return
    stats = VendorStats()
    today = dt.datetime.now(dt.timezone.utc).date()
    try:
        frames = fetch_team(_source(project.cursor), today, stats)
    except CursorAccessError as exc:
        raise dg.Failure(str(exc)) from None
    with warehouse.connect() as con:
        store(con, frames, [today], "snapshot_day", hash_salt(warehouse.path), config.keep_names or project.keep_names, stats)
        yield from results(con, CURSOR, SCHEMAS, stats, {"members": MEMBERS_KEY, "spend": SPEND_KEY}, "snapshot_day", [today],
                           config, {"snapshot_day": str(today)})


cursor_job = dg.define_asset_job(
    "cursor_daily", selection=dg.AssetSelection.assets(cursor_usage),
    description="Fetch one day of Cursor usage (the Admin API aggregates hourly; the schedule fetches yesterday).")
cursor_daily_schedule = dg.build_schedule_from_partitioned_job(
    cursor_job, hour_of_day=6, minute_of_hour=30, name="cursor_usage_daily",
    description="Fetches yesterday's Cursor usage at 06:30 UTC. Stopped by default: turn it on once cursor.source is set.",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
cursor_team_job = dg.define_asset_job("cursor_team_snapshot", selection=dg.AssetSelection.assets(cursor_team),
                                      description="Take today's Cursor members and spend snapshot.")
cursor_team_schedule = dg.ScheduleDefinition(
    name="cursor_team_daily", job=cursor_team_job, cron_schedule="45 6 * * *", execution_timezone=SCHEDULE_TIMEZONE,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Snapshots Cursor members and spend daily (licence utilisation over time). Stopped by default.")
