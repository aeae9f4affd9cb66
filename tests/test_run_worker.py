"""The local instance's run launcher (dagster.yaml: analytics_assets/run_worker.py): runs forked from a worker
server that imported the code location once. Real runs of `claude_refresh` launched through the instance's
launcher, as the daemon launches the landing sensor's runs: each ends with the appended request on the
dashboard; the second run comes from the same server (no new import); a newer dbt manifest replaces the
server (the next run is forked from code as new as the files)."""

from __future__ import annotations

import os
import shutil
import time

import dagster as dg
from dagster._core.definitions.reconstruct import ReconstructableRepository
from dagster._core.launcher.base import LaunchRunContext

from analytics_assets.dashboard.page import embedded_data
from analytics_assets.run_worker import SERVER, WORKER_TAG, PreloadedRunLauncher
from analytics_assets.transform.dbt_assets import dbt_project

from .appended import append_request

JOB = "claude_refresh"


def _claude_requests(page) -> int:
    data = embedded_data(page.read_text())
    rows = [dict(zip(data["spend"]["columns"], r)) for r in data["spend"]["rows"]]
    return sum(r["requests"] for r in rows if r["agent"] == "claude_code")


def _launch_and_wait(instance: dg.DagsterInstance) -> dg.DagsterRun:
    recon = ReconstructableRepository.for_module("analytics_assets.definitions", "defs").get_reconstructable_job(JOB)
    run = instance.create_run_for_job(job_def=recon.get_definition(), job_code_origin=recon.get_python_origin())
    instance.run_launcher.launch_run(LaunchRunContext(dagster_run=run, workspace=None))
    deadline = time.monotonic() + 600  # a bound on a hung run, not the outcome
    while not (run := instance.get_run_by_id(run.run_id)).is_finished and time.monotonic() < deadline:
        time.sleep(0.2)
    return run


def test_runs_forked_from_the_worker_server(project_env, demo_landing):
    landing, _ = demo_landing
    source = sorted((landing / "claude").rglob("*.jsonl"))[0]  # one transcript: the runs, not the data, are tested
    transcript = project_env["landing"] / "claude" / source.relative_to(landing / "claude")
    transcript.parent.mkdir(parents=True)
    shutil.copy(source, transcript)
    page = project_env["output"] / "reports" / "dashboard.html"
    manifest = dbt_project.manifest_path
    stat = manifest.stat()
    with dg.DagsterInstance.get() as instance:
        launcher = instance.run_launcher
        assert isinstance(launcher, PreloadedRunLauncher)
        try:
            first = _launch_and_wait(instance)  # a fresh warehouse: the refresh builds what it reads
            assert first.status == dg.DagsterRunStatus.SUCCESS
            server = SERVER.process.pid
            before = _claude_requests(page)

            append_request(transcript, "forked_1")
            second = _launch_and_wait(instance)
            assert second.status == dg.DagsterRunStatus.SUCCESS
            assert _claude_requests(page) == before + 1
            assert SERVER.process.pid == server  # forked from the warm server: no new import

            # The process that executed the run is the forked child the launcher tagged, not the server.
            worker = int(second.tags[WORKER_TAG])
            assert worker not in (server, os.getpid())
            assert any(f"Started process for run (pid: {worker})" in (e.message or "") for e in instance.all_logs(second.run_id))

            # A newer manifest (a changed dbt project): the server is replaced before the next run forks.
            os.utime(manifest, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
            with SERVER.lock:
                assert SERVER.current().pid != server
        finally:
            os.utime(manifest, ns=(stat.st_atime_ns, stat.st_mtime_ns))
