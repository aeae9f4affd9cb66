"""Runs started from a process that has already imported the code location: a local fork server.

Dagster's default launcher asks the code server to start each run in a new process (`spawn`) that imports
dagster, dbt, polars and this code location again before it does anything: ~5 s of wall and of CPU in each
landing_refresh on the 2-core machine, a third of what a refresh costs. This launcher keeps one worker
server: a process that imported `analytics_assets.definitions` once and forks a child per run; the child
executes the run as `dagster api execute_run` does (same events, same run worker, same interrupts).

- A change to the code or to the dbt manifest starts a new server for the next run: no run executes code
  older than the files on disk (the check is a stat of the package's files, ~5 ms a launch).
- A server that cannot start (an import error) sends the run to Dagster's own launcher, which reports the
  code location's error as usual; runs of other code locations always go there. A server that ends after
  accepting a run fails that launch: it may have forked the run, which must not start twice.
- The server forks while idle, from its main thread: no lock of polars, DuckDB or jemalloc is held then
  (jemalloc and CPython reinitialise theirs in the child); the children open their own DuckDB connections.
  The server warms dbt with one parse before it forks (below), without dbt's static parser: a child forked
  after that native parser (dbt_extractor) has run hangs in it on its first parse.
- Local instance only (dagster.yaml). The server deployment keeps the code server's launcher
  (deploy/dagster.yaml), where the code server may live in another container than the daemon.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

from dagster import DefaultRunLauncher
from dagster._core.errors import DagsterLaunchFailedError
from dagster._core.launcher.base import LaunchRunContext

from .config import DBT_PROJECT_DIR

MODULE = "analytics_assets.definitions"
WORKER_TAG = "analytics/run_worker_pid"
# Set in the worker server: the code location's import-time cleanup (stale_runs) is the code server's job.
SERVER_ENV = "ANALYTICS_RUN_WORKER_SERVER"


def code_fingerprint() -> tuple:
    """What the worker server's imported code depends on: every file of the package and the dbt manifest
    (their paths, sizes and modification times)."""
    files = [*Path(__file__).parent.rglob("*.py"), DBT_PROJECT_DIR / "target" / "manifest.json"]
    return tuple(sorted((str(p), s.st_size, s.st_mtime_ns) for p in files if (s := _stat(p))))


def _stat(path: Path):
    try:
        return path.stat()
    except OSError:
        return None


def _ours(run) -> bool:
    origin = run.job_code_origin
    pointer = origin.repository_origin.code_pointer if origin else None
    return getattr(pointer, "module", None) == MODULE


class _WorkerServer:
    """The one worker server of this process (the daemon's): started on the first run, or as the daemon starts."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.process: subprocess.Popen | None = None
        self._fingerprint: tuple | None = None

    def fork(self, run_id: str, instance_ref: str) -> int | None:
        request = json.dumps({"run_id": run_id, "instance_ref": instance_ref}) + "\n"
        with self.lock:
            for _ in range(2):
                server = self.current()
                if server is None:
                    return None
                try:
                    server.stdin.write(request)
                    server.stdin.flush()
                    break
                except OSError:  # it had died since the last run, before reading anything: a new one is asked
                    self.stop()
            else:
                return None
            answer = server.stdout.readline()
            if not answer:
                # It may have forked the run before it ended: asking again (or Dagster's launcher) could start
                # the run twice. It fails to launch instead; the next refresh reads its bytes (the cursors are
                # the warehouse's).
                self.stop()
                raise DagsterLaunchFailedError("the run worker server (analytics_assets/run_worker.py) ended while "
                                               "starting the run; its error is in the daemon's output")
            return int(json.loads(answer)["pid"])

    def current(self) -> subprocess.Popen | None:
        """The running server for the code on disk (call with the lock held); None when one cannot start."""
        fingerprint = code_fingerprint()
        if self.process is not None and (self.process.poll() is not None or fingerprint != self._fingerprint):
            self.stop()
        if self.process is None:
            server = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      text=True, env={**os.environ, SERVER_ENV: "1"})
            if server.stdout.readline().strip() != "ready":
                server.kill()
                server.wait()
                return None
            self.process, self._fingerprint = server, fingerprint
        return self.process

    def stop(self) -> None:
        if self.process is not None:
            try:
                self.process.stdin.close()  # it exits at the end of its input; its children run on
            except OSError:
                pass  # it had ended already
            self.process.wait()
            self.process = None


SERVER = _WorkerServer()


def prewarm_in_daemon(instance) -> None:
    """Start the worker server as the daemon starts, in the background, when this instance launches runs with
    `PreloadedRunLauncher`: the daemon builds its run launcher only for the first run it dequeues, which then
    waited ~7 s for the server (the first minute of a soak: 20-23 s instead of ~14 s). Called from the
    instance's event-log storage, the one part of the instance the daemon builds as it starts."""
    if not _in_daemon():
        return

    def start() -> None:
        # The storage is registered while the instance is being built: its settings are read once it is.
        deadline = time.monotonic() + 30
        while not hasattr(instance, "_ref") and time.monotonic() < deadline:
            time.sleep(0.05)
        ref = getattr(instance, "_ref", None)
        launcher = getattr(ref, "run_launcher_data", None)
        if launcher is not None and launcher.class_name == PreloadedRunLauncher.__name__:
            with SERVER.lock:
                SERVER.current()

    threading.Thread(target=start, name="run-worker-prewarm", daemon=True).start()


