"""dbt models as Dagster assets.

The project is built lazily (DbtProject): the manifest is prepared at install time (`make
install` runs `dbt parse`), or once on first import if it is missing, never on every import.
The translator groups models by layer and maps dbt sources to the Python ingest assets that
write them, so the UI shows one lineage: landing -> raw -> staging -> marts.
"""


import functools
import json
import os
import subprocess
import sys
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Mapping, Optional

import dagster as dg
from dagster._core.definitions.asset_checks.asset_check_evaluation import AssetCheckEvaluation
from dagster._core.events import DagsterEventType
from packaging import version
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from ..config import DBT_PROJECT_DIR, settings
from ..config import hash_salt
from .dbt_in_process import InProcessDbt
from .dbt_state import DAILY_WINDOW_ENV, dbt_executable, dbt_vars, finish_parse_ahead, keep_parse_state, target_folder
from .key_numbers import KEY_NUMBERS, markdown
from .sources import ensure_sources
from ..partitions import EAGER_DAILY, EAGER_UNPARTITIONED, ONE_RUN, day_keys, marts_days, metadata_days
from ..warehouse import PURGED_DAYS, table_exists
from ..resources import WarehouseResource, lake_conflicts_retried, writer_pool

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def ensure_manifest(project: DbtProject = dbt_project) -> Path:
    if not project.manifest_path.exists():
        # A fresh clone used without `make install`: parse once, with a clear line in the log.
        print(f"dbt manifest missing at {project.manifest_path}; running `dbt parse` once", file=sys.stderr)
        subprocess.run(
            [dbt_executable(), "parse", "--quiet", "--project-dir", str(project.project_dir),
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
            return EAGER_DAILY
        return EAGER_UNPARTITIONED

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        return dbt_resource_props.get("description") or f"dbt model {dbt_resource_props['name']}"


translator = AnalyticsDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


DAILY = "tag:daily"  # the marts additive by day (incremental, one partition per UTC day)


# What both dbt assets share: one manifest and translator, the writer pool, single-run backfills.
SHARED = dict(manifest=ensure_manifest(), project=dbt_project, dagster_dbt_translator=translator, pool=writer_pool("dbt"),
              backfill_policy=ONE_RUN)


@dbt_assets(**SHARED, exclude=DAILY, name="dbt_models")
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    """Build (run + test) the selected dbt models on the warehouse file (every model but the daily marts)."""
    yield from _build(context, dbt, warehouse)


@dbt_assets(**SHARED, select=DAILY, partitions_def=marts_days, name="dbt_daily_marts")
def dbt_daily_marts(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    """Rebuild the daily marts for exactly the partition days of this run (a 90-day backfill is one dbt
    invocation); days outside the window are left as they are."""
    window = context.partition_time_window
    with warehouse.connect(read_only=True) as con:
        frozen = [str(d) for (d,) in con.execute(
            f"SELECT day FROM {PURGED_DAYS} WHERE day >= ? AND day < ? ORDER BY 1", [window.start.date(), window.end.date()]
        ).fetchall()] if table_exists(con, PURGED_DAYS) else []
    if frozen:
        context.log.warning(f"{len(frozen)} day(s) of this window had raw rows purged by retention: their aggregates are "
                            f"kept as built, not rebuilt ({', '.join(frozen[:5])}{', ...' if len(frozen) > 5 else ''})")
    yield from _build(context, dbt, warehouse, window=(window.start.date(), window.end.date()))


DAILY_KEYS = set(dbt_daily_marts.keys)

# The files people open, rewritten by every refresh run (they read the marts that run rebuilt).
OUTPUT_KEYS = (dg.AssetKey(["reports", "dashboard"]), dg.AssetKey(["exports", "marts"]))


def refresh_selection(*assets) -> dg.AssetSelection:
    """An ingest, the dbt models it feeds and their readers, and the dashboard and exports: what the new
    bytes can change, not the whole project (the models of other sources are as their own refreshes left
    them). On a fresh warehouse the models the selection reads (or its tests compare against) that do not
    exist yet are built first (`missing_parents`). The dbt step also rebuilds the daily-mart partitions of
    the days the ingest touched (`_build`), so the run ends with the dashboard, exports and the touched
    days current. The developer identities come along (a small table): a machine whose token was just
    added is its developer's at once."""
    daily = dg.AssetSelection.assets(dbt_daily_marts).downstream()
    return ((dg.AssetSelection.assets(*assets) | dg.AssetSelection.assets(*assets).downstream()) - daily
            | dg.AssetSelection.assets(*OUTPUT_KEYS, dg.AssetKey(["raw", "developer_identities"])))


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource, window=None):
    """`dbt build` of the step's selection (`window` = [start, end) of a daily-marts partition range).

    In a run that selects only some unpartitioned models (a refresh: what the changed source feeds), two
    things come with it. On a warehouse that lacks models the selection reads (a fresh one), those are
    built first. And when the run's ingest touched event dates and the run does not build the daily marts
    itself, the daily marts are rebuilt for exactly those days in the same dbt
    command (recorded as those partitions' materializations), so the refresh ends with the days current."""
    warehouse.export_env()
    os.environ["DBT_TARGET_PATH"] = str(target_folder(warehouse.path))
    finish_parse_ahead()  # `make run`'s graph parsed the project on the side while it ingested
    days = [] if window else days_to_rebuild(context)
    # The daily marts that read the step's models (a claude refresh: the usage mart, not the Copilot or
    # instance-cost ones, whose rows its bytes cannot change); the late-data sensor checks each mart's partitions
    # against the raw tables it reads.
    daily = fed_daily_marts(context) if days else []
    # sources that never ran here exist (empty) for the staging models (on a fresh lake, racing a first ingest)
    with lake_conflicts_retried(), warehouse.connect() as con:
        ensure_sources(con, hash_salt(warehouse.path))
        missing = [] if window else missing_parents(context, con, {key for _, key in daily})
    # Events are yielded as dbt fires them (the instance stores them while dbt works on); the marts with
    # key numbers wait for the end: dbt holds the file while it runs. Then the markdown of the key numbers
    # people read most is attached (the same figures as the dashboard).
    waiting, failure = [], None
    try:
        if missing:
            # Models and seeds only (build, unlike run, loads seeds); their tests run with their own refresh.
            context.log.info(f"building {len(missing)} model(s) this warehouse does not have yet, which the selection reads")
            _side_build(dbt, ["build", "--exclude-resource-type", "test", "--select", " ".join(name for name, _ in missing)])
            for _, key in missing:
                yield dg.AssetMaterialization(asset_key=key, description="built first: the run's models read it")
        if daily:
            context.log.info(f"with {', '.join(name for name, _ in daily)} for the days this run touched: {', '.join(days)}")
        with daily_window(window, days=days if daily else None):
            for event in _stream(dbt, context, daily, days):
                if isinstance(event, dg.Output) and event.output_name.split("__")[-1] in KEY_NUMBERS:
                    waiting.append(event)
                else:
                    yield event
    except Exception as exc:  # the models that did build still report; then the run fails as dbt did
        failure = exc
    if waiting:
        with warehouse.connect(read_only=True) as con:
            for event in waiting:
                table = markdown(con, event.output_name.split("__")[-1])
                yield event.with_metadata({**event.metadata, "key_numbers": dg.MetadataValue.md(table)}) if table else event
    if failure is not None:
        raise failure


def _stream(dbt: DbtCliResource, context: dg.AssetExecutionContext, daily=(), days=()):
    """The step's `dbt build`. With daily marts to rebuild for some days, one command builds both: the
    step's models by name plus those marts (dagster-dbt's selection from the context covers only the
    step's own assets), and its events are mapped here as dagster-dbt maps them within a step: the step's
    models as outputs, their tests as check results; the marts as materializations of their days."""
    if not daily:
        invocation = dbt.cli(["build", "--vars", json.dumps(dbt_vars())], context=context)
        try:
            yield from invocation.stream()
        finally:
            keep_parse_state(invocation.target_path)
        return
    nodes, _, selected = _graph(context)
    names = sorted(nodes[uid]["name"] for uid in selected) + [name for name, _ in daily]
    invocation = dbt.cli(["build", "--select", " ".join(names), "--vars", json.dumps(dbt_vars())],
                         manifest=dbt_project.manifest_path, dagster_dbt_translator=translator)
    daily_keys, checks = {key for _, key in daily}, context.selected_asset_check_keys
    try:
        for event in invocation.stream():
            if isinstance(event, dg.AssetMaterialization) and event.asset_key in daily_keys:
                yield from (dg.AssetMaterialization(asset_key=event.asset_key, partition=day, metadata=event.metadata)
                            for day in days)
            elif isinstance(event, dg.AssetMaterialization) and event.asset_key in context.selected_asset_keys:
                yield dg.Output(None, output_name=event.asset_key.to_python_identifier(), metadata=event.metadata)
            elif isinstance(event, AssetCheckEvaluation) and event.asset_check_key in checks:
                yield dg.AssetCheckResult(asset_key=event.asset_key, check_name=event.check_name, passed=event.passed,
                                          severity=event.severity, metadata=event.metadata)
            # the daily marts' own tests ran too (their failure fails the command); their checks are the
            # partitioned asset's, recorded when it runs itself
    finally:
        keep_parse_state(invocation.target_path)


def _side_build(dbt: DbtCliResource, args: list[str]) -> None:
    """A dbt command outside the step's own selection (its events are not the step's outputs). One value
    after --select (names separated by spaces): dagster-dbt takes only the first as the selection."""
    invocation = dbt.cli([*args, "--vars", json.dumps(dbt_vars())], manifest=dbt_project.manifest_path,
                         dagster_dbt_translator=translator)
    try:
        invocation.wait()
    finally:
        keep_parse_state(invocation.target_path)


def fed_daily_marts(context: dg.AssetExecutionContext) -> list[tuple[str, dg.AssetKey]]:
    """(dbt name, asset key) of the daily marts that read, directly or not, a model this step builds."""
    nodes, key_of, selected = _graph(context)
    return sorted((nodes[uid]["name"], key) for uid, key in key_of.items() if key in DAILY_KEYS and _reads(uid, selected, nodes))


@functools.cache
def daily_mart_sources() -> dict[dg.AssetKey, frozenset[dg.AssetKey]]:
    """Each daily mart and the asset keys of the dbt sources (raw tables) it reads, directly or not."""
    manifest = _manifest()
    nodes, sources = manifest["nodes"], manifest["sources"]
    return {translator.get_asset_key(node): frozenset(translator.get_asset_key(sources[parent]) for parent in _ancestors(uid, nodes)
                                                      if parent in sources)
            for uid, node in nodes.items() if node["resource_type"] == "model" and translator.get_asset_key(node) in DAILY_KEYS}


def _graph(context: dg.AssetExecutionContext) -> tuple[dict, dict, set]:
    """The manifest's models and seeds by unique id, their asset keys, and the ids this step builds."""
    manifest = _manifest()
    nodes = {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] in ("model", "seed")}
    key_of = {uid: translator.get_asset_key(n) for uid, n in nodes.items()}
    return nodes, key_of, {uid for uid, key in key_of.items() if key in context.selected_asset_keys}


@functools.cache
def _manifest() -> dict:
    return json.loads(Path(dbt_project.manifest_path).read_bytes())


def _tested_with(selected: set) -> set:
    """The models that the tests of `selected` compare against (a relationships test reads its `to` model)."""
    tests = (n for n in _manifest()["nodes"].values() if n["resource_type"] == "test")
    return {uid for t in tests if set(deps := t.get("depends_on", {}).get("nodes", [])) & selected for uid in deps}


def missing_parents(context: dg.AssetExecutionContext, con, also: set) -> list[tuple[str, dg.AssetKey]]:
    """(dbt name, asset key) of the models and seeds that this run's assets (and the models of `also`)
    read, directly or not, or that their tests compare against, that this run does not build and the
    warehouse does not have (a fresh one). The run's readers count too: the community aggregates and the
    dashboard read marts of every source."""
    nodes, key_of, selected = _graph(context)
    if not selected or len(selected) == len(dbt_models.keys):
        return []
    planned = _planned(context)
    graph = context.job_def.asset_layer.asset_graph
    uid_of = {key: uid for uid, key in key_of.items()}
    stack = [*planned, *also, *(key_of[uid] for uid in _tested_with(selected) if uid in key_of)]
    seen = set()
    while stack:
        key = stack.pop()
        if key in seen or not graph.has(key):
            continue
        seen.add(key)
        stack.extend(graph.get(key).parent_keys)
    # The job's graph holds its assets' parents; the models those read come from the manifest.
    stack, models = [uid_of[key] for key in seen if key in uid_of], set()
    while stack:
        uid = stack.pop()
        if uid in nodes and uid not in models:
            models.add(uid)
            stack.extend(nodes[uid].get("depends_on", {}).get("nodes", []))
    present = {(schema, name) for schema, name in con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables").fetchall()}
    # Not the daily marts (their partitions are their own asset's, or come with the touched days) nor a model that
    # reads one the run builds (it could not be built first).
    missing = [uid for uid in models if key_of[uid] not in planned | also | DAILY_KEYS
               and (nodes[uid]["schema"], nodes[uid]["alias"]) not in present and not _reads(uid, selected, nodes)]
    return [(nodes[uid]["name"], key_of[uid]) for uid in sorted(missing)]


def _reads(uid: str, targets: set, nodes: dict) -> bool:
    """Whether the model `uid` reads, directly or not, one of `targets`."""
    return not _ancestors(uid, nodes).isdisjoint(targets)


def _ancestors(uid: str, nodes: dict) -> set:
    """The unique ids the node `uid` reads, directly or not (models, seeds, sources)."""
    stack, seen = list(nodes[uid].get("depends_on", {}).get("nodes", [])), set()
    while stack:
        parent = stack.pop()
        if parent not in seen:
            seen.add(parent)
            stack.extend(nodes.get(parent, {}).get("depends_on", {}).get("nodes", []))
    return seen


def _planned(context: dg.AssetExecutionContext) -> set:
    return set(context.run.asset_selection or context.job_def.asset_layer.selected_asset_keys)


def days_to_rebuild(context: dg.AssetExecutionContext) -> list[str]:
    """The event dates this run's ingests touched, when the run builds unpartitioned models but not the
    daily marts (a refresh); none otherwise."""
    planned = _planned(context)
    if not planned or planned & DAILY_KEYS:
        return []
    records = context.instance.get_records_for_run(context.run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
    return day_keys(day for record in records if (m := record.event_log_entry.asset_materialization)
                    for day in metadata_days(m.metadata))


@contextmanager
def daily_window(window=None, days=None):
    """The daily marts' days for the command (`macros/daily_window.sql` reads them): a [start, end) window
    or a list of days; as environment variables rather than `--vars`: dbt re-parses the whole project
    whenever its vars change (other days every run), and only the files that read an environment variable
    when that one changes."""
    names = DAILY_WINDOW_ENV
    saved = {name: os.environ.pop(name, None) for name in names}
    if window is not None:
        os.environ.update(zip(names, (d.isoformat() for d in window)))
    if days:
        os.environ["ANALYTICS_DAILY_DAYS"] = ",".join(days)
    try:
        yield
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value


class ProjectDbtResource(DbtCliResource):
    """dagster-dbt's resource without three costs it pays for every dbt step: asking the dbt executable its
    version in a subprocess (`dbt --version`, ~2 s: it is the dbt-core installed beside this interpreter,
    whose version we know), building a dbt adapter in this process (~3 s of macro parsing), which
    dagster-dbt uses only to fetch row counts and column metadata, which this project does not ask for,
    and starting dbt in a new process (~7 s before it builds anything: `dbt_in_process`). The dbt command,
    its arguments, environment and events are dagster-dbt's own."""

    in_process: bool = True

    def cli(self, args, *, raise_on_error=True, manifest=None, dagster_dbt_translator=None, context=None,
            target_path=None):
        if not self.in_process:
            return super().cli(args, raise_on_error=raise_on_error, manifest=manifest,
                               dagster_dbt_translator=dagster_dbt_translator, context=context, target_path=target_path)
        # dagster-dbt starts the command with `subprocess.Popen` in one place; for this call, that place
        # starts it in this process instead (the invocation keeps the object it got, nothing else changes).
        from dagster_dbt.core import dbt_cli_invocation as invocation

        real = invocation.subprocess
        invocation.subprocess = SimpleNamespace(Popen=InProcessDbt, PIPE=subprocess.PIPE, STDOUT=subprocess.STDOUT)
        try:
            return super().cli(args, raise_on_error=raise_on_error, manifest=manifest,
                               dagster_dbt_translator=dagster_dbt_translator, context=context, target_path=target_path)
        finally:
            invocation.subprocess = real

    @cached_property
    def _cli_version(self) -> version.Version:
        import dbt.version

        return version.parse(dbt.version.__version__)

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 - dagster-dbt's signature
        return None


def dbt_resource() -> DbtCliResource:
    # ANALYTICS_DBT_IN_PROCESS=0 starts dbt as a subprocess, as dagster-dbt does (to compare, or to isolate).
    return ProjectDbtResource(project_dir=dbt_project, dbt_executable=dbt_executable(),
                              in_process=os.environ.get("ANALYTICS_DBT_IN_PROCESS", "1") != "0")
