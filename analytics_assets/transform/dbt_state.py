"""What dbt's commands on one warehouse share across processes: the target folder beside the warehouse, the
partial-parse state in it, the project vars; and a parse started ahead of the run that needs it.

No Dagster import: `analytics-assets materialize-all` starts the parse before it imports the code location.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .. import project_config
from ..config import DBT_PROJECT_DIR, settings

KEEP_TARGETS = 5  # the newest dbt target folders kept for looking into (logs, compiled SQL, run results)
STATE = "partial_parse.msgpack"
AHEAD = "parse-ahead"  # the ahead parse's own target folder, under the warehouse's
# The daily marts' window, which dbt reads from the environment (`dbt_assets.daily_window`).
DAILY_WINDOW_ENV = ("ANALYTICS_DAILY_MIN_DATE", "ANALYTICS_DAILY_MAX_DATE", "ANALYTICS_DAILY_DAYS")

_ahead: tuple[subprocess.Popen, Path] | None = None  # the parse started ahead and its target folder


def dbt_executable() -> str:
    # The dbt installed beside this interpreter (the project venv), whether or not it is on PATH.
    return str(Path(sys.executable).parent / "dbt")


def target_folder(warehouse_path: str) -> Path:
    """dbt's target folder for one warehouse, beside it (`<warehouse>.dbt/`): dbt's parse state holds the
    warehouse path, so warehouses sharing one folder (tests, a second deployment) would re-parse each
    other's state away; and the dbt project's folder stays what the code ships."""
    folder = Path(f"{warehouse_path}.dbt")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def keep_parse_state(target: Path) -> None:
    """dagster-dbt gives every command its own folder under the target folder and seeds it with the target
    folder's `partial_parse.msgpack`; the state the command leaves goes back there, so the next command
    parses only what changed (without it, each one re-parsed the whole project: ~10 s). Older command
    folders are removed (each holds 3-5 MB: a team server refreshing every 30 s would fill its disk)."""
    project_target = target.parent
    state = target / STATE
    if state.exists():
        staged = project_target / f".partial_parse.{os.getpid()}.msgpack"
        shutil.copyfile(state, staged)
        os.replace(staged, project_target / STATE)
    folders = sorted((p for p in project_target.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in folders[:-KEEP_TARGETS]:
        shutil.rmtree(old, ignore_errors=True)


def dbt_vars() -> dict:
    """The project config's numbers that dbt models use (one place to set them: analytics.yaml)."""
    config = project_config.load(settings().config_path)
    return {"copilot_seat_price_usd": config.copilot.seat_price_usd, "cursor_seat_price_usd": config.cursor.seat_price_usd,
            "session_window_minutes": config.git.session_window_minutes,
            "ticket_pattern": config.git.ticket_pattern,
            "roi_hours_saved_per_assisted_commit": config.alerts.hours_saved_per_assisted_commit,
            "roi_hourly_rate_usd": config.alerts.hourly_rate_usd}


def start_parse_ahead() -> bool:
    """On a warehouse file dbt has no parse state for (a fresh one: `make run`'s first graph), start `dbt parse`
    in a process of its own, as the run's first dbt command would parse: same project, profile, vars and
    warehouse path, no daily window. Its ~7 s (starting dbt, parsing all of the project) then run on the
    second core while this process imports the code location and ingests, and the run's first dbt command
    parses only what changed (`finish_parse_ahead`). False when there is nothing to do: the state exists, or
    the warehouse is a lake (its runs start on a server that keeps the state)."""
    global _ahead
    from .. import lake

    try:
        in_lake = lake.url() is not None
    except lake.LakeError:
        return False  # the run reports the setting, as without a parse ahead
    if _ahead is not None or in_lake:
        return False
    warehouse = settings().duckdb_path.resolve()
    folder = target_folder(str(warehouse))
    if (folder / STATE).exists():
        return False
    ahead = folder / AHEAD
    shutil.rmtree(ahead, ignore_errors=True)
    ahead.mkdir()
    env = {**{k: v for k, v in os.environ.items() if k not in DAILY_WINDOW_ENV}, "ANALYTICS_DUCKDB_PATH": str(warehouse),
           "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR), "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
           "DBT_TARGET_PATH": str(ahead), "DBT_LOG_PATH": str(ahead), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           "DBT_WRITE_JSON": "false"}
    with open(ahead / "parse.log", "wb") as log:
        _ahead = (subprocess.Popen([dbt_executable(), "parse", "--vars", json.dumps(dbt_vars())], cwd=DBT_PROJECT_DIR, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL), ahead)
    return True


def finish_parse_ahead() -> None:
    """Before a dbt command of this process: wait for the parse started ahead, if any, and make its state the
    warehouse's. A failed parse leaves nothing (the command parses, and reports, as usual)."""
    global _ahead
    if _ahead is None:
        return
    (process, target), _ahead = _ahead, None
    if process.wait() == 0:
        keep_parse_state(target)
