"""The code location: every asset, check, job, sensor, schedule and resource of Agent Analytics."""

import dagster as dg

from .identities import developer_identities
from .otlp.assets import OTLP
from .resources import WarehouseResource
from .transcripts.assets import CLAUDE, CODEX
from .transform.checks import every_model_priced
from .transform.dbt_assets import dbt_models, dbt_resource

SOURCES = (OTLP, CLAUDE, CODEX)

defs = dg.Definitions(
    assets=[*(s["landing"] for s in SOURCES), *(s["asset"] for s in SOURCES), developer_identities, dbt_models],
    asset_checks=[every_model_priced],
    jobs=[s["job"] for s in SOURCES],
    sensors=[s["sensor"] for s in SOURCES],
    schedules=[s["schedule"] for s in SOURCES],
    resources={"warehouse": WarehouseResource(), "dbt": dbt_resource()},
)
