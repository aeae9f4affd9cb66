"""What the benches share: the demo's arguments and command, and the environment of a bench folder (its own
landing, warehouse, outputs and Dagster instance; this machine's own agent homes kept out)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--developers", type=int, default=12)
    parser.add_argument("--scale", type=float, default=1.0)


def demo_command(args: argparse.Namespace, landing: Path, seed: int = 7) -> list[str]:
    return [str(BIN / "python"), "-m", "analytics_assets.demo", "--days", str(args.days), "--developers", str(args.developers),
            "--seed", str(seed), "--scale", str(args.scale), "--out", str(landing)]


def folder_env(folder: Path) -> dict:
    """landing/, output/, warehouse.duckdb and dagster_home/ under `folder`."""
    landing = folder / "landing"
    return {**os.environ, "DAGSTER_HOME": str(folder / "dagster_home"), "ANALYTICS_LANDING_DIR": str(landing),
            "ANALYTICS_DUCKDB_PATH": str(folder / "warehouse.duckdb"), "ANALYTICS_OUTPUT_DIR": str(folder / "output"),
            "ANALYTICS_CONFIG": str(landing / "analytics.demo.yaml"), "CLAUDE_CONFIG_DIR": str(folder / "no-home"),
            "CODEX_HOME": str(folder / "no-home")}
