"""The code location: every asset, check, job, sensor, schedule and resource of Agent Analytics."""

import dagster as dg

from .alerts.assets import alerts
from .anthropic.assets import anthropic_claude_code, anthropic_daily_schedule, anthropic_job
from .automation import automation_sensor, marts_job, marts_schedule
from .alerts.failures import record_run_failure_job, run_failure_sensor
from .community.assets import community_aggregates
from .copilot_cli.assets import COPILOT_CLI
from .copilot.assets import (copilot_daily_schedule, copilot_job, copilot_seats, copilot_seats_schedule, copilot_usage,
                             seats_job)
from .cursor.assets import (cursor_daily_schedule, cursor_job, cursor_team, cursor_team_job, cursor_team_schedule,
                            cursor_usage)
from .dashboard.assets import dashboard
from .exports.assets import exports
from .forecast.assets import forecast_spend_asset
from .gemini.assets import GEMINI
from .git.assets import git_commits, git_job, git_repositories, git_schedule, git_sensor, repo_folders
from .identities import developer_identities
from .ingest.landing_sensor import build_landing_refresh
from .opencode.assets import OPENCODE
from .otlp.assets import OTLP
from .resources import WarehouseResource
from .stale_runs import release_dead_runs_of_this_instance
from .retention.assets import purged_rows, retention_job, retention_schedule
from .transcripts.assets import CLAUDE, CODEX
from .transform.checks import every_model_priced
from .transform.dbt_assets import dbt_daily_marts, dbt_models, dbt_resource
from .transform.late_data import late_data_sensor

SOURCES = (OTLP, CLAUDE, CODEX, GEMINI, OPENCODE, COPILOT_CLI)
LANDING = build_landing_refresh(SOURCES)

defs = dg.Definitions(
    assets=[*(s["landing"] for s in SOURCES), *(s["asset"] for s in SOURCES), developer_identities, copilot_usage, copilot_seats,
            cursor_usage, cursor_team, anthropic_claude_code,
            git_repositories, git_commits, repo_folders,
            dbt_models, dbt_daily_marts, forecast_spend_asset, alerts, dashboard, exports, community_aggregates,
            purged_rows],
    asset_checks=[every_model_priced],
    jobs=[LANDING["job"], *(s["job"] for s in SOURCES), copilot_job, seats_job, cursor_job, cursor_team_job, anthropic_job,
          git_job, marts_job, retention_job, record_run_failure_job],
    sensors=[LANDING["sensor"], git_sensor, late_data_sensor, run_failure_sensor, automation_sensor],
    schedules=[*(s["schedule"] for s in SOURCES), copilot_daily_schedule, copilot_seats_schedule,
               cursor_daily_schedule, cursor_team_schedule, anthropic_daily_schedule, git_schedule, marts_schedule,
               retention_schedule],
    resources={"warehouse": WarehouseResource(), "dbt": dbt_resource()},
    executor=dg.in_process_executor,
)

# Every entry point (make run, dagster job execute, dagster dev's code server) loads this module: runs
# whose process died are failed and their writer slots freed before anything queues behind them.
release_dead_runs_of_this_instance()
