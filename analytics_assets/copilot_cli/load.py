"""The GitHub Copilot CLI landing source: its OTel file export into `raw.copilot_cli_usage` through the shared ingest
loop. Where the files are: ~/.copilot/otel/*.jsonl and the folder of COPILOT_OTEL_FILE_EXPORTER_PATH (as ccusage
reads them), and landing/copilot_cli/<machine>/otel/ for synced or pushed machines. No Dagster import."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from .. import validation
from ..ingest.runner import RAW_TEXT_BOUND
from ..project_config import ProjectConfig
from ..transcripts.load import machine_of
from ..transcripts.roots import copilot_cli_homes
from . import otel_file
from .schemas import SCHEMAS


def copilot_cli_roots(landing: Path, config: ProjectConfig = ProjectConfig(), env=os.environ) -> list[Path]:
    synced = sorted(p / "otel" for p in (landing / "copilot_cli").glob("*") if (p / "otel").is_dir())
    home = [p for p in copilot_cli_homes(env) if p.is_dir()] if config.include_home else []
    return list(dict.fromkeys([*synced, *home]))


class CopilotCliSource:
    name = "copilot_cli"
    frame = "copilot_cli_usage"
    content_keyed = frozenset({"copilot_cli_usage"})
    ranked: dict = {}
    patterns = ("*.jsonl",)
    documents = False
    batch_bytes = 64 << 20

    def __init__(self, landing: Path):
        self.landing = landing
        self.tables = {self.frame: f"raw.{self.frame}"}

    def decode(self, sources, offsets, lines):
        rows, quarantine, skipped = otel_file.parse_lines(sources, offsets, lines, RAW_TEXT_BOUND)
        return {self.frame: rows}, quarantine, skipped

    def upgrade(self, con, catalog) -> None:
        pass

    def split_valid(self, frame_name: str, frame: pl.DataFrame):
        return validation.split_valid(SCHEMAS[frame_name], frame)

    def scrub(self, frame_name: str, frame: pl.DataFrame) -> pl.DataFrame:
        machines = {f: machine_of(f, self.landing) for f in frame.get_column("source_file").unique().to_list()}
        return frame.with_columns(pl.col("source_file").replace_strict(machines, return_dtype=pl.String).alias("machine"))
