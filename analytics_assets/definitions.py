"""The code location: every asset, check, job, sensor, schedule and resource of Agent Analytics."""

from __future__ import annotations

import dagster as dg

from .otlp.assets import ingest_otlp_asset, landing_otlp, otlp_hourly_schedule, otlp_landing_sensor, otlp_refresh_job
from .resources import WarehouseResource
from .transform.dbt_assets import dbt_models, dbt_resource

defs = dg.Definitions(
    assets=[landing_otlp, ingest_otlp_asset, dbt_models],
    jobs=[otlp_refresh_job],
    sensors=[otlp_landing_sensor],
    schedules=[otlp_hourly_schedule],
    resources={"warehouse": WarehouseResource(), "dbt": dbt_resource()},
)
