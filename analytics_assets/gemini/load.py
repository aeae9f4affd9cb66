"""The Gemini CLI landing source: saved chats into `raw.gemini_messages` through the shared ingest loop.
Where the chats live (roots) is decided here, as Gemini CLI and ccusage define it. No Dagster import."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from .. import validation
from ..ingest.runner import RAW_TEXT_BOUND
from ..project_config import ProjectConfig
from ..transcripts.load import machine_of
from ..transcripts.roots import gemini_homes
from ..warehouse import Rank
from . import chats
from .schemas import SCHEMAS

# Of the copies of one message (a rewritten chat repeats it), the one with the most tokens, then the latest.
MESSAGE_RANK = Rank(
    polars=(pl.col("total_tokens"), pl.col("source_offset")),
    sql=("coalesce({row}.total_tokens, -1)", "{row}.source_offset"),
)


def gemini_roots(landing: Path, config: ProjectConfig = ProjectConfig()) -> list[Path]:
    """landing/gemini/<machine>/tmp of every synced or pushed machine, and this machine's own unless the
    config turns them off."""
    synced = sorted(p / "tmp" for p in (landing / "gemini").glob("*") if (p / "tmp").is_dir())
    home = [p for p in gemini_homes() if p.is_dir()] if config.include_home else []
    return [*synced, *home]


class GeminiSource:
    name = "gemini"
    frame = "gemini_messages"
    content_keyed = frozenset({"gemini_messages"})
    ranked = {"gemini_messages": MESSAGE_RANK}
    patterns = ("*.json", "*.jsonl")
    documents = True  # a chat is one pretty-printed JSON document, rewritten as it grows
    batch_bytes = 64 << 20

    def __init__(self, landing: Path):
        self.landing = landing
        self.tables = {self.frame: f"raw.{self.frame}"}

    def decode(self, sources, offsets, lines):
        rows, quarantine, skipped = chats.parse_lines(sources, offsets, lines, RAW_TEXT_BOUND)
        return {self.frame: rows}, quarantine, skipped

    def upgrade(self, con, catalog) -> None:
        pass

    def split_valid(self, frame_name: str, frame: pl.DataFrame):
        return validation.split_valid(SCHEMAS[frame_name], frame)

    def scrub(self, frame_name: str, frame: pl.DataFrame) -> pl.DataFrame:
        machines = {f: machine_of(f, self.landing) for f in frame.get_column("source_file").unique().to_list()}
        return frame.with_columns(pl.col("source_file").replace_strict(machines, return_dtype=pl.String).alias("machine"))
