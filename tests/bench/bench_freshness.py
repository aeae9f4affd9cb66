"""What a user waits for, from new bytes to an updated dashboard, as ratios to the same run's floor.

In a fresh folder (its own landing, warehouse and Dagster instance): the demo, then
- the whole graph as `make run` runs it (`analytics-assets materialize-all`) against the floor: a bare
  `dbt build` of the whole project on the same warehouse, dbt's own CLI, parsing the whole project as the graph's
  first dbt command on a fresh warehouse does;
- `claude_refresh` from the CLI after one appended request, from the run's start to the dashboard rewritten
  (the dashboard and the day's daily marts with the request in them; the whole command too), against the
  floor: a bare `dbt build` of what that refresh builds (the models the transcripts feed, with their
  tests; the daily mart among them for that day only), parsing only what changed, as the refresh does;
- a new instance's first sensor evaluations on the up-to-date warehouse (`make ui` after `make run`):
  how many runs they request;
- the soak (soak.py): `dagster dev` on that folder while four sources each append a request every 15 s,
  each request's latency to the dashboard and the machine's CPU.
Targets (issue "Cheap runs"): refresh <= 1.5 x its floor and <= 10 s; whole graph <= 3 x its floor; no run;
soak: every request on the dashboard within 20 s, CPU <= 50 % of the machine.

    make bench-freshness      (or: python tests/bench/bench_freshness.py --days 90 --developers 12 --soak-minutes 10)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from analytics_assets.dashboard.page import embedded_data  # noqa: E402
from tests.appended import append_request  # noqa: E402
from tests.bench import soak  # noqa: E402
from tests.bench.demo_folder import demo_arguments, demo_command, folder_env  # noqa: E402


def timed(args: list[str], env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(args[:4])} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return time.perf_counter() - started


def spend_requests(page: Path, day: str) -> int:
    data = embedded_data(page.read_text())
    rows = [dict(zip(data["spend"]["columns"], r)) for r in data["spend"]["rows"]]
    return sum(r["requests"] for r in rows if r["day"] == day and r["agent"] == "claude_code")


def daily_requests(warehouse: Path, day: str) -> int:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return int(con.execute("SELECT coalesce(sum(requests), 0) FROM marts.fct_daily_agent_usage "
                               "WHERE event_date = ? AND agent = 'claude_code'", [day]).fetchone()[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    demo_arguments(parser)
    parser.add_argument("--soak-minutes", type=float, default=10, help="0: no soak")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-freshness-"))
    try:
        landing, home = folder / "landing", folder / "dagster_home"
        home.mkdir()
        shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
        (folder / "no-home").mkdir()
        env = folder_env(folder)
        timed(demo_command(args, landing), env)
        graph = timed([str(BIN / "analytics-assets"), "materialize-all"], env)
        span = subprocess.run([str(BIN / "analytics-assets"), "partition-range", "marts"], env=env, capture_output=True, text=True,
                              check=True).stdout.strip()
        start, end = span.split("...")
        # The runs' vars and daily window (as environment variables), and each floor parses as its run did: the whole
        # graph's first dbt command on the fresh warehouse parsed the whole project (the floor: a target folder of its
        # own, empty), the refresh only what changed (its floor: the parse state the runs keep beside the warehouse,
        # left as the runs need it; with other vars the refresh after it parsed the whole project again: +3-4 s).
        run_vars = subprocess.run([str(BIN / "python"), "-c", "import json; from analytics_assets.transform.dbt_state import "
                                   "dbt_vars; print(json.dumps(dbt_vars()))"], cwd=ROOT, env=env, capture_output=True, text=True,
                                  check=True).stdout.strip()
        dbt = [str(BIN / "dbt"), "build", "--quiet", "--project-dir", str(ROOT / "dbt"), "--profiles-dir", str(ROOT / "dbt"),
               "--vars", run_vars]
        graph_floor = timed(dbt, {**env, "ANALYTICS_DAILY_MIN_DATE": start, "ANALYTICS_DAILY_MAX_DATE": end,
                                  "DBT_TARGET_PATH": str(folder / "graph-floor-target")})
        env["DBT_TARGET_PATH"] = str(folder / "warehouse.duckdb.dbt")

        # One request appended to one transcript, today; the refresh from the CLI.
        now = dt.datetime.now(dt.timezone.utc)
        page = folder / "output" / "reports" / "dashboard.html"
        before = spend_requests(page, now.date().isoformat())
        mart_before = daily_requests(folder / "warehouse.duckdb", now.date().isoformat())
        append_request(sorted((landing / "claude").rglob("*.jsonl"))[0], "bench_freshness", when=now)
        command = timed([str(BIN / "dagster"), "job", "execute", "-m", "analytics_assets.definitions", "-j", "claude_refresh"], env)
        counted = spend_requests(page, now.date().isoformat()) - before
        mart_counted = daily_requests(folder / "warehouse.duckdb", now.date().isoformat()) - mart_before
        # From the run's start (its RUN_START event) to the dashboard rewritten: what a launched run costs
        # once its process is up (the command's own figure adds the process start and the code location's import).
        probe_start = ("import dagster as dg\ni = dg.DagsterInstance.get()\n"
                       "[r] = i.get_runs(dg.RunsFilter(job_name='claude_refresh'), limit=1)\n"
                       "print(i.get_run_stats(r.run_id).start_time)")
        run_started = float(subprocess.run([str(BIN / "python"), "-c", probe_start], cwd=ROOT, env=env, capture_output=True,
                                           text=True, check=True).stdout.strip())
        refresh = page.stat().st_mtime - run_started
        # The floor: dbt's own CLI building what the refresh builds: the models the changed source feeds
        # (with their tests), among them the daily mart they feed, for the touched day only.
        refresh_floor = timed([*dbt, "--select", "source:raw_transcripts.claude_requests+"],
                              {**env, "ANALYTICS_DAILY_DAYS": now.date().isoformat()})

        # make ui after make run: a new instance's sensors, first evaluation each.
        probe = ("import dagster as dg, warnings; warnings.simplefilter('ignore')\n"
                 "from analytics_assets.definitions import defs\n"
                 "i = dg.DagsterInstance.ephemeral()\n"
                 "names = ['landing_sensor', 'git_repositories_sensor']\n"
                 "print(sum(isinstance(defs.get_sensor_def(n)(dg.build_sensor_context(instance=i, definitions=defs)), dg.RunRequest)"
                 " for n in names))")
        launched = int(subprocess.run([str(BIN / "python"), "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                                      check=True).stdout.strip())
        env.pop("DBT_TARGET_PATH")  # the runs keep it beside the warehouse themselves
        soaked = soak.soak(folder, env, args.soak_minutes) if args.soak_minutes else None
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    rows = [
        ("whole graph (`analytics-assets materialize-all`)", graph, graph_floor, "<= 3 x"),
        ("claude_refresh, run start -> dashboard rewritten", refresh, refresh_floor, "<= 1.5 x and <= 10 s"),
        ("claude_refresh, the whole `dagster job execute`", command, refresh_floor, "(with process start)"),
    ]
    print(f"demo: {args.days} days, {args.developers} developers, scale {args.scale}")
    print(f"{'':52} {'seconds':>8} {'floor':>8} {'ratio':>7}  target")
    for name, seconds, floor, target in rows:
        print(f"{name:52} {seconds:8.1f} {floor:8.1f} {seconds / floor:6.2f}x  {target}")
    print(f"the refresh's dashboard counts the new request: {'yes' if counted == 1 else f'NO ({counted})'}; "
          f"so does the day's daily mart: {'yes' if mart_counted == 1 else f'NO ({mart_counted})'}")
    print(f"runs requested by a new instance's first sensor evaluations (make ui after make run): {launched}  target: 0")
    if soaked:
        soak.report(soaked)
    return 0


if __name__ == "__main__":
    sys.exit(main())
