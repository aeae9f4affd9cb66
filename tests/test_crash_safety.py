"""A run killed with SIGKILL in the middle of ingestion, then run again, gives exactly the marts
of an uninterrupted run: rows and cursors commit together, so nothing is lost or counted twice. The
dead run's writer slot does not block the next run: the next entry point frees it."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
from polars.testing import assert_frame_equal

from analytics_assets.config import PROJECT_ROOT
from analytics_assets.demo import generate
from analytics_assets.otlp.assets import OTLP
from analytics_assets.definitions import defs
from analytics_assets.transform.dbt_assets import dbt_daily_marts, dbt_models

from .conftest import DEMO_END, days_tags

MARTS = ("fact_instance_usage", "fact_tool_usage", "fact_cost_daily", "fct_agent_requests", "fct_daily_agent_usage")
# Small batches: many transactions, so a kill lands between commits and inside one.
RUN_CONFIG = {"ops": {"ingest_otlp": {"config": {"batch_bytes": 1 << 20}}}}
# Runs execute in one process (the in-process executor), so the fault point kills the process holding the file.
POOL = "duckdb_writer"
DAYS = days_tags(DEMO_END - dt.timedelta(days=13))  # the generated 14 days


def _marts(db: Path) -> dict[str, pl.DataFrame]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {m: con.execute(f"SELECT * FROM marts.{m}").pl().sort(pl.all()) for m in MARTS}
    finally:
        con.close()


def _assert_same_marts(got: dict, expected: dict) -> None:
    # Equal row for row; sums of doubles may differ in the last bits (summation order), nothing more.
    for mart in MARTS:
        assert_frame_equal(got[mart], expected[mart], check_exact=False, rel_tol=1e-9, abs_tol=1e-12)


def _materialize(instance) -> None:
    result = dg.materialize([*defs.assets, *defs.asset_checks], instance=instance, run_config=RUN_CONFIG, resources=defs.resources,
                            selection=dg.AssetSelection.assets(OTLP["asset"], dbt_models, dbt_daily_marts), tags=DAYS)
    assert result.success


def test_sigkill_mid_ingestion_then_rerun_equals_an_uninterrupted_run(project_env, tmp_path, monkeypatch):
    source = tmp_path / "generated"
    generate(source, days_count=14, developer_count=8, seed=21, scale=8.0, end=DEMO_END, sources=("zen", "claude_code_otel"))
    shutil.copytree(source / "otlp", project_env["landing"] / "otlp", dirs_exist_ok=True)

    # The reference: an uninterrupted run into its own warehouse.
    reference = tmp_path / "reference.duckdb"
    monkeypatch.setenv("ANALYTICS_DUCKDB_PATH", str(reference))
    (tmp_path / "ref_home").mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", tmp_path / "ref_home" / "dagster.yaml")
    with dg.instance_for_test(temp_dir=str(tmp_path / "ref_home")) as instance:
        _materialize(instance)
    expected = _marts(reference)

    # The faulty run: a real `dagster asset materialize` process that SIGKILLs itself (a named fault point,
    # analytics_assets/faults.py) with the third batch's rows inserted and its transaction not yet committed:
    # two batches are committed, the third is lost with the process, every run.
    monkeypatch.setenv("ANALYTICS_DUCKDB_PATH", str(project_env["duckdb"]))
    dagster = str(Path(sys.executable).parent / "dagster")
    proc = subprocess.run([dagster, "asset", "materialize", "-m", "analytics_assets.definitions", "--select",
                           "raw/otlp_spans,raw/otlp_logs,raw/otlp_metric_points", "--config-json", json.dumps(RUN_CONFIG)],
                          cwd=PROJECT_ROOT, env={**os.environ, "ANALYTICS_FAULT": "ingest.before_commit:3"},
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, timeout=600)
    assert proc.returncode == -signal.SIGKILL
    partial = _raw_rows(project_env["duckdb"])
    total = _raw_rows(reference)
    print(f"\nkilled mid-ingestion with {partial:,} of {total:,} raw OTLP rows committed")
    assert 0 < partial < total, "two batches committed, the rest not"

    # The dead run still holds the pool's one writer slot, and no daemon runs to free it. A new CLI run on the
    # same instance starts anyway: loading the code location marks the dead run failed and frees its slot.
    instance = dg.DagsterInstance.get()
    storage = instance.event_log_storage
    [killed] = instance.get_runs()
    assert killed.status == dg.DagsterRunStatus.STARTED and storage.get_concurrency_info(POOL).claimed_slots
    rerun = subprocess.run([dagster, "asset", "materialize", "-m", "analytics_assets.definitions", "--select",
                            "raw/otlp_spans,raw/otlp_logs,raw/otlp_metric_points", "--config-json", json.dumps(RUN_CONFIG)],
                           cwd=PROJECT_ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "blocked by limit for pool" not in rerun.stderr
    assert instance.get_run_by_id(killed.run_id).status == dg.DagsterRunStatus.FAILURE
    failure = instance.get_records_for_run(killed.run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
    assert "is gone" in failure[0].event_log_entry.dagster_event.message
    assert _raw_rows(project_env["duckdb"]) == total

    # The rest of the graph, on the same instance: the marts equal the uninterrupted run's.
    _materialize(instance)
    assert not storage.get_concurrency_info(POOL).claimed_slots
    _assert_same_marts(_marts(project_env["duckdb"]), expected)
    assert _raw_rows(project_env["duckdb"]) == total


def _raw_rows(db: Path) -> int:
    """Rows in the three raw OTLP tables (0 for tables not created yet)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        present = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw' "
                                             "AND table_name IN ('otlp_spans', 'otlp_logs', 'otlp_metric_points')").fetchall()]
        return sum(con.execute(f"SELECT count(*) FROM raw.{t}").fetchone()[0] for t in present)
    finally:
        con.close()
