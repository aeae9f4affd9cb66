"""One warehouse, one writer: two `dagster asset materialize` processes started together on the
same instance both succeed; the second waits on the `duckdb_writer` pool instead of failing on
DuckDB's file lock."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb

from analytics_assets.config import PROJECT_ROOT

SELECT = "raw/otlp_spans,raw/otlp_logs,raw/otlp_metric_points"
POOL = "duckdb_writer"


def test_two_concurrent_writer_runs_queue_on_the_pool(project_env, demo_landing):
    landing, manifest = demo_landing
    shutil.copytree(landing / "otlp", project_env["landing"] / "otlp", dirs_exist_ok=True)
    dagster = str(Path(sys.executable).parent / "dagster")
    env = dict(os.environ)
    # Hold the pool's only slot while both runs start, so they meet at the pool whatever the
    # timing; once it is freed they take turns (one runs, the other stays blocked until it ends).
    instance = dg.DagsterInstance.get()
    storage = instance.event_log_storage
    storage.initialize_concurrency_limit_to_default(POOL)
    assert storage.get_concurrency_info(POOL).slot_count == 1
    claim = storage.claim_concurrency_slot(POOL, "test-holder", "hold")
    assert claim.is_claimed
    procs = [
        subprocess.Popen(
            [dagster, "asset", "materialize", "-m", "analytics_assets.definitions", "--select", SELECT],
            cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for _ in range(2)
    ]
    deadline = time.time() + 300
    while time.time() < deadline and len(storage.get_concurrency_info(POOL).pending_run_ids) < 2:
        time.sleep(0.5)
    assert len(storage.get_concurrency_info(POOL).pending_run_ids) == 2, "both runs should wait on the pool"
    storage.free_concurrency_slot_for_step("test-holder", "hold")
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], "\n\n".join(o[-3000:] for o in outputs)
    assert not any("Could not set lock" in o for o in outputs)
    assert any("blocked by limit for pool duckdb_writer" in o for o in outputs)
    con = duckdb.connect(str(project_env["duckdb"]), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM raw.otlp_spans").fetchone()[0] == manifest["sources"]["zen"]["spans"]
    finally:
        con.close()
