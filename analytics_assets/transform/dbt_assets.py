"""dbt models as Dagster assets.

The project is built lazily (DbtProject): the manifest is prepared at install time (`make
install` runs `dbt parse`), or once on first import if it is missing, never on every import.
The translator groups models by layer and maps dbt sources to the Python ingest assets that
write them, so the UI shows one lineage: landing -> raw -> staging -> marts.
"""


import json
import subprocess
import sys
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping, Optional

import dagster as dg
from packaging import version
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from .. import project_config
from ..config import DBT_PROJECT_DIR, settings
from ..config import hash_salt
from .key_numbers import markdown
from .sources import ensure_sources
from ..partitions import EAGER_UNPARTITIONED, ONE_RUN, marts_days
from ..warehouse import PURGED_DAYS, table_exists
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

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> Optional[dg.AutomationCondition]:
        # Models rebuild when what they read changes; a daily mart refreshes today's partition (older days:
        # the late-data sensor). Seeds change with the code, built by `make run` and deploys.
        if dbt_resource_props["resource_type"] != "model":
            return None
        if "daily" in (dbt_resource_props.get("tags") or []):
            return dg.AutomationCondition.eager()
        return EAGER_UNPARTITIONED

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        return dbt_resource_props.get("description") or f"dbt model {dbt_resource_props['name']}"


translator = AnalyticsDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


DAILY = "tag:daily"  # the marts additive by day (incremental, one partition per UTC day)


# What both dbt assets share: one manifest and translator, the writer pool, single-run backfills.
SHARED = dict(manifest=ensure_manifest(), project=dbt_project, dagster_dbt_translator=translator, pool=WRITER_POOL,
              backfill_policy=ONE_RUN)


@dbt_assets(**SHARED, exclude=DAILY, name="dbt_models")
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    """Build (run + test) the selected dbt models on the warehouse file (every model but the daily marts)."""
    yield from _build(context, dbt, warehouse, dbt_vars())


@dbt_assets(**SHARED, select=DAILY, partitions_def=marts_days, name="dbt_daily_marts")
def dbt_daily_marts(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    """Rebuild the daily marts for exactly the partition days of this run (a 90-day backfill is one dbt
    invocation); days outside the window are left as they are."""
    window = context.partition_time_window
    variables = {**dbt_vars(), "min_date": window.start.date().isoformat(), "max_date": window.end.date().isoformat()}
    with warehouse.connect(read_only=True) as con:
        frozen = [str(d) for (d,) in con.execute(
            f"SELECT day FROM {PURGED_DAYS} WHERE day >= ? AND day < ? ORDER BY 1", [window.start.date(), window.end.date()]
        ).fetchall()] if table_exists(con, PURGED_DAYS) else []
    if frozen:
        context.log.warning(f"{len(frozen)} day(s) of this window had raw rows purged by retention: their aggregates are "
                            f"kept as built, not rebuilt ({', '.join(frozen[:5])}{', ...' if len(frozen) > 5 else ''})")
    yield from _build(context, dbt, warehouse, variables)


# The files people open, rewritten by every refresh run (they read the marts that run rebuilt; a day's
# daily-mart figures follow by automation, which rewrites them again).
OUTPUT_KEYS = (dg.AssetKey(["reports", "dashboard"]), dg.AssetKey(["exports", "marts"]))


def refresh_selection(*assets) -> dg.AssetSelection:
    """An ingest, every unpartitioned dbt model, the other readers of the ingest, and the dashboard and
    exports. The whole unpartitioned dbt project, not only the ingest's descendants: a model's tests read
    models of other sources (relationships) and on a fresh warehouse those exist only once built; the
    project builds in seconds. The daily marts follow by declarative automation (today's partition) and the
    late-data sensor (older days), so the landing sensors' runs need no partition and every asset runs once
    per change; the dashboard and exports are in the run so that it ends with them showing the new rows."""
    daily = dg.AssetSelection.assets(dbt_daily_marts).downstream()
    return ((dg.AssetSelection.assets(*assets, dbt_models) | dg.AssetSelection.assets(*assets).downstream()) - daily
            | dg.AssetSelection.assets(*OUTPUT_KEYS))


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource, variables: dict):
    warehouse.export_env()
    with warehouse.connect() as con:  # sources that never ran here exist (empty) for the staging models
        ensure_sources(con, hash_salt(warehouse.path))
    # dbt holds the file while it runs: its events are collected, then the key numbers of the marts
    # people read most are attached as markdown (the same figures as the dashboard).
    events, failure = [], None
    try:
        for event in dbt.cli(["build", "--vars", json.dumps(variables)], context=context).stream():
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


class ProjectDbtResource(DbtCliResource):
    """dagster-dbt's resource without two costs it pays before every dbt step (~5 s of a refresh whose dbt
    build takes ~10): asking the dbt executable its version in a subprocess (`dbt --version`, ~2 s: it is the
    dbt-core installed beside this interpreter, whose version we know) and building a dbt adapter in this
    process (~3 s of macro parsing), which dagster-dbt uses only to fetch row counts and column metadata,
    which this project does not ask for. The dbt command it runs is the same."""

    @cached_property
    def _cli_version(self) -> version.Version:
        import dbt.version

        return version.parse(dbt.version.__version__)

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 - dagster-dbt's signature
        return None


def dbt_resource() -> DbtCliResource:
    return ProjectDbtResource(project_dir=dbt_project, dbt_executable=_dbt_executable())
