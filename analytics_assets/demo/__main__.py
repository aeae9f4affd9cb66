"""python -m analytics_assets.demo --days 90 --developers 12 --seed 7 --scale 1 [--out landing/]"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time

from ..config import settings
from . import SOURCES, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analytics_assets.demo", description=__doc__)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--developers", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0, help="volume multiplier; ~1000 writes gigabytes")
    parser.add_argument("--end", type=dt.date.fromisoformat, default=None, help="last day (UTC); default yesterday")
    parser.add_argument("--out", default=None, help="landing folder (default ANALYTICS_LANDING_DIR or landing/)")
    parser.add_argument("--sources", default=",".join(SOURCES), help="comma-separated subset of " + ",".join(SOURCES))
    args = parser.parse_args(argv)
    out = args.out or settings().landing_dir
    started = time.perf_counter()
    manifest = generate(out, args.days, args.developers, args.seed, args.scale, args.end, tuple(args.sources.split(",")))
    summary = {name: {k: v for k, v in stats.items() if not isinstance(v, dict)} for name, stats in manifest["sources"].items()}
    print(f"demo data in {out} ({time.perf_counter() - started:.1f}s): {json.dumps(summary)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