def _in_daemon() -> bool:
    """Whether this process is Dagster's daemon (`dagster dev` starts it as `python -m dagster._daemon`)."""
    first = sys.argv[0] if sys.argv else ""
    return Path(first).name == "dagster-daemon" or first.replace(os.sep, "/").endswith("dagster/_daemon/__main__.py")


class PreloadedRunLauncher(DefaultRunLauncher):
    """Dagster's default launcher, except that this code location's runs are forked from the worker server."""

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data)

    def launch_run(self, context: LaunchRunContext) -> None:
        run = context.dagster_run
        if not _ours(run):
            return super().launch_run(context)
        from dagster._serdes import serialize_value

        pid = SERVER.fork(run.run_id, serialize_value(self._instance.get_ref()))
        if pid is None:  # the server could not start (an import error, say): Dagster's path reports it
            return super().launch_run(context)
        self._instance.add_run_tags(run.run_id, {WORKER_TAG: str(pid)})
        self._run_ids.add(run.run_id)

    def terminate(self, run_id: str) -> bool:
        run = self._instance.get_run_by_id(run_id) if self.has_instance else None
        if run is None or run.is_finished or WORKER_TAG not in run.tags:
            return super().terminate(run_id)
        self._instance.report_run_canceling(run)
        try:
            # What the code server's cancellation does in its run process: an interrupt, which the run
            # worker turns into a clean end of the step and a canceled run.
            os.kill(int(run.tags[WORKER_TAG]), signal.SIGINT)
        except ProcessLookupError:
            return False
        return True

    def dispose(self) -> None:
        with SERVER.lock:
            SERVER.stop()
        super().dispose()


def serve() -> None:
    """The worker server: import the code location once, then fork a run worker per request line."""
    import analytics_assets.definitions  # noqa: F401 - the point: what every run would import
    from dagster._cli.api import _execute_run_command_body  # noqa: F401 - imported before any fork

    _warm_dbt()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the children are reaped by the kernel
    # Ctrl-C in `dagster dev` reaches the whole group: the runs are interrupted (as the code server's would
    # be), the server ends with the daemon (the end of its input).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # what the code prints goes where the daemon's output goes, not into the answers
    answers.write("ready\n")
    answers.flush()
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            answers.close()
            _run_worker(request)
        answers.write(json.dumps({"pid": pid}) + "\n")
        answers.flush()


def _warm_dbt() -> None:
    """dbt's first command in a process costs ~2 CPU-s more than the next ones (its classes' serialisers are
    generated, its project and macros loaded). One `dbt parse` here, from a copy of the warehouse's parse
    state into a scratch folder (the warehouse and its dbt folder are not touched), pays part of that once for
    every run forked after it: a refresh's first `dbt build` in a process 6.97 CPU-s, after the parse 5.64,
    a second build 4.65; and the parsed project is kept for the runs' commands (`parsed_project`), which then
    do not parse at all while the project, its vars and the warehouse's name are the same. `--no-static-parser`: the static parser is native code that hangs in a child forked
    after it has run in the parent (the run parses with it as usual). Best effort: a failure here is the run's
    to report."""
    import tempfile

    from .resources import WarehouseResource
    from .transform.dbt_state import dbt_vars, target_folder
    from .transform.dbt_in_process import InProcessDbt

    saved = dict(os.environ)
    try:
        with tempfile.TemporaryDirectory(prefix="dbt-warm-") as scratch:
            warehouse = WarehouseResource()
            warehouse.export_env()
            state = target_folder(str(warehouse.path)) / "partial_parse.msgpack"
            if state.exists():
                shutil.copy(state, scratch)
            # As the runs' dbt commands run, which then start from the project it parses (kept: parsed_project).
            InProcessDbt(["dbt", "parse", "--no-static-parser", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir",
                          str(DBT_PROJECT_DIR), "--target-path", scratch, "--vars", json.dumps(dbt_vars())], env={}).wait()
    except Exception as exc:  # noqa: BLE001 - see above
        print(f"run worker server: dbt warm-up skipped: {exc!r}", file=sys.stderr)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _run_worker(request: dict) -> None:
    """The forked child: executes the run as `dagster api execute_run` does, then exits."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the run waits for its own subprocesses
        signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C in `dagster dev` interrupts the run
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        from dagster import DagsterInstance
        from dagster._cli.api import _execute_run_command_body
        from dagster._core.instance.ref import InstanceRef
        from dagster._serdes import deserialize_value
        from dagster._utils.interrupts import capture_interrupts

        with capture_interrupts(), DagsterInstance.from_ref(deserialize_value(request["instance_ref"], InstanceRef)) as instance:
            code = _execute_run_command_body(request["run_id"], instance, lambda _event: None, set_exit_code_on_failure=True)
    except BaseException:  # noqa: BLE001 - the run's own failure is in its event log; this is the worker's
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    serve()
