"""Dagster wiring for retention: the weekly purge of raw rows past their window and of daily-mart days
past theirs, holding back the days a mart partition still has to rebuild."""

import datetime as dt

import dagster as dg

from .. import project_config
from ..config import settings
from ..partitions import ONE_RUN, SCHEDULE_TIMEZONE, today_utc
from ..resources import WarehouseResource, retried_on_lake_conflict, writer_pool
from ..transform.late_data import WATCHED, stale_days, touched_days
from ..warehouse import transaction
from .rules import DAILY_MARTS, RAW_DATES, plan, purge


@dg.asset(
    key=["retention", "purged_rows"],
    group_name="operations",
    kinds={"duckdb"},
    deps=[dg.AssetKey(table.split(".")) for table in (*RAW_DATES, *DAILY_MARTS) if table != "raw.quarantine"],
    pool=writer_pool("retention"),
    backfill_policy=ONE_RUN,
    description="Purges raw rows older than retention.raw_days (default 180) and daily-mart days older than "
    "retention.daily_marts_days (default 3 years), per-table overrides in retention.tables. Days whose daily-mart "
    "partition has not been rebuilt since their newest raw rows arrived are held back; days that lost raw rows are "
    "listed in raw.purged_days and the daily marts never rebuild them, so their aggregates outlive the raw rows. Purged "
    "counts per table in metadata.",
)
@retried_on_lake_conflict
def purged_rows(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    config = project_config.load(settings().config_path).retention
    today = today_utc()
    touched, _ = touched_days(context.instance, WATCHED)
    held = [dt.date.fromisoformat(day) for day in stale_days(context.instance, touched)]
    with warehouse.connect() as con, transaction(con):
        done = [purge(con, item, held) for item in plan(config, today)]
    for item in done:
        if item.held:
            context.log.warning(f"{item.table}: kept {len(item.held)} day(s) past retention until their daily-mart "
                                f"partitions are rebuilt: {', '.join(map(str, item.held[:10]))}")
    table = "| table | kept (days) | cutoff | rows purged | days held |\n|---|---|---|---|---|\n" + "\n".join(
        f"| {p.table} | {p.days or 'forever'} | {p.cutoff or '-'} | {p.rows:,} | {len(p.held)} |" for p in done)
    return dg.MaterializeResult(metadata={
        "rows_purged": sum(p.rows for p in done),
        "raw_rows_purged": sum(p.rows for p in done if p.table.startswith("raw.")),
        "daily_mart_rows_purged": sum(p.rows for p in done if p.table.startswith("marts.")),
        "days_held": dg.MetadataValue.json(sorted({str(d) for p in done for d in p.held})),
        "raw_cutoff": str(config.raw_cutoff(today)),
        "purges": dg.MetadataValue.md(table),
    })


retention_job = dg.define_asset_job("retention_weekly_job", selection=dg.AssetSelection.assets(purged_rows),
                                    description="Purge rows past their retention window.")

retention_schedule = dg.ScheduleDefinition(
    name="retention_weekly", job=retention_job, cron_schedule="30 3 * * 0", execution_timezone=SCHEDULE_TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Sundays 03:30: purge raw rows past retention.raw_days and daily-mart days past "
    "retention.daily_marts_days (held back where a mart partition still needs them). On by default.",
)
