"""The warehouse's writers on a DuckLake lake against the embedded DuckDB file, on the same landing files.

In a fresh folder: the demo's landing files and a PostgreSQL cluster of its own (the lake's catalog), then
- one writer: the OTLP ingest and the Claude transcript ingest, each alone on a warehouse of its own, file then lake;
  their records per second as the ingest reports it (`records_per_second` in its materialization metadata), on ~50 MB
  of landing files each: the demo's OTLP files, and its transcripts at `--transcript-scale` (6: the demo's own 9 MB
  of transcripts take the file ~0.1 s, so their figure was the run's fixed costs, the lake's ~0.1 s of opening and
  catalog reads, rather than a rate; a run's latency is the freshness bench's business). Twice:
  into tables that exist but are empty (a first run on an empty folder made them: a deployment's first ingest), and
  into tables that hold rows (a first run loaded a small demo of another seed: every later ingest). DuckLake 1.5.5
  does not cache that an empty table has no statistics and asks the catalog again for every column a query names
  (duckdb/ducklake#1313): on the empty tables each query of the lake costs ~4 ms a column more;
- four ingests (otlp, claude, codex, git), each started as its own `dagster asset materialize` process at the same
  moment on one Dagster instance: on the file they queue on the `duckdb_writer` pool, on the lake each has its own
  pool. Wall time from the start until the last has finished, and whether any run's step waited for a pool.
Targets (issue "Beyond one machine"): one lake writer >= 0.5 x the file's records/s, into empty tables and into
tables with rows; four at once on the lake
<= 1.0 x the same four queued on the file, with no run waiting on a pool. On 2 cores four processes share two:
the lake's gain is what overlaps (one ingest's reading with another's commit), not four-fold.

    make bench-lake      (or: python tests/bench/bench_lake.py --days 90 --developers 12)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from tests import postgres  # noqa: E402
from tests.bench.demo_folder import demo_arguments, demo_command, folder_env  # noqa: E402

INGESTS = {"otlp": "raw/otlp_metric_points,raw/otlp_spans,raw/otlp_logs", "claude": "raw/claude_requests",
           "codex": "raw/codex_events", "git": "raw/git_commits"}
# The ingest on a warehouse whose tables exist: a first run on the folder argv[2] makes them (on a lake, creating a
# table is a catalog commit of its own), then the run measured reads the corpus.
RATE = ("import dagster as dg, json, os, sys, tempfile, warnings; warnings.simplefilter('ignore')\n"
        "from analytics_assets.definitions import defs\n"
        "keys = [dg.AssetKey.from_user_string(k) for k in sys.argv[1].split(',')]\n"
        "with dg.instance_for_test() as i:\n"
        "    landing, os.environ['ANALYTICS_LANDING_DIR'] = os.environ['ANALYTICS_LANDING_DIR'], sys.argv[2]\n"
        "    assert dg.materialize([*defs.assets], selection=keys, instance=i, resources=defs.resources).success\n"
        "    os.environ['ANALYTICS_LANDING_DIR'] = landing\n"
        "    r = dg.materialize([*defs.assets], selection=keys, instance=i, resources=defs.resources)\n"
        "    m = [e.materialization.metadata for e in r.get_asset_materialization_events()]\n"
        "    print(json.dumps({'records_per_second': m[0]['records_per_second'].value, 'rows': sum(\n"
        "        x['rows_loaded'].value for x in m if 'rows_loaded' in x)}))")


def run(args: list[str], env: dict, timeout: float = 1800) -> str:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode:
        sys.exit(f"{' '.join(args[:5])} failed:\n{done.stdout[-1500:]}\n{done.stderr[-2500:]}")
    return done.stdout


def fresh(base: dict, folder: Path, name: str, server: postgres.Postgres | None) -> dict:
    """An environment with a warehouse of its own: a DuckDB file, or (server given) a new lake."""
    side = folder / name
    side.mkdir()
    env = {**base, "ANALYTICS_DUCKDB_PATH": str(side / "warehouse.duckdb"), "DAGSTER_HOME": str(side / "home")}
    (side / "home").mkdir()
    shutil.copy(ROOT / "dagster.yaml", side / "home" / "dagster.yaml")
    if server is not None:
        env |= {"ANALYTICS_WAREHOUSE": "ducklake:postgres:" + server.create_database(name),
                "ANALYTICS_LAKE_DATA_PATH": str(side / "lake-data")}
    return env


def four_at_once(env: dict) -> tuple[float, int]:
    """Seconds until the four ingests started together have all finished; how many of the runs had a step wait for a pool."""
    # the instance's storage made first (four processes making it at once would race on its schema)
    run([str(BIN / "python"), "-c", "import dagster as dg; dg.DagsterInstance.get().get_runs(limit=1)"], env)
    started = time.perf_counter()
    processes = [subprocess.Popen([str(BIN / "dagster"), "asset", "materialize", "-m", "analytics_assets.definitions",
                                   "--select", keys], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True) for keys in INGESTS.values()]
    outputs = [p.communicate(timeout=1800)[0] for p in processes]
    seconds = time.perf_counter() - started
    for process, out in zip(processes, outputs):
        if process.returncode:
            sys.exit(f"an ingest failed:\n{out[-2500:]}")
    # Dagster logs a step that found its pool's slot taken: "Step blocked by limit for pool <pool>".
    waited = sum(1 for out in outputs if "blocked by limit for pool" in out)
    return seconds, waited


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    demo_arguments(parser)
    parser.add_argument("--transcript-scale", type=float, default=6.0, help="the one-writer transcripts' demo scale")
    args = parser.parse_args()
    if not postgres.available():
        sys.exit("PostgreSQL is not installed (make install installs Debian's package)")
    folder = Path(tempfile.mkdtemp(prefix="bench-lake-"))
    server = postgres.Postgres().start()
    try:
        landing = folder / "landing"
        # each side sets its own warehouse and Dagster home over the folder's
        base = {**folder_env(folder), "ANALYTICS_SENSORS": "off"}
        base.pop("ANALYTICS_WAREHOUSE", None)
        run(demo_command(args, landing), base)
        # the first run's folders: nothing (the tables made empty), or a small demo of another seed (rows in them)
        (folder / "empty").mkdir()
        run(demo_command(argparse.Namespace(days=3, developers=1, scale=1), folder / "small", seed=99), base)
        transcripts = folder / "transcripts"
        run([*demo_command(argparse.Namespace(**{**vars(args), "scale": args.transcript_scale}), transcripts),
             "--sources", "claude_transcripts"], base)
        corpus = {"otlp": landing, "claude": transcripts}
        rates = {}
        for source in ("otlp", "claude"):
            for first in ("empty", "small"):
                for mode, pg in (("file", None), ("lake", server)):
                    env = {**fresh(base, folder, f"{source}_{first}_{mode}", pg), "ANALYTICS_LANDING_DIR": str(corpus[source])}
                    out = run([str(BIN / "python"), "-c", RATE, INGESTS[source], str(folder / first)], env)
                    rates[source, first, mode] = json.loads(out.strip().splitlines()[-1])
        queued, queued_waits = four_at_once(fresh(base, folder, "four_file", None))
        parallel, parallel_waits = four_at_once(fresh(base, folder, "four_lake", server))
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)

    print(f"demo: {args.days} days, {args.developers} developers, scale {args.scale} (transcripts of one writer: scale "
          f"{args.transcript_scale}); {os.cpu_count()} cores")
    print(f"{'one writer':52} {'file rec/s':>11} {'lake rec/s':>11} {'ratio':>7}  target")
    for source in ("otlp", "claude"):
        for first, label, target in (("small", "into tables with rows", ">= 0.5 x"), ("empty", "into empty tables", ">= 0.5 x")):
            file, lake = rates[source, first, "file"], rates[source, first, "lake"]
            name = f"{source} ingest, {label} ({file['rows']:,} rows{'' if file['rows'] == lake['rows'] else ', DIFFERENT in the lake'})"
            file, lake = file["records_per_second"], lake["records_per_second"]
            print(f"{name:52} {file:11,.0f} {lake:11,.0f} {lake / file:6.2f}x  {target}")
    print(f"{'four ingests (otlp, claude, codex, git)':52} {'file queued':>11} {'lake at once':>11}")
    print(f"{'  seconds, start to the last one done':52} {queued:11.1f} {parallel:11.1f} {parallel / queued:6.2f}x  <= 1.0 x")
    print(f"{'  runs that waited for a pool':52} {queued_waits:11d} {parallel_waits:11d}          lake: 0")
    return 0


if __name__ == "__main__":
    sys.exit(main())
