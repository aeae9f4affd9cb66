"""Dagster wiring for Anthropic's Claude Code usage report: daily partitions by usage day (UTC); a backfill of any range
is one run, each day replaced on re-run. These are the organization's own totals: the marts show them beside, never
summed with, the requests seen in telemetry and transcripts."""

import dagster as dg

from .. import project_config
from ..config import hash_salt, settings
from ..ingest.assets import contract_spec
from ..partitions import ONE_RUN, marts_days
from ..resources import WarehouseResource, retried_on_lake_conflict, writer_pool
from ..vendor_assets import VendorRunConfig, not_configured, partition_days, results, run_metadata
from ..vendor_load import VendorStats
from .client import AnthropicAccessError, AnthropicClient
from .fetch import AnthropicSource, ApiSource, FolderSource
from .load import ANTHROPIC, TABLES, fetch_days, store
from .schemas import SCHEMAS

USAGE_KEY, MODELS_KEY = (dg.AssetKey(TABLES[k].split(".")) for k in ("usage", "models"))
NOT_CONFIGURED = ("Anthropic's Claude Code report is not configured: set anthropic.source (api, with ANTHROPIC_ADMIN_KEY; "
                  "or folder) in analytics.yaml")


def _source(config: project_config.AnthropicConfig) -> AnthropicSource:
    if config.source == "folder":
        return FolderSource(settings().landing_dir / "anthropic")
    try:
        return ApiSource(AnthropicClient(base_url=config.base_url, key_env=config.admin_key_env))
    except AnthropicAccessError as exc:
        raise dg.Failure(str(exc)) from None


@dg.multi_asset(
    name="anthropic_claude_code",
    specs=[
        dg.AssetSpec(USAGE_KEY, group_name="raw", kinds={"anthropic", "polars", "duckdb"},
                     description="Claude Code usage as the organization's Anthropic account reports it, one row per actor "
                     "(user, email hashed unless privacy.keep_names; or API key by name), terminal and day: sessions, lines "
                     "added/removed, commits and pull requests by Claude Code, edit/write tool accepts and rejects. Daily "
                     "partitions by usage day (UTC); a run replaces its days."),
        dg.AssetSpec(MODELS_KEY, group_name="raw", kinds={"anthropic", "polars", "duckdb"},
                     description="The same report's tokens (input, output, cache read, cache creation) and estimated cost "
                     "(minor currency units) per actor, day and model. Same partitions."),
    ],
    check_specs=[contract_spec(USAGE_KEY, SCHEMAS["usage"]), contract_spec(MODELS_KEY, SCHEMAS["models"])],
    partitions_def=marts_days,
    pool=writer_pool("anthropic"),
    backfill_policy=ONE_RUN,
    description="Fetch Anthropic's Claude Code usage report of the partition days (Admin API, or response files under "
    "landing/anthropic/) and replace those days. A backfill of any range is one run (one request per day and page).",
)
@retried_on_lake_conflict
def anthropic_claude_code(context: dg.AssetExecutionContext, config: VendorRunConfig, warehouse: WarehouseResource):
    project = project_config.load(settings().config_path)
    if not project.anthropic.configured:
        yield from not_configured(warehouse, ANTHROPIC, [USAGE_KEY, MODELS_KEY], NOT_CONFIGURED)
        return
    days = partition_days(context)
    stats = VendorStats()
    source = _source(project.anthropic)
    try:
        frames = fetch_days(source, days, stats)
    except AnthropicAccessError as exc:
        raise dg.Failure(str(exc)) from None
    for note in stats.notes:
        context.log.warning(note)
    with warehouse.connect() as con:
        store(con, frames, days, hash_salt(warehouse.path), config.keep_names or project.keep_names, stats)
        yield from results(con, ANTHROPIC, SCHEMAS, stats, {"usage": USAGE_KEY, "models": MODELS_KEY}, "usage_day", days,
                           config, run_metadata(days, stats, source))


anthropic_job = dg.define_asset_job(
    "anthropic_daily", selection=dg.AssetSelection.assets(anthropic_claude_code),
    description="Fetch one day of Anthropic's Claude Code usage report.")
anthropic_daily_schedule = dg.build_schedule_from_partitioned_job(
    anthropic_job, hour_of_day=7, minute_of_hour=15, name="anthropic_claude_code_daily",
    description="Fetches yesterday's Claude Code usage report at 07:15 UTC. Stopped by default: turn it on once "
    "anthropic.source is set.",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
