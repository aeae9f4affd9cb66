"""The code location as the UI shows it: one lineage from the landing files to the Zen marts,
every asset described, grouped and kinded, every writer in the DuckDB pool."""

from __future__ import annotations

import dagster as dg

from analytics_assets.definitions import defs


def graph():
    return defs.resolve_asset_graph()


def key(path: str) -> dg.AssetKey:
    return dg.AssetKey(path.split("/"))


def test_lineage_reads_from_landing_to_marts():
    g = graph()
    upstream = lambda k: {p.to_user_string() for p in g.get(key(k)).parent_keys}  # noqa: E731
    assert upstream("raw/otlp_spans") == {"landing/otlp"}
    assert "raw/otlp_spans" in upstream("staging/stg_zen_spans")
    assert "raw/otlp_logs" in upstream("staging/stg_claude_code_events")
    assert "raw/otlp_metric_points" in upstream("staging/stg_claude_code_metrics")
    assert "staging/stg_zen_spans" in upstream("marts/fact_instance_usage")
    assert upstream("raw/claude_requests") == {"landing/claude"} and upstream("raw/codex_events") == {"landing/codex"}
    assert "raw/claude_requests" in upstream("staging/stg_claude_requests")
    assert "raw/codex_events" in upstream("staging/stg_codex_turns")
    assert "intermediate/int_agent_requests_priced" in upstream("marts/fct_agent_requests")
    assert "marts/fact_instance_usage" in upstream("marts/fact_cost_daily")
    assert {"staging/stg_zen_span_tools"} <= upstream("marts/fact_tool_usage")


def test_every_asset_is_described_grouped_and_kinded():
    g = graph()
    for node in g.asset_nodes:
        k = node.key.to_user_string()
        assert node.description, k
        assert node.group_name and node.group_name != "default", k
        if not node.is_external:
            assert node.kinds, k
    groups = {n.key.to_user_string(): n.group_name for n in g.asset_nodes}
    assert groups["landing/otlp"] == "landing" and groups["raw/otlp_logs"] == "raw"
    assert groups["staging/stg_zen_spans"] == "staging" and groups["marts/fact_cost_daily"] == "marts_zen"


def test_checks_pandera_blocking_and_dbt_tests():
    g = graph()
    specs = [g.get_check_spec(k) for k in g.asset_check_keys]
    checks = {(c.asset_key.to_user_string(), c.name): c for c in specs}
    for table in ("raw/otlp_spans", "raw/otlp_logs", "raw/otlp_metric_points", "raw/claude_requests", "raw/codex_events"):
        assert checks[(table, "pandera_contract")].blocking
    dbt_checks = {name for (asset, name) in checks if asset == "marts/fact_instance_usage"}
    assert "primary_key_fact_instance_usage_instance_id" in dbt_checks


def test_every_writer_is_in_the_duckdb_pool():
    pools = {}
    for assets_def in defs.assets:
        if isinstance(assets_def, dg.AssetsDefinition):
            for k in assets_def.keys:
                pools[k.to_user_string()] = assets_def.op.pool
    assert pools["raw/otlp_spans"] == "duckdb_writer" and pools["raw/claude_requests"] == "duckdb_writer"
    assert pools["marts/fact_instance_usage"] == "duckdb_writer"
    assert set(pools.values()) == {"duckdb_writer"}  # readers too: they never meet a writer's lock on the file


