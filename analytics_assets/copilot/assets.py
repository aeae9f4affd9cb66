"""Dagster wiring for Copilot: the daily-partitioned usage reports (one run per backfill, each day
replaced on re-run) and the daily seat snapshot, with their pandera checks, jobs and schedule."""


import datetime as dt
import os

import dagster as dg

from .. import project_config
from ..config import hash_salt, settings
from ..github_api import GitHubClient
from ..ingest.assets import contract_spec, contract_verdict
from ..partitions import HISTORY_START, ONE_RUN, SCHEDULE_TIMEZONE
from ..resources import WarehouseResource, retried_on_lake_conflict, writer_pool
from .fetch import ApiSource, CopilotSource, FolderSource, Target
from .load import TABLES, CopilotStats, fetch_days, fetch_seats, store
from .schemas import SCHEMAS

# Reports reach back one year; the first partition is configurable for older deployments' history.
COPILOT_START = os.environ.get("ANALYTICS_COPILOT_START", HISTORY_START)
copilot_days = dg.DailyPartitionsDefinition(start_date=COPILOT_START, timezone="UTC")


class CopilotRunConfig(dg.Config):
    max_quarantine_share: float = 0.5
    keep_names: bool = False  # overrides privacy.keep_names to True for this run only when set


def _configured() -> tuple[project_config.ProjectConfig, list[Target]]:
    project = project_config.load(settings().config_path)
    config = project.copilot
    return project, [Target("organization", o) for o in config.orgs] + [Target("enterprise", e) for e in config.enterprises]


def _source(config: project_config.CopilotConfig) -> CopilotSource:
    if config.source == "folder":
        return FolderSource(settings().landing_dir / "copilot")
    if not os.environ.get(config.token_env):
        raise dg.Failure(f"copilot.source is 'api' but {config.token_env} is not set: export a token with "
                         "'Organization Copilot metrics' read (or read:org) and manage_billing:copilot, or use source: folder.")
    return ApiSource(GitHubClient(base_url=config.base_url, token_env=config.token_env))


NOT_CONFIGURED = "Copilot is not configured: set GITHUB_TOKEN and copilot.org (or copilot.enterprise) in analytics.yaml"


def _not_configured(keys) -> list:
    """Nothing to fetch: the assets succeed empty, and their contracts hold trivially (no rows)."""
    out: list = []
    for key in keys:
        out.append(dg.MaterializeResult(asset_key=key, metadata={"status": NOT_CONFIGURED, "dagster/row_count": 0}))
        out.append(dg.AssetCheckResult(asset_key=key, check_name="pandera_contract", passed=True,
                                       metadata={"pandera_verdict": "no rows", "status": NOT_CONFIGURED}))
    return out


def _metadata(stats: CopilotStats, kind: str, con, extra: dict) -> dict:
    return {
        "records_read": stats.records[kind], "rows_loaded": stats.loaded[kind], "rows_replaced": stats.replaced[kind],
        "rows_duplicated": stats.duplicates[kind],
        "rows_quarantined": stats.quarantined[kind], "report_files": stats.files,
        "dagster/row_count": con.execute(f"SELECT count(*) FROM {TABLES[kind]}").fetchone()[0], **extra,
    }


USAGE_KEY, USERS_KEY, SEATS_KEY = (dg.AssetKey(TABLES[k].split(".")) for k in ("usage", "users", "seats"))


