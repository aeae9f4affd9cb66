"""The server as deploy/ runs it: Dagster's instance (deploy/dagster.yaml: run, event-log and schedule storage) in a
real PostgreSQL (its own cluster, made by the test), the code location served by `dagster code-server start`, runs
queued by the CLI and started by `dagster-daemon` (its sensors started stopped: ANALYTICS_SENSORS=off), the warehouse
a DuckLake lake whose catalog is in the same PostgreSQL. (Writers queueing on the DuckDB file's pool: test_writer_pool.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from analytics_assets.config import PROJECT_ROOT

from . import postgres

pytestmark = pytest.mark.skipif(not postgres.available(), reason="PostgreSQL is not installed (make install installs Debian's package)")
BIN = Path(sys.executable).parent
TERMINAL = (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)


def _wait_until_serving(port: int, process: subprocess.Popen) -> None:
    """Until the code server answers its health check (it imports the code location first); bounded for a hang."""
    deadline = time.monotonic() + 300
    while subprocess.run([str(BIN / "dagster"), "api", "grpc-health-check", "-h", "127.0.0.1", "-p", str(port)],
                         capture_output=True, check=False).returncode:
        assert process.poll() is None and time.monotonic() < deadline, "the code server did not start"
        time.sleep(0.5)


# Four ingests and a dbt build, each its own run (an op of a refresh job: `dagster job launch -o`).
AT_ONCE = [("otlp_refresh", "ingest_otlp"), ("claude_refresh", "ingest_claude_transcripts"),
           ("codex_refresh", "ingest_codex_sessions"), ("git_refresh", "raw__git_commits"), ("claude_refresh", "dbt_models")]
SERIAL = ("import dagster as dg, warnings; warnings.simplefilter('ignore')\n"
          "from analytics_assets.definitions import defs\n"
          "with dg.instance_for_test() as instance:\n"
          f"    for job, op in {AT_ONCE!r}:\n"
          "        assert defs.get_job_def(job).execute_in_process(instance=instance, resources=defs.resources, op_selection=[op]).success\n")


def test_four_ingests_and_a_dbt_build_at_once_on_a_lake(project_env, demo_landing, monkeypatch):
    """On a lake each writer has its own pool: the four ingests and the dbt build, submitted at once, run at once
    through the daemon (fresh lake: they also race to create the shared tables), all succeed with no lock error, and
    after a last dbt build the lake holds what the same runs give one after another on the DuckDB file."""
    from analytics_assets import lake

    landing, _ = demo_landing
    for source in ("otlp", "claude", "codex"):
        shutil.copytree(landing / source, project_env["landing"] / source, dirs_exist_ok=True)
    shutil.copy(PROJECT_ROOT / "deploy" / "dagster.yaml", project_env["dagster_home"] / "dagster.yaml")
    monkeypatch.setenv("ANALYTICS_CONFIG", str(landing / "analytics.demo.yaml"))  # its git repos: the demo's
    monkeypatch.setenv("ANALYTICS_SENSORS", "off")
    # The same runs one after another on the DuckDB file, meanwhile (a process of its own).
    serial = subprocess.Popen([sys.executable, "-c", SERIAL], cwd=PROJECT_ROOT, env=dict(os.environ), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    server = postgres.Postgres().start()
    processes, lake_done = [], False
    try:
        server.create_database("dagster")
        monkeypatch.setenv("DAGSTER_PG_URL", f"postgresql+psycopg2://postgres@127.0.0.1:{server.port}/dagster")
        monkeypatch.setenv("ANALYTICS_WAREHOUSE", "ducklake:postgres:" + server.create_database("lake"))
        monkeypatch.setenv("ANALYTICS_LAKE_DATA_PATH", str(project_env["duckdb"].parent / "lake-data"))
        monkeypatch.setenv("ANALYTICS_DUCKDB_PATH", str(project_env["duckdb"].parent / "lake-side" / "warehouse.duckdb"))
        env = dict(os.environ)
        with dg.DagsterInstance.get() as instance:
            port = postgres.free_port()
            processes.append(subprocess.Popen([str(BIN / "dagster"), "code-server", "start", "-h", "127.0.0.1", "-p", str(port),
                                               "-m", "analytics_assets.definitions", "--location-name", "analytics_assets"],
                                              cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            _wait_until_serving(port, processes[0])
            grpc = ["--grpc-host", "127.0.0.1", "--grpc-port", str(port)]
            processes.append(subprocess.Popen([str(BIN / "dagster-daemon"), "run", *grpc], cwd=PROJECT_ROOT, env=env,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            _launch(instance, env, grpc, AT_ONCE)
            runs = instance.get_runs()
            logs = [e for r in runs for e in instance.all_logs(r.run_id)]
            assert [r.status for r in runs] == [dg.DagsterRunStatus.SUCCESS] * 5, [
                (r.job_name, r.status, [e.dagster_event.event_specific_data.error.message[:3000]
                                        for e in instance.all_logs(r.run_id) if e.is_dagster_event and e.dagster_event.is_step_failure])
                for r in runs if r.status != dg.DagsterRunStatus.SUCCESS]
            assert not [e for e in logs if e.is_dagster_event and e.dagster_event.is_failure]
            assert not [e for e in logs if "lock" in (e.message or "").lower()]
            assert not [e for e in logs if "blocked by limit for pool" in (e.message or "")]  # none waited on another
            _launch(instance, env, grpc, AT_ONCE[-1:])  # the dbt build once more, after every ingest
        with lake.connect(read_only=True) as con:
            in_lake = _figures(con)
        lake_done = True
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=60)
        server.stop()
        if not lake_done:  # the lake side failed: the file side is not waited for
            serial.kill()
    _, err = serial.communicate(timeout=900)
    assert serial.returncode == 0, err[-3000:]
    with duckdb.connect(str(project_env["duckdb"]), read_only=True) as con:
        in_file = _figures(con)
    assert in_lake == in_file and in_file["raw.claude_requests"][0] > 0 and in_file["marts.fct_agent_requests"][0] > 0


def _launch(instance: dg.DagsterInstance, env: dict, grpc: list[str], runs: list[tuple[str, str]]) -> None:
    """Submit the runs at once (queued; the daemon starts them) and wait until every run of the instance has ended."""
    launches = [subprocess.Popen([str(BIN / "dagster"), "job", "launch", *grpc, "-j", job, "-o", op], cwd=PROJECT_ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for job, op in runs]
    for launch in launches:
        _, err = launch.communicate(timeout=300)
        assert launch.returncode == 0, err[-2000:]
    deadline = time.monotonic() + 900  # a bound on a hang, not what decides the outcome
    while not all(r.status in TERMINAL for r in instance.get_runs()):
        assert time.monotonic() < deadline, [(r.job_name, r.status) for r in instance.get_runs()]
        time.sleep(1)


def _figures(con) -> dict:
    """Rows and token sums of the raw tables the four ingests write and of the marts the dbt build makes."""
    out = {}
    for table in ("raw.otlp_spans", "raw.otlp_logs", "raw.claude_requests", "raw.codex_events", "raw.git_commits",
                  "marts.fct_agent_requests", "marts.fct_agent_sessions", "marts.fct_git_commits"):
        columns = [c for (c,) in con.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND "
                                            "table_name = ? AND table_catalog = current_database() AND column_name LIKE '%tokens%' "
                                            "AND data_type IN ('BIGINT', 'INTEGER', 'HUGEINT') ORDER BY 1", table.split(".")).fetchall()]
        sums = "".join(f', sum("{c}")' for c in columns)
        out[table] = tuple(con.execute(f"SELECT count(*){sums} FROM {table}").fetchone())
    return out
