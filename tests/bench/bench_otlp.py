"""`make bench-otlp`: OTLP ingest throughput against a bare `polars.read_ndjson` of the same files.

Generates (once, cached under .bench/) about 1 M Claude Code log records and 1 M Zen spans with the
demo generator, then for each signal measures in the same run:
  - bare:  polars.read_ndjson over the files (decode only, schema inferred, nothing flattened);
  - ours:  ingest_otlp end to end (read by cursor, decode, flatten, pandera, hash, load DuckDB).
Prints records/s for both and the ratio ours/bare (>= 0.5 is the target), plus the absolute target
of 150 k records/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

# Our package before polars, as in the Dagster code location: it sets polars' allocator options
# (analytics_assets/__init__.py), which apply to the bare read as well.
import analytics_assets  # noqa: E402, F401
import polars as pl  # noqa: E402

from analytics_assets.demo.otlp_files import write_claude_code_otel, write_zen_spans  # noqa: E402
from analytics_assets.demo.world import days, developers  # noqa: E402
from analytics_assets import warehouse  # noqa: E402
from analytics_assets.otlp.load import ingest_otlp  # noqa: E402

CACHE = ROOT / ".bench"
END = dt.date(2026, 11, 20)


def generate(target: int) -> dict:
    """Spans and log records, about `target` of each (cached: generation is not what we measure)."""
    marker = CACHE / f"otlp-{target}.json"
    if marker.exists():
        return json.loads(marker.read_text())
    shutil.rmtree(CACHE, ignore_errors=True)
    devs, span = developers(60, 3), days(END, 60)
    started = time.perf_counter()
    zen = write_zen_spans(CACHE / "spans", devs, span, 3, target / 60 / 60 / 4.4)
    claude = write_claude_code_otel(CACHE / "logs", devs, span, 3, target / 104_600)
    info = {"spans": zen["spans"], "logs": claude["log_records"], "metric_points": claude["points"],
            "generated_in_s": round(time.perf_counter() - started, 1)}
    marker.write_text(json.dumps(info))
    return info


def bare_read(folder: Path, pattern: str) -> float:
    files = sorted(f for f in folder.glob(pattern) if f.stat().st_size)
    gc.collect()
    started = time.perf_counter()
    frames = [pl.read_ndjson(f) for f in files]
    elapsed = time.perf_counter() - started
    assert sum(f.height for f in frames) > 0
    return elapsed


def ours(folder: Path) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        gc.collect()
        started = time.perf_counter()
        con = warehouse.connect(Path(tmp) / "bench.duckdb")  # as the ingest asset opens it
        stats = ingest_otlp(con, folder, b"bench-salt")
        con.close()  # what is left to write is written: part of the load
        elapsed = time.perf_counter() - started
    return elapsed, {"records": dict(stats.records), "loaded": dict(stats.loaded), "quarantined": stats.quarantined_total}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000, help="about this many spans and log records each")
    args = parser.parse_args()
    info = generate(args.records)
    size = {k: sum(p.stat().st_size for p in (CACHE / k).glob("*.jsonl")) for k in ("spans", "logs")}
    print(f"data: {info['spans']:,} spans ({size['spans'] / 1e6:.0f} MB), {info['logs']:,} log records + "
          f"{info['metric_points']:,} metric points ({size['logs'] / 1e6:.0f} MB)")
    rows = []
    for name, folder, pattern, count_key in (("spans", CACHE / "spans", "*.jsonl", "spans"),
                                             ("logs", CACHE / "logs", "claude-code-logs-*.jsonl", "logs")):
        # The logs folder also holds Claude Code's metric files; ingest only the logs for a clean ratio.
        source = folder
        if name == "logs":
            source = CACHE / "logs-only"
            if not source.exists():
                source.mkdir()
                for f in folder.glob(pattern):
                    (source / f.name).symlink_to(f)
        bare = bare_read(source, "*.jsonl")
        elapsed, stats = ours(source)
        n = info[count_key]
        assert stats["loaded"].get(name if name == "spans" else "logs", 0) + stats["quarantined"] >= n * 0.99, stats
        rows.append((name, n, n / bare, n / elapsed, bare / elapsed))
    print(f"{'signal':<8} {'records':>10} {'bare read_ndjson rec/s':>24} {'ingest end-to-end rec/s':>25} {'ratio':>7}")
    for name, n, bare_rate, our_rate, ratio in rows:
        print(f"{name:<8} {n:>10,} {bare_rate:>24,.0f} {our_rate:>25,.0f} {ratio:>7.2f}")
    print("targets: ratio >= 0.50 x bare read; >= 150,000 records/s end to end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