def test_on_a_lake_each_writer_has_its_own_pool():
    """With ANALYTICS_WAREHOUSE naming a lake (decided when the code location loads: a process of its own here), the
    writers do not share one pool: each ingest its own, dbt one for both of its assets, readers none."""
    import json
    import os
    import subprocess
    import sys

    probe = ("import dagster as dg, json, warnings; warnings.simplefilter('ignore')\n"
             "from analytics_assets.definitions import defs\n"
             "print(json.dumps({k.to_user_string(): a.op.pool for a in defs.assets if isinstance(a, dg.AssetsDefinition) "
             "for k in a.keys}))")
    env = {**os.environ, "ANALYTICS_WAREHOUSE": "ducklake:postgres:dbname=none", "ANALYTICS_LAKE_DATA_PATH": "/nonexistent"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    pools = json.loads(done.stdout.strip().splitlines()[-1])
    assert "duckdb_writer" not in pools.values()
    assert pools["raw/claude_requests"] == "lake_ingest_claude_transcripts" and pools["raw/otlp_spans"] == "lake_ingest_otlp"
    assert pools["marts/fct_agent_requests"] == pools["marts/fct_daily_agent_usage"] == "lake_dbt"
    assert pools["reports/dashboard"] is None and pools["exports/marts"] is None
    assert pools["raw/git_commits"] == "lake_git_commits" and pools["alerts/alerts"] == "lake_alerts"


def test_sensor_and_schedule_are_described_with_documented_defaults():
    sensor = defs.get_sensor_def("landing_sensor")
    schedule = defs.get_schedule_def("otlp_hourly")
    assert sensor.description and schedule.description
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED


def test_github_sources_reach_their_marts_with_partitions_and_schedules():
    g = graph()
    upstream = lambda k: {p.to_user_string() for p in g.get(key(k)).parent_keys}  # noqa: E731
    assert "raw/copilot_usage" in upstream("staging/stg_copilot_usage")
    assert "raw/copilot_user_usage" in upstream("staging/stg_copilot_user_daily")
    assert "raw/copilot_seats" in upstream("staging/stg_copilot_seats")
    assert upstream("raw/git_commits") == {"landing/git_repositories"}
    assert "intermediate/int_commits_with_agent_context" in upstream("marts/fct_git_commits")
    assert "intermediate/int_agent_requests" in upstream("intermediate/int_commits_with_agent_context")
    usage = g.get(key("raw/copilot_usage"))
    assert isinstance(usage.partitions_def, dg.DailyPartitionsDefinition)
    assert usage.backfill_policy == dg.BackfillPolicy.single_run()
    assert g.get(key("raw/copilot_seats")).partitions_def is None
    specs = {(g.get_check_spec(k).asset_key.to_user_string(), g.get_check_spec(k).name): g.get_check_spec(k) for k in g.asset_check_keys}
    for table in ("raw/copilot_usage", "raw/copilot_user_usage", "raw/copilot_seats", "raw/git_commits"):
        assert specs[(table, "pandera_contract")].blocking
    assert defs.get_schedule_def("copilot_reports_daily").default_status == dg.DefaultScheduleStatus.STOPPED
    assert defs.get_sensor_def("git_repositories_sensor").default_status == dg.DefaultSensorStatus.RUNNING
    groups = {n.key.to_user_string(): n.group_name for n in g.asset_nodes}
    assert groups["marts/fct_copilot_usage"] == "marts_github" and groups["marts/fct_git_commits"] == "marts_git"


def test_automation_wiring_partitions_selections_and_defaults():
    g = graph()
    daily = {"marts/fct_daily_agent_usage", "marts/fact_cost_daily", "marts/fct_copilot_usage", "marts/fct_copilot_user_daily"}
    for name in daily:
        node = g.get(key(name))
        assert isinstance(node.partitions_def, dg.DailyPartitionsDefinition) and node.partitions_def.end_offset == 1
        assert node.automation_condition is not None
    unpartitioned = {n.key.to_user_string() for n in g.asset_nodes if n.is_materializable and n.partitions_def is None}
    assert "marts/fct_agent_requests" in unpartitioned and not daily & unpartitioned
    # Every asset runs a partition range as one run: `make run` is one `--partition-range` materialization.
    assert all(n.backfill_policy == dg.BackfillPolicy.single_run() for n in g.asset_nodes if n.is_materializable)
    # The landing sensors' jobs need no partition: the ingest, the dbt models, the dashboard and exports; not the daily marts.
    repo = defs.get_repository_def()
    refresh = {k.to_user_string() for k in repo.get_job("claude_refresh").asset_layer.executable_asset_keys}
    # What the new bytes can change, not the whole project: no model of another source.
    assert {"raw/claude_requests", "marts/fct_agent_requests", "staging/stg_claude_requests"} <= refresh
    assert not {"staging/stg_zen_spans", "staging/stg_codex_turns", "marts/fct_license_utilisation"} & refresh
    assert not refresh & daily and {"reports/dashboard", "exports/marts"} <= refresh
    statuses = {"late_data_sensor": dg.DefaultSensorStatus.RUNNING, "landing_sensor": dg.DefaultSensorStatus.RUNNING,
                "run_failure_sensor": dg.DefaultSensorStatus.RUNNING, "automation_sensor": dg.DefaultSensorStatus.RUNNING}
    for name, status in statuses.items():
        sensor = defs.get_sensor_def(name)
        assert sensor.default_status == status and sensor.description
    for name in ("marts_and_forecast_daily", "retention_weekly"):
        schedule = defs.get_schedule_def(name)
        assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING and schedule.description
    assert defs.get_schedule_def("retention_weekly").cron_schedule == "30 3 * * 0"


def test_the_instance_fails_dead_runs_and_frees_their_writer_slots(tmp_path):
    import shutil

    from analytics_assets.config import PROJECT_ROOT

    shutil.copy(PROJECT_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:  # the project's own instance settings
        assert instance.run_monitoring_enabled and instance.run_monitoring_max_runtime_seconds == 7200
        assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] == 60
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1


def test_the_local_instance_records_every_event_without_an_fsync_each(tmp_path, monkeypatch):
    """The project's dagster.yaml keeps run history in Dagster's SQLite files through LocalEventLogStorage: a run's
    events are all there to read back (the UI and the sensors read them), written with synchronous=OFF."""
    import shutil

    from analytics_assets.config import PROJECT_ROOT
    from analytics_assets.instance_storage import LocalEventLogStorage

    shutil.copy(PROJECT_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))

    @dg.asset(partitions_def=dg.DailyPartitionsDefinition("2026-11-01", end_date="2026-11-08"))
    def daily(context):
        return dg.MaterializeResult(metadata={"day": context.partition_key})

    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert isinstance(instance.event_log_storage, LocalEventLogStorage)
        assert (tmp_path / "history" / "runs").is_dir()  # Dagster's own place for the files
        for day in ("2026-11-02", "2026-11-03"):
            assert dg.materialize([daily], instance=instance, partition_key=day).success
        records = instance.fetch_materializations(daily.key, limit=10).records
        assert sorted(r.partition_key for r in records) == ["2026-11-02", "2026-11-03"]
        assert [r.asset_materialization.metadata["day"].value for r in records] == [r.partition_key for r in records]
        [run, _] = instance.get_runs()
        with instance.event_log_storage._connect(run.run_id) as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 0
