"""dbt models as Dagster assets.

The project is built lazily (DbtProject): the manifest is prepared at install time (`make
install` runs `dbt parse`), or once on first import if it is missing, never on every import.
The translator groups models by layer and maps dbt sources to the Python ingest assets that
write them, so the UI shows one lineage: landing -> raw -> staging -> marts.
"""


import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Mapping, Optional

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from .. import project_config
from ..config import DBT_PROJECT_DIR, settings
from ..config import hash_salt
from .key_numbers import markdown
from .sources import ensure_sources
from ..resources import WRITER_POOL, WarehouseResource

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def ensure_manifest(project: DbtProject = dbt_project) -> Path:
    if not project.manifest_path.exists():
        # A fresh clone used without `make install`: parse once, with a clear line in the log.
        print(f"dbt manifest missing at {project.manifest_path}; running `dbt parse` once", file=sys.stderr)
        subprocess.run(
            [_dbt_executable(), "parse", "--quiet", "--project-dir", str(project.project_dir),
             "--profiles-dir", str(project.profiles_dir)],
            check=True,
        )
    return project.manifest_path


LAYER_GROUPS = {"staging": "staging", "intermediate": "intermediate", "marts": "marts"}


class AnalyticsDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        meta = dbt_resource_props.get("meta") or {}
        if dbt_resource_props["resource_type"] == "source" and "dagster" in meta:
            return dg.AssetKey(meta["dagster"]["asset_key"])
        if dbt_resource_props["resource_type"] in ("model", "seed"):
            return dg.AssetKey([dbt_resource_props["config"].get("schema") or "main", dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> Optional[str]:
        if dbt_resource_props["resource_type"] == "seed":
            return "pricing"
        fqn = dbt_resource_props.get("fqn") or []
        layer = fqn[1] if len(fqn) > 2 else None
        if layer == "marts" and len(fqn) > 3:
            return f"marts_{fqn[2]}"  # marts_zen, marts_agents, ...
        return LAYER_GROUPS.get(layer, super().get_group_name(dbt_resource_props))

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        return dbt_resource_props.get("description") or f"dbt model {dbt_resource_props['name']}"


translator = AnalyticsDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=ensure_manifest(),
    project=dbt_project,
    dagster_dbt_translator=translator,
    pool=WRITER_POOL,
    name="dbt_models",
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    """Build (run + test) the selected dbt models on the warehouse file."""
    warehouse.export_env()
    with warehouse.connect() as con:  # sources that never ran here exist (empty) for the staging models
        ensure_sources(con, hash_salt(warehouse.path))
    # dbt holds the file while it runs: its events are collected, then the key numbers of the marts
    # people read most are attached as markdown (the same figures as the dashboard).
    events, failure = [], None
    try:
        for event in dbt.cli(["build", "--vars", json.dumps(dbt_vars())], context=context).stream():
            events.append(event)
    except Exception as exc:  # the models that did build still report; then the run fails as dbt did
        failure = exc
    with warehouse.connect(read_only=True) as con:
        for event in events:
            if isinstance(event, dg.Output):
                table = markdown(con, event.output_name.split("__")[-1])
                if table:
                    event = event.with_metadata({**event.metadata, "key_numbers": dg.MetadataValue.md(table)})
            yield event
    if failure is not None:
        raise failure


def dbt_vars() -> dict:
    """The project config's numbers that dbt models use (one place to set them: analytics.yaml)."""
    config = project_config.load(settings().config_path)
    return {"copilot_seat_price_usd": config.copilot.seat_price_usd,
            "session_window_minutes": config.git.session_window_minutes,
            "roi_hours_saved_per_assisted_commit": config.alerts.hours_saved_per_assisted_commit,
            "roi_hourly_rate_usd": config.alerts.hourly_rate_usd}


def _dbt_executable() -> str:
    # The dbt installed beside this interpreter (the project venv), whether or not it is on PATH.
    return str(Path(sys.executable).parent / "dbt")


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project, dbt_executable=_dbt_executable())
