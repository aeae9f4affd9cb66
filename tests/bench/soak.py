"""The soak: `dagster dev` (daemon, sensors, automation on) on a built demo folder while four sources each
append a request every 15 s; every request's latency from its write to a dashboard counting it, and the
machine's CPU over the whole window.

The four sources (one agent each, so the dashboard's per-agent count says which request arrived): Claude
Code transcripts, Codex rollouts, Copilot CLI's OTel file, OpenCode's database. They append together,
every `--every` seconds (the dashboard is read every 0.2 s; a request counts once the page's count for
its agent and today reaches it). Targets (issue "Cheap runs"): every latency <= 20 s, CPU <= 50 % of
the machine's cores on average.

    python tests/bench/soak.py --folder <a folder bench_freshness built> [--minutes 10]
(bench_freshness.py runs it on its own folder.)
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from analytics_assets.dashboard.page import embedded_data  # noqa: E402
from tests.appended import (append_codex_turn, append_copilot_cli_call, append_opencode_message,  # noqa: E402
                            append_request)
from tests.bench.demo_folder import folder_env  # noqa: E402

AGENTS = ("claude_code", "codex", "copilot_cli", "opencode")


def _cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _today_counts(page: Path, day: str) -> dict[str, int]:
    data = embedded_data(page.read_text())
    rows = [dict(zip(data["spend"]["columns"], r)) for r in data["spend"]["rows"]]
    return {agent: sum(r["requests"] for r in rows if r["day"] == day and r["agent"] == agent) for agent in AGENTS}


def _targets(landing: Path) -> dict:
    """One file per source to append to (each one developer's, as a developer works in one session)."""
    return {
        "claude_code": sorted((landing / "claude").rglob("*.jsonl"))[0],
        "codex": sorted((landing / "codex").rglob("rollout-*.jsonl"))[0],
        "copilot_cli": sorted((landing / "copilot_cli").rglob("*.jsonl"))[-1],
        "opencode": sorted((landing / "opencode").rglob("opencode.db"))[0],
    }


def _append(agent: str, path: Path, key: str, when: dt.datetime) -> None:
    if agent == "claude_code":
        append_request(path, key, when=when)
    elif agent == "codex":
        append_codex_turn(path, when)
    elif agent == "copilot_cli":
        append_copilot_cli_call(path, key, when)
    else:
        append_opencode_message(path, key, when)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def soak(folder: Path, env: dict, minutes: float, every: float = 15.0, settle: float = 60.0) -> dict:
    """Run the soak on `folder` (landing/, output/, warehouse and Dagster home as bench_freshness lays them out)."""
    page = folder / "output" / "reports" / "dashboard.html"
    targets = _targets(folder / "landing")
    log = (folder / "dagster-dev.log").open("w")
    dev = subprocess.Popen([str(BIN / "dagster"), "dev", "-m", "analytics_assets.definitions", "-h", "127.0.0.1",
                            "-p", str(_free_port())], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                           start_new_session=True)
    written: list[tuple[str, int, float]] = []  # (agent, n-th of its agent, when written)
    seen: dict[tuple[str, int], float] = {}
    stop = threading.Event()

    def watch(day: str, baseline: dict[str, int]) -> None:
        mtime = 0.0
        while not stop.is_set():
            try:
                now_mtime = page.stat().st_mtime
                if now_mtime != mtime:
                    mtime = now_mtime
                    counts = _today_counts(page, day)
                    for agent in AGENTS:
                        for n in range(1, counts[agent] - baseline[agent] + 1):
                            seen.setdefault((agent, n), mtime)
            except (OSError, ValueError, KeyError):
                pass  # the page is being rewritten: read it next time
            stop.wait(0.2)

    try:
        # Start-up (the code server, the daemon, the sensors' first evaluations on an up-to-date warehouse:
        # no run) is not the soak's: it begins once that has settled.
        time.sleep(settle)
        day = dt.datetime.now(dt.timezone.utc).date().isoformat()
        baseline = _today_counts(page, day)
        watcher = threading.Thread(target=watch, args=(day, baseline), daemon=True)
        watcher.start()
        busy0, total0 = _cpu()
        started = time.time()
        cycle = 0
        while time.time() - started < minutes * 60:
            cycle += 1
            for agent, path in targets.items():
                now = dt.datetime.now(dt.timezone.utc)
                _append(agent, path, f"soak_{int(started)}_{cycle}_{agent}", now)
                written.append((agent, cycle, time.time()))
            time.sleep(max(0.0, started + cycle * every - time.time()))
        busy1, total1 = _cpu()
        # The last requests' runs finish after the window (their latency counts; their CPU does not).
        deadline = time.time() + 60
        while time.time() < deadline and len(seen) < len(written):
            time.sleep(0.5)
        stop.set()
        # A run still going (the last requests split over two runs) finishes before `dagster dev` stops:
        # stopping it would interrupt the run and count as a failure that is the bench's own doing.
        deadline = time.time() + 60
        while time.time() < deadline and _in_flight(env):
            time.sleep(1)
    finally:
        os.killpg(dev.pid, signal.SIGTERM)
        try:
            dev.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(dev.pid, signal.SIGKILL)
        log.close()
    in_order = [seen[(agent, n)] - at if (agent, n) in seen else float("inf") for agent, n, at in written]
    latencies = sorted(in_order)
    a_minute = len(targets) * max(1, round(60 / every))  # requests written in a minute
    per_minute = [max(in_order[i:i + a_minute]) for i in range(0, len(in_order), a_minute)]
    runs = _runs(env)
    return {"requests": len(written), "latencies": latencies, "per_minute": per_minute, "cpu": (busy1 - busy0) / (total1 - total0),
            "cores": os.cpu_count(), "runs": runs}


def _probe(env: dict, expression: str):
    """`expression` evaluated on the folder's Dagster instance (`i`), in a process of its own."""
    probe = ("import dagster as dg, collections, warnings; warnings.simplefilter('ignore')\n"
             f"i = dg.DagsterInstance.get()\nprint(repr({expression}))")
    out = subprocess.run([str(BIN / "python"), "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True)
    return ast.literal_eval(out.stdout.strip()) if out.stdout.strip() else None


def _in_flight(env: dict) -> int:
    return _probe(env, "len(i.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED,"
                       " dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED])))") or 0


def _runs(env: dict) -> dict[str, int]:
    return _probe(env, "dict(collections.Counter(f'{r.job_name}:{r.status.value}' for r in i.get_runs()))") or {}


def percentile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(round(share * (len(values) - 1))))]


def report(result: dict) -> None:
    lat = result["latencies"]
    missing = sum(1 for v in lat if v == float("inf"))
    print(f"soak: {result['requests']} requests (4 sources, together every 15 s) under `dagster dev`; "
          f"runs: {result['runs']}")
    print(f"  latency write -> dashboard: p50 {percentile(lat, 0.5):.1f} s, p95 {percentile(lat, 0.95):.1f} s, "
          f"max {lat[-1]:.1f} s{f' ({missing} never seen)' if missing else ''}  target: every one <= 20 s")
    print("  slowest of each minute: " + " ".join(f"{v:.0f}" for v in result.get("per_minute", [])) + " s")
    print(f"  machine CPU: {result['cpu']:.0%} of {result['cores']} cores on average  target: <= 50 %")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--minutes", type=float, default=10)
    args = parser.parse_args()
    folder = args.folder.resolve()
    report(soak(folder, folder_env(folder), args.minutes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
