"""Runs whose process is gone: marked failed, their `duckdb_writer` slots freed.

A run killed with SIGKILL (a killed `dagster dev`, the OOM killer, a power cut) stays STARTED and
keeps its pool slot; with no daemon running (the CLI, `make run`) nothing ever frees it and every
later writer waits forever ("Step blocked by limit for pool duckdb_writer"). Every entry point
loads the code location, which calls `release_dead_runs` first. A run is dead when the process
that started it (the pid of its RUN_START event) no longer exists, or a newer process has taken
its pid. Only for the local instance (SQLite storage: one machine, where pids mean something);
a server instance relies on the daemon's run monitoring.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

LOG = logging.getLogger(__name__)
# A process that started later than its run's RUN_START (plus clock-tick rounding) is another process.
START_SLACK_SECONDS = 2.0


def _boot_time() -> float | None:
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        return None
    return None


def _started_at(pid: int) -> float | None:
    """When process `pid` started (seconds since the epoch), where /proc tells; None elsewhere."""
    boot = _boot_time()
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    if boot is None:
        return None
    ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22, after the command name in parentheses
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def process_alive(pid: int, run_started: float) -> bool:
    """Whether the process `pid` that started a run at `run_started` still runs."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process with that pid: alive, not ours to judge
    started = _started_at(pid)
    return started is None or started <= run_started + START_SLACK_SECONDS


def release_dead_runs(instance) -> list[str]:
    """Mark the local instance's dead runs failed and free their pool slots; returns their ids."""
    from dagster import DagsterEventType, DagsterRunStatus, RunsFilter
    from dagster._core.storage.runs import SqliteRunStorage

    if not isinstance(instance.run_storage, SqliteRunStorage):
        return []
    released = []
    for run in instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING])):
        records = instance.get_records_for_run(run.run_id, of_type=DagsterEventType.RUN_START, limit=1).records
        if not records or records[0].event_log_entry.dagster_event is None:
            continue
        entry = records[0].event_log_entry
        pid = entry.dagster_event.pid
        if pid is None or process_alive(pid, entry.timestamp):
            continue
        message = (f"Marked failed by Agent Analytics: the process that ran this run (pid {pid}) is gone (killed, out of memory "
                   "or a power cut); its duckdb_writer slots are freed so later runs can start. Ingest is idempotent: "
                   "the next run redoes what it left.")
        instance.report_run_failed(run, message=message)
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        LOG.warning("run %s: %s", run.run_id, message)
        released.append(run.run_id)
    return released


def release_dead_runs_of_this_instance() -> list[str]:
    """At code-location load: the instance DAGSTER_HOME names, if any. Never stops the load."""
    if not os.environ.get("DAGSTER_HOME") or os.environ.get("ANALYTICS_RUN_WORKER_SERVER"):
        return []  # the run worker server (run_worker.py) imports the code only to fork runs from it
    try:
        from dagster import DagsterInstance

        return release_dead_runs(DagsterInstance.get())
    except Exception as exc:  # noqa: BLE001 - a cleanup that fails must not keep the code location from loading
        LOG.warning("could not check for dead runs: %s", exc)
        return []
