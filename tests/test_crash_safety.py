"""A run killed with SIGKILL in the middle of ingestion, then run again, gives exactly the marts
of an uninterrupted run: rows and cursors commit together, so nothing is lost or counted twice."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
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
# The killed run executes in one process (the writer itself), so SIGKILL hits the process holding the file.
CLI_CONFIG = {**RUN_CONFIG, "execution": {"config": {"in_process": {}}}}
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

    # The faulty run: a real `dagster asset materialize` process, killed once ingestion is writing.
    monkeypatch.setenv("ANALYTICS_DUCKDB_PATH", str(project_env["duckdb"]))
    dagster = str(Path(sys.executable).parent / "dagster")
    proc = subprocess.Popen([dagster, "asset", "materialize", "-m", "analytics_assets.definitions", "--select",
                             "raw/otlp_spans,raw/otlp_logs,raw/otlp_metric_points", "--config-json", json.dumps(CLI_CONFIG)],
                            cwd=PROJECT_ROOT, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    wal = Path(str(project_env["duckdb"]) + ".wal")
    deadline = time.time() + 120
    while time.time() < deadline and not (wal.exists() and wal.stat().st_size > 0):
        time.sleep(0.02)
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    partial = _raw_rows(project_env["duckdb"])
    total = _raw_rows(reference)
    print(f"\nkilled mid-ingestion with {partial:,} of {total:,} raw OTLP rows committed")
    assert partial < total, "the kill should land while ingestion is writing"

    # Run again: the marts equal the uninterrupted run's. (A fresh Dagster instance: the killed run still holds its
    # pool slot in the old one until the daemon's run monitoring marks it failed; the warehouse is what is tested here.)
    (tmp_path / "rerun_home").mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", tmp_path / "rerun_home" / "dagster.yaml")
    with dg.instance_for_test(temp_dir=str(tmp_path / "rerun_home")) as instance:
        _materialize(instance)
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