@dg.multi_asset(
    name="copilot_usage",
    specs=[
        dg.AssetSpec(USAGE_KEY, group_name="raw", kinds={"github", "polars", "duckdb"},
                     description="Copilot usage-metrics organization/enterprise reports, one row per day × breakdown "
                     "(total, IDE, feature, language × feature, language × model, model × feature). Daily partitions by "
                     "report day; a run replaces its days."),
        dg.AssetSpec(USERS_KEY, group_name="raw", kinds={"github", "polars", "duckdb"},
                     description="Copilot users reports, one row per user and day (logins hashed unless privacy.keep_names): "
                     "activity counters, used agent / chat / CLI, AI credits. Same partitions as raw/copilot_usage."),
    ],
    check_specs=[contract_spec(USAGE_KEY, SCHEMAS["usage"]), contract_spec(USERS_KEY, SCHEMAS["users"])],
    partitions_def=copilot_days,
    pool=writer_pool("copilot_usage"),
    backfill_policy=ONE_RUN,
    description="Fetch the Copilot usage reports of the partition days (GitHub API via github3.py, or report files) and "
    "replace those days in the warehouse. A backfill of any range is one run.",
)
@retried_on_lake_conflict
def copilot_usage(context: dg.AssetExecutionContext, config: CopilotRunConfig, warehouse: WarehouseResource):
    project, targets = _configured()
    if not targets:
        yield from _not_configured([USAGE_KEY, USERS_KEY])
        return
    window = context.partition_time_window
    days = [window.start.date() + dt.timedelta(days=i) for i in range((window.end - window.start).days)]
    stats = CopilotStats()
    frames = fetch_days(_source(project.copilot), targets, days, stats)
    for note in stats.notes:
        context.log.warning(note)
    with warehouse.connect() as con:
        store(con, frames, days, targets, hash_salt(warehouse.path), config.keep_names or project.keep_names, stats)
        extra = {"days": len(days), "first_day": str(days[0]), "last_day": str(days[-1]),
                 "targets": ", ".join(f"{t.scope}:{t.name}" for t in targets),
                 "days_without_report": dg.MetadataValue.json(stats.days_without_report[:50])}
        for key, kind in ((USAGE_KEY, "usage"), (USERS_KEY, "users")):
            yield dg.MaterializeResult(asset_key=key, metadata=_metadata(stats, kind, con, extra))
            loaded = con.execute(f"SELECT * FROM {TABLES[kind]} WHERE report_day BETWEEN ? AND ?", [days[0], days[-1]]).pl()
            yield contract_verdict(key, SCHEMAS[kind], loaded, stats.records[kind], stats.quarantined[kind],
                                   config.max_quarantine_share)


@dg.asset(
    key=SEATS_KEY,
    group_name="raw",
    kinds={"github", "polars", "duckdb"},
    pool=writer_pool("copilot_seats"),
    backfill_policy=ONE_RUN,
    check_specs=[contract_spec(SEATS_KEY, SCHEMAS["seats"])],
    description="Copilot seats, one snapshot per day (assignee hashed unless privacy.keep_names, plan, assigning team, "
    "last activity and editor). Snapshots accumulate, so licence utilisation over time works; re-running a day replaces it.",
)
@retried_on_lake_conflict
def copilot_seats(context: dg.AssetExecutionContext, config: CopilotRunConfig, warehouse: WarehouseResource):
    project, targets = _configured()
    if not targets:
        yield from _not_configured([SEATS_KEY])
        return
    stats = CopilotStats()
    frames, days = fetch_seats(_source(project.copilot), targets, stats)
    with warehouse.connect() as con:
        store(con, frames, days, targets, hash_salt(warehouse.path), config.keep_names or project.keep_names, stats,
              day_column="snapshot_day")
        yield dg.MaterializeResult(asset_key=SEATS_KEY, metadata=_metadata(stats, "seats", con, {
            "snapshot_days": ", ".join(map(str, days[-5:])), "seats_in_latest_snapshot": con.execute(
                f"SELECT count(*) FROM {TABLES['seats']} WHERE snapshot_day = (SELECT max(snapshot_day) FROM {TABLES['seats']})").fetchone()[0]}))
        loaded = con.execute(f"SELECT * FROM {TABLES['seats']} WHERE snapshot_day IN (SELECT unnest(?::DATE[]))", [days]).pl()
        yield contract_verdict(SEATS_KEY, SCHEMAS["seats"], loaded, stats.records["seats"], stats.quarantined["seats"],
                               config.max_quarantine_share)


copilot_job = dg.define_asset_job(
    "copilot_daily", selection=dg.AssetSelection.assets(copilot_usage),
    description="Fetch one day of Copilot usage reports (GitHub publishes a day's report the next morning, UTC).")

copilot_daily_schedule = dg.build_schedule_from_partitioned_job(
    copilot_job, hour_of_day=6, minute_of_hour=15, name="copilot_reports_daily",
    description="Fetches yesterday's Copilot reports at 06:15 UTC, after GitHub publishes them. Stopped by default: "
    "turn it on once copilot.org / copilot.enterprise and the token are set.",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)

seats_job = dg.define_asset_job("copilot_seats_snapshot", selection=dg.AssetSelection.assets(copilot_seats),
                                description="Take today's Copilot seats snapshot.")
copilot_seats_schedule = dg.ScheduleDefinition(
    name="copilot_seats_daily", job=seats_job, cron_schedule="30 6 * * *",
    execution_timezone=SCHEDULE_TIMEZONE, default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Snapshots Copilot seats daily (history for utilisation over time). Stopped by default, like the reports.")
