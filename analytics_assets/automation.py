"""The time-driven refresh of the marts: once a day the unpartitioned dbt models and the forecast run
even when nothing new arrived, because "the last complete day" moved (month-to-date budgets, the
forecast's horizon). Everything else is driven by sensors and declarative automation (README:
"How the graph keeps itself fresh")."""

import dagster as dg

from .forecast.assets import forecast_spend_asset
from .partitions import SCHEDULE_TIMEZONE
from .transform.dbt_assets import dbt_models

marts_job = dg.define_asset_job(
    "marts_and_forecast_daily_job", selection=dg.AssetSelection.assets(dbt_models, forecast_spend_asset),
    description="Rebuild the unpartitioned dbt models and the spend forecast (alerts, dashboard and exports follow by "
    "automation).")

marts_schedule = dg.ScheduleDefinition(
    name="marts_and_forecast_daily", job=marts_job, cron_schedule="0 5 * * *", execution_timezone=SCHEDULE_TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="05:00 daily: the dbt marts and the forecast move to the new complete day even without new data. "
    "On by default.",
)
