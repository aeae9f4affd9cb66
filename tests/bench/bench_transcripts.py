"""`make bench`: Claude Code transcript ingest against ccusage on the same 1 GiB corpus.

The corpus (generated once, cached in .bench/transcripts/) is shaped like real histories: file
sizes from a few hundred bytes to tens of MB (log-normal), most bytes message text (tool results
in user turns, text in assistant turns), ~15 % of assistant lines streaming duplicates with
growing output tokens. Measured in rounds (3 by default: ccusage, ours full, ours incremental),
each step in its own process (peak RSS per process; ours forks two scanner processes for a big
read, whose peak RSS is added):
  - ccusage `daily --offline --json` full scan;
  - ours, full: ingest (read by cursor, parse, validate, load DuckDB, close the database) + dedupe
    (the dbt staging view, computed over every request: what its first reader pays);
  - ours, incremental: after appending ~1 % new lines, ingest again + dedupe (each round from the
    same warehouse, restored from a copy taken after the full load, with the cursor hint the load
    left beside it: what the next scheduled run finds).
The ratios are of the medians over the rounds; every round's figures are printed too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".bench" / "transcripts"
CCUSAGE = ROOT / ".tools" / "node_modules" / ".bin" / "ccusage"
MODELS = ["claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805", "claude-haiku-4-5-20251001"]
WORDS = ("the function returns a value when the test passes and the build is green so we can merge "
         "refactor parser handler cache client config module error retry timeout request response").split()


def _text(rng: random.Random, size: int) -> str:
    chunk = " ".join(rng.choice(WORDS) for _ in range(200))
    return (chunk * (size // len(chunk) + 1))[:size]


def _session(rng: random.Random, target_bytes: int, start: dt.datetime, session: str, cwd: str) -> list[bytes]:
    lines, written, moment, turn = [], 0, start, 0
    while written < target_bytes:
        turn += 1
        user_size = int(min(rng.lognormvariate(7.5, 1.8), 4_000_000))  # tool results can be MBs
        user = {"parentUuid": None, "isSidechain": False, "userType": "external", "cwd": cwd, "sessionId": session,
                "version": "2.0.14", "gitBranch": "main", "type": "user",
                "message": {"role": "user", "content": [{"type": "tool_result", "content": _text(rng, user_size)}]},
                "uuid": f"{rng.getrandbits(128):032x}", "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")}
        lines.append(orjson.dumps(user))
        moment += dt.timedelta(seconds=rng.randint(2, 60))
        message_id, request_id = f"msg_{rng.getrandbits(80):020x}", f"req_{rng.getrandbits(80):020x}"
        model = rng.choice(MODELS)
        t_in, t_out = rng.randint(1, 3000), rng.randint(5, 4000)
        t_read, t_create = rng.randint(0, 150_000), rng.randint(0, 20_000)
        writes = 2 if rng.random() < 0.3 else 1  # ~15 % of assistant lines are streaming duplicates
        text = _text(rng, int(min(rng.lognormvariate(7.0, 1.2), 200_000)))
        for w in range(writes):
            out = t_out if w == writes - 1 else max(1, t_out // 10)
            assistant = {"parentUuid": f"u{turn}", "isSidechain": False, "userType": "external", "cwd": cwd,
                         "sessionId": session, "version": "2.0.14", "gitBranch": "main",
                         "message": {"id": message_id, "type": "message", "role": "assistant", "model": model,
                                     "content": [{"type": "text", "text": text}], "stop_reason": None,
                                     "usage": {"input_tokens": t_in, "cache_creation_input_tokens": t_create,
                                               "cache_read_input_tokens": t_read, "output_tokens": out,
                                               "cache_creation": {"ephemeral_5m_input_tokens": t_create, "ephemeral_1h_input_tokens": 0},
                                               "service_tier": "standard"}},
                         "requestId": request_id, "type": "assistant", "uuid": f"{rng.getrandbits(128):032x}",
                         "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")}
            lines.append(orjson.dumps(assistant))
        written = sum(len(x) + 1 for x in lines)
        moment += dt.timedelta(seconds=rng.randint(5, 300))
    return lines


def generate(total_bytes: int) -> Path:
    corpus = CACHE / f"corpus-{total_bytes}"
    marker = corpus / ".complete"
    if marker.exists():
        return corpus
    shutil.rmtree(CACHE, ignore_errors=True)
    rng = random.Random(42)
    written, index = 0, 0
    start = dt.datetime(2026, 6, 1, 9, tzinfo=dt.timezone.utc)
    while written < total_bytes:
        size = int(min(max(rng.lognormvariate(12.5, 2.2), 300), 40_000_000, total_bytes - written + 300))
        project = corpus / "projects" / f"-home-dev-src-project{index % 40}"
        project.mkdir(parents=True, exist_ok=True)
        session = f"{rng.getrandbits(128):032x}"
        day = start + dt.timedelta(days=index % 120, minutes=index % 600)
        data = b"\n".join(_session(rng, size, day, session, f"/home/dev/src/project{index % 40}")) + b"\n"
        (project / f"{session}.jsonl").write_bytes(data)
        written += len(data)
        index += 1
    marker.write_text(json.dumps({"files": index, "bytes": written}))
    return corpus


def append_one_percent(corpus: Path) -> int:
    """New turns at the end of a few sessions, ~1 % of the corpus's bytes."""
    files = sorted(corpus.rglob("*.jsonl"))
    target = sum(f.stat().st_size for f in files) // 100
    rng, added = random.Random(7), 0
    for path in rng.sample(files, min(len(files), 50)):
        lines = _session(rng, target // 50, dt.datetime(2026, 10, 1, 9, tzinfo=dt.timezone.utc), path.stem, "/home/dev/src/x")
        with path.open("ab") as f:
            data = b"\n".join(lines) + b"\n"
            f.write(data)
            added += len(data)
    return added


# The measured command runs as a grandchild, forked by this small process: on Linux a child's
# ru_maxrss starts at its parent's RSS (the pages of the fork it was exec'd from), so a command
# spawned straight from this bench (hundreds of MiB after building a corpus) would report the
# bench's size, not its own.
_MEASURE = """
import os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(f"{time.perf_counter() - started} {usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """(seconds, peak RSS of the command in MiB, stdout) of a command run in its own process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as figures:
        proc = subprocess.run([sys.executable, "-c", _MEASURE, figures.name, *cmd], env={**os.environ, **(env or {})},
                              stdout=out, stderr=err)
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise SystemExit(f"{cmd[0]} failed:\n{err.read().decode(errors='replace')[-3000:]}")
        elapsed, maxrss = figures.read().split()
        return float(elapsed), int(maxrss) / 1024, out.read().decode()


OURS = r"""
import json, sys, time, resource, subprocess, os, duckdb
from pathlib import Path
from analytics_assets import warehouse
from analytics_assets.ingest.runner import read_ahead, run_ingest
from analytics_assets.transcripts.load import ClaudeSource
db, corpus, landing = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
t0 = time.perf_counter()
source, roots = ClaudeSource(landing), [corpus / "projects"]
ahead = read_ahead(source, roots, Path(db))  # as the ingest asset starts it, before it opens the warehouse
con = warehouse.connect(Path(db))  # as the ingest asset opens it
stats = run_ingest(con, source, roots, ahead=ahead)
con.close()  # what is left to write to the database file is written: part of the load
t1 = time.perf_counter()
con = duckdb.connect(db)
# Dedupe: the staging model as dbt builds it (a view: stg_claude_requests), then computed whole,
# as its first reader (int_agent_requests) computes it.
sql = Path(sys.argv[4]).read_text().replace('"memory".', "")  # compiled against an in-memory catalog
con.execute("CREATE OR REPLACE VIEW main.deduped AS " + sql)
requests = con.execute("SELECT count(*), sum(output_tokens) FROM main.deduped").fetchone()
t2 = time.perf_counter()
print(json.dumps({"ingest_s": t1 - t0, "dedupe_s": t2 - t1, "lines": stats.lines, "loaded": stats.loaded["claude_requests"],
                  "skipped": stats.lines_skipped, "quarantined": stats.quarantined_total, "requests": requests[0],
                  "output_tokens": requests[1], "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "scanner_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def compiled_dedupe_sql() -> Path:
    """stg_claude_requests as dbt compiles it (source resolved to raw.claude_requests)."""
    dbt = str(Path(sys.executable).parent / "dbt")
    subprocess.run([dbt, "compile", "--quiet", "--select", "stg_claude_requests", "--project-dir", str(ROOT / "dbt"),
                    "--profiles-dir", str(ROOT / "dbt")], check=True, capture_output=True, env={**os.environ, "ANALYTICS_DUCKDB_PATH": ":memory:"})
    return next((ROOT / "dbt" / "target" / "compiled").rglob("stg_claude_requests.sql"))


def _gone(db: Path) -> Path:
    """`db`, with the file and its WAL of an earlier round deleted."""
    for stale in db.parent.glob(db.name + "*"):
        stale.unlink()
    return db


def _spread(values: list[float], unit: str = "s", digits: int = 2) -> str:
    """The median, then every run's figure in run order."""
    return f"{statistics.median(values):.{digits}f} {unit} ({' / '.join(f'{v:.{digits}f}' for v in values)})"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bytes", type=int, default=1 << 30)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement; ratios are of the medians")
    args = parser.parse_args()
    if not CCUSAGE.exists():
        print("ccusage is not installed: run `make install` (needs npm)")
        return 1
    corpus = generate(args.bytes)
    info = json.loads((corpus / ".complete").read_text())
    print(f"corpus: {info['bytes'] / 2**30:.2f} GiB in {info['files']} files; {args.repeat} rounds of ccusage, ours full and "
          "ours incremental; ratios of the medians")
    sql = compiled_dedupe_sql()
    cc_s, full, incr, cc_rss, cc_tokens = [], [], [], 0.0, None
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        landing = tmp / "landing"
        landing.mkdir()
        # The incremental runs' starting point, made once: a copy of the corpus loaded whole (a
        # warehouse kept aside), then ~1 % appended to it. The full runs read another, pristine copy.
        pristine, grown, base = tmp / "corpus", tmp / "grown" / "corpus", tmp / "base.duckdb"
        shutil.copytree(corpus, pristine)
        shutil.copytree(corpus, grown)
        timed([sys.executable, "-c", OURS, str(base), str(grown), str(landing), str(sql)])
        added = append_one_percent(grown)
        for _ in range(args.repeat):
            os.sync()  # copies and appends written out: no writeback of ours runs under a measurement
            seconds, rss, out = timed([str(CCUSAGE), "daily", "--offline", "--json"], {"CLAUDE_CONFIG_DIR": str(pristine), "TZ": "UTC"})
            cc_s.append(seconds)
            cc_rss = max(cc_rss, rss)
            cc_tokens = sum(d["outputTokens"] for d in json.loads(out)["daily"])
            db = _gone(tmp / "full.duckdb")
            _, _, out = timed([sys.executable, "-c", OURS, str(db), str(pristine), str(landing), str(sql)])
            full.append(json.loads(out))
            db = _gone(tmp / "incremental.duckdb")
            for kept in tmp.glob(base.name + "*"):  # the warehouse file and what the load left beside it (its cursor hint)
                shutil.copy(kept, db.with_name(db.name + kept.name[len(base.name):]))
            os.sync()
            _, _, out = timed([sys.executable, "-c", OURS, str(db), str(grown), str(landing), str(sql)])
            incr.append(json.loads(out))
    full_s = [r["ingest_s"] + r["dedupe_s"] for r in full]
    incr_s = [r["ingest_s"] + r["dedupe_s"] for r in incr]
    cc, fl, inc = statistics.median(cc_s), statistics.median(full_s), statistics.median(incr_s)
    ingest_alone = statistics.median(r["ingest_s"] for r in incr)
    last = full[-1]
    rss = max(r["peak_rss_mib"] for r in full)
    scanners = max(r["scanner_rss_mib"] for r in full)
    print(f"ccusage daily --offline (full scan)   {_spread(cc_s)}   peak RSS {cc_rss:.0f} MiB   output tokens {cc_tokens:,}")
    print(f"ours, full (ingest + dedupe)           {_spread(full_s)}   dedupe {_spread([r['dedupe_s'] for r in full])}   "
          f"peak RSS {rss:.0f} MiB + forked scanners {scanners:.0f} MiB each   output tokens {last['output_tokens']:,}")
    print(f"ours, incremental after +{added / 2**20:.0f} MiB      {_spread(incr_s, digits=3)}   dedupe {_spread([r['dedupe_s'] for r in incr], digits=3)}   "
          f"peak RSS {max(r['peak_rss_mib'] for r in incr):.0f} MiB")
    print(f"ratios: full / ccusage = {fl / cc:.2f} (target <= 1.5); incremental / ccusage = {inc / cc:.3f} "
          f"(ingest alone {ingest_alone / cc:.3f}; target <= 0.1); runs: full {' / '.join(f'{f / c:.2f}' for f, c in zip(full_s, cc_s))}, "
          f"incremental {' / '.join(f'{i / c:.3f}' for i, c in zip(incr_s, cc_s))}")
    print(f"peak RSS, the process and its two scanners summed (shared pages counted twice) {rss + 2 * scanners:.0f} MiB (target <= 1024)")
    print(f"lines {last['lines']:,} (skipped {last['skipped']:,} without usage), loaded {last['loaded']:,}, "
          f"requests after dedupe {last['requests']:,}, quarantined {last['quarantined']}; incremental loaded {incr[-1]['loaded']:,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
