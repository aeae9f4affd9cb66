"""dbt run inside the step's own process, behind the interface of the subprocess dagster-dbt starts.

A `dbt build` subprocess spends ~7 s on this 2-core machine before it builds anything: importing dbt
(~4.5 s) and loading the project, which the run's process has already paid for (dagster-dbt imports dbt;
the code location loads the manifest). dbt's programmatic runner (`dbtRunner`, documented by dbt for
exactly this) runs the same command in-process; its events reach dagster-dbt as the JSON lines the
subprocess would have printed, so dagster-dbt's own event handling (materializations, asset checks,
errors) is unchanged. One dbt command at a time per process: the writers share one pool of limit 1 and
the run's steps run one after another (the in-process executor).
"""

from __future__ import annotations

import gc
import os
import queue
import threading
from typing import Iterator, Mapping, Sequence

from . import parsed_project

_END = object()


class _Lines:
    """The stdout of the 'process': JSON lines (bytes) as dbt fires its events, ended when dbt returns."""

    def __init__(self) -> None:
        self._queue: queue.Queue = queue.Queue()
        self.closed = False

    def put(self, line) -> None:
        self._queue.put(line)

    def __iter__(self) -> Iterator[bytes]:
        while (line := self._queue.get()) is not _END:
            yield line

    def __enter__(self) -> "_Lines":
        return self

    def __exit__(self, *exc) -> None:
        self.closed = True


class InProcessDbt:
    """What dagster-dbt uses of `subprocess.Popen` (`args`, `stdout`, `wait`, `returncode`,
    `send_signal`), running `dbtRunner().invoke(args[1:])` on a thread with `env` applied to the
    process environment for the command's duration (dbt reads its flags from it, as the subprocess did)."""

    def __init__(self, args: Sequence[str], env: Mapping[str, str], cwd=None, **_ignored) -> None:
        self.args = list(args)
        self.stdout = _Lines()
        self.returncode: int | None = None
        # dagster-dbt reads the events from this object; dbt's console (which the subprocess printed them
        # to, as JSON) stays quiet.
        # dbt's manifest.json (4 MB, written by the parse and again at the end of the build, ~0.2 s each on the 2-core
        # machine, before the step can end) is never read: the run holds the parsed project, and the code's manifest is
        # dbt/target's. run_results.json, which people open, is written below from the command's result.
        env = {**env, "DBT_LOG_LEVEL": "none", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",  # and dbt_project.yml's flags
               "DBT_WRITE_JSON": "false"}
        self._changed = {k: v for k, v in env.items() if os.environ.get(k) != v}
        self._saved = {k: os.environ.get(k) for k in self._changed}
        os.environ.update(self._changed)
        self._cwd = cwd
        self._thread = threading.Thread(target=self._invoke, name="dbt", daemon=True)
        self._thread.start()

    def _invoke(self) -> None:
        from dbt.cli.main import dbtRunner
        from dbt_common.events.functions import env_secrets, msg_to_json, scrub_secrets

        def forward(msg) -> None:
            # The subprocess printed info and above (dbt's default log level); debug events stay out.
            if msg.info.level != "debug":
                self.stdout.put(scrub_secrets(msg_to_json(msg), env_secrets()).encode())

        code = 2
        gc.freeze()  # what exists before the command is not what the collection after it looks for (_release_warehouse)
        try:
            result = dbtRunner(manifest=_parsed(self.args[1:], forward), callbacks=[forward]).invoke(self.args[1:])
            _write_run_results(result.result)
            if (command := parsed_project.command_of(self.args[1:])) and command[1] == "parse" and result.success:
                parsed_project.keep(parsed_project.key(self.args[1:]), result.result)
            code = 0 if result.success else (2 if result.exception is not None else 1)
            if result.exception is not None:
                self.stdout.put(f"dbt failed: {result.exception}".encode())
        except BaseException as exc:  # noqa: BLE001 - reported as the command's failure, as a crash of the subprocess would be
            self.stdout.put(f"dbt failed: {exc!r}".encode())
        finally:
            _release_warehouse(collect=True)
            gc.unfreeze()
            for key, value in self._saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            self.returncode = code
            self.stdout.put(_END)

    def wait(self, timeout: float | None = None) -> int:
        self._thread.join(timeout)
        return self.returncode if self.returncode is not None else 1

    def poll(self) -> int | None:
        return self.returncode

    def send_signal(self, _signal) -> None:
        # dbt offers no cancellation in-process; the step's interruption ends the run's process anyway.
        pass


def _parsed(args: list[str], forward):
    """The project parsed for this command: the one this process parsed last when nothing it depends on has
    changed (`parsed_project`), else parsed now (`dbt parse`, with the project's partial-parse state as usual)
    and kept. None for commands that do not run on a parsed project, or when the parse fails (the command
    then parses itself and reports the error as usual)."""
    from dbt.cli.main import dbtRunner

    command = parsed_project.command_of(args)
    if os.environ.get("ANALYTICS_DBT_REUSE_PARSE", "1") == "0" or not command or command[1] not in parsed_project.USES_PROJECT:
        return None
    key = parsed_project.key(args)
    if (manifest := parsed_project.kept(key)) is not None:
        return manifest
    parse = dbtRunner(callbacks=[forward]).invoke(parsed_project.parse_args(args))
    _release_warehouse()
    if not parse.success:
        return None
    parsed_project.keep(key, parse.result)
    return parse.result


def _write_run_results(result) -> None:
    """`run_results.json` in the command's target folder, as dbt writes it when it writes its JSON artifacts."""
    from dbt.artifacts.schemas.run import RunExecutionResult

    if isinstance(result, RunExecutionResult) and (target := os.environ.get("DBT_TARGET_PATH")):
        result.write(os.path.join(target, "run_results.json"))


def _release_warehouse(collect: bool = False) -> None:
    """Close the DuckDB database dbt-duckdb opened: it keeps it in a class attribute (dropped, not closed,
    at the end of a command), and DuckDB refuses this process a second connection to the file with another
    configuration (the readers open it read-only) while that one is alive. `collect`: at the end of a command,
    a garbage collection closes one it dropped itself; the objects that existed before the command are frozen
    (`InProcessDbt._invoke`), so it scans only the command's own (a full collection of the run's heap took ~0.3 s)."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.adapters.factory import reset_adapters

    with DuckDBConnectionManager._LOCK:
        env, DuckDBConnectionManager._ENV = DuckDBConnectionManager._ENV, None
    if env is not None:
        env.close()
    reset_adapters()
    if collect:
        gc.collect()  # an environment dropped earlier closes its database when collected
