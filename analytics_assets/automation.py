"""The time-driven refresh of the marts, and the sensor that evaluates the declarative automation.

Once a day the unpartitioned dbt models and the forecast run even when nothing new arrived, because
"the last complete day" moved (month-to-date budgets, the forecast's horizon). The assets' eager
conditions are evaluated by `automation_sensor`, on by default: Dagster's own default automation
sensor starts stopped, and then no condition would ever fire in `make ui`."""

import dagster as dg

from .forecast.assets import forecast_spend_asset
from .partitions import SCHEDULE_TIMEZONE, SENSOR_STATUS
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


automation_sensor = dg.AutomationConditionSensorDefinition(
    "automation_sensor", target=dg.AssetSelection.all(), default_status=SENSOR_STATUS,
    minimum_interval_seconds=30,
    description="Evaluates every asset's automation condition (eager on the dbt models, today's daily-mart partition, "
    "forecast, alerts, dashboard, exports, community) every 30 s. On by default.",
)
