"""Transcript landing sources: Claude Code and Codex histories into `raw.claude_requests` and
`raw.codex_events`, through the shared ingest loop. Where transcripts live (roots) is decided
here, as the agents define it. No Dagster import."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import polars as pl

from .. import validation
from ..ingest.runner import RAW_TEXT_BOUND
from ..privacy import redact
from ..project_config import ProjectConfig
from . import claude, codex
from .schemas import SCHEMAS


def _split(value: str | None) -> list[Path]:
    return [Path(p).expanduser() for p in (value or "").split(",") if p.strip()]


def _projects(folder: Path) -> Path:
    return folder if folder.name == "projects" else folder / "projects"


def claude_roots(landing: Path, config: ProjectConfig = ProjectConfig()) -> list[Path]:
    """`projects/` folders to scan: every machine synced into landing/claude/<machine>/, the
    config's extra roots, and (unless the config turns it off) this machine's own:
    CLAUDE_CONFIG_DIR, comma-separated, else ~/.config/claude and ~/.claude."""
    synced = sorted(p for p in (landing / "claude").glob("*") if p.is_dir())
    home = []
    if config.include_home:
        home = _split(os.environ.get("CLAUDE_CONFIG_DIR")) or [Path.home() / ".config" / "claude", Path.home() / ".claude"]
    return [_projects(p) for p in [*synced, *config.claude_roots, *home] if _projects(p).is_dir()]


def codex_roots(landing: Path, config: ProjectConfig = ProjectConfig()) -> list[Path]:
    synced = sorted(p for p in (landing / "codex").glob("*") if p.is_dir())
    home = [Path(os.environ.get("CODEX_HOME") or Path.home() / ".codex").expanduser()] if config.include_home else []
    sessions = lambda p: p if p.name == "sessions" else p / "sessions"  # noqa: E731
    return [sessions(p) for p in [*synced, *config.codex_roots, *home] if sessions(p).is_dir()]


def machine_of(path: str, landing: Path) -> str:
    """landing/<agent>/<machine>/... names its machine; anything else is this machine's own."""
    try:
        parts = Path(path).relative_to(landing).parts
        return parts[1]
    except (ValueError, IndexError):
        return socket.gethostname()


class _TranscriptSource:
    name: str
    frame: str
    content_keyed = frozenset({"claude_requests", "codex_events"})  # a line's own text is its identity
    patterns = ("*.jsonl",)
    documents = False

    def __init__(self, landing: Path):
        self.landing = landing
        self.tables = {self.frame: f"raw.{self.frame}"}

    @staticmethod
    def parse(sources, offsets, lines, raw_bound):
        raise NotImplementedError

    def decode(self, sources, offsets, lines):
        rows, quarantine, skipped = self.parse(sources, offsets, lines, RAW_TEXT_BOUND)
        return {self.frame: rows}, quarantine, skipped

    def split_valid(self, frame_name: str, frame: pl.DataFrame):
        return validation.split_valid(SCHEMAS[frame_name], frame)

    def scrub(self, frame_name: str, frame: pl.DataFrame) -> pl.DataFrame:
        # Home paths name people: cwd keeps the project's path below the home folder.
        machines = {f: machine_of(f, self.landing) for f in frame.get_column("source_file").unique().to_list()}
        return frame.with_columns(
            redact(pl.col("cwd")),
            pl.col("source_file").replace_strict(machines, return_dtype=pl.String).alias("machine"),
        )


class ClaudeSource(_TranscriptSource):
    name, frame = "claude", "claude_requests"
    parse = staticmethod(claude.parse_lines)


class CodexSource(_TranscriptSource):
    name, frame = "codex", "codex_events"
    parse = staticmethod(codex.parse_lines)
