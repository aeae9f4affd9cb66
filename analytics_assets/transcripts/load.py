"""Transcript landing sources: Claude Code and Codex histories into `raw.claude_requests` and
`raw.codex_events`, through the shared ingest loop. Where transcripts live (roots) is decided
here, as the agents define it. No Dagster import."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import polars as pl

from .. import validation, warehouse
from ..ingest.runner import RAW_TEXT_BOUND
from ..privacy import redact_distinct
from ..project_config import ProjectConfig
from . import claude, codex
from .roots import claude_homes, codex_homes
from .schemas import SCHEMAS


def _roots(landing: Path, agent: str, subfolder: str, extra: tuple[Path, ...], home: list[Path]) -> list[Path]:
    """The `subfolder` (projects/, sessions/) of every machine synced into landing/<agent>/<machine>/,
    of the config's extra roots and of this machine's own folders, where it exists."""
    inner = lambda folder: folder if folder.name == subfolder else folder / subfolder  # noqa: E731
    synced = sorted(p for p in (landing / agent).glob("*") if p.is_dir())
    return [inner(p) for p in [*synced, *extra, *home] if inner(p).is_dir()]


def claude_roots(landing: Path, config: ProjectConfig = ProjectConfig()) -> list[Path]:
    """Claude Code's own folders, unless the config turns them off: CLAUDE_CONFIG_DIR,
    comma-separated, else ~/.config/claude and ~/.claude."""
    return _roots(landing, "claude", "projects", config.claude_roots, claude_homes() if config.include_home else [])


def codex_roots(landing: Path, config: ProjectConfig = ProjectConfig()) -> list[Path]:
    """Codex's own folder, unless the config turns it off: CODEX_HOME, else ~/.codex."""
    return _roots(landing, "codex", "sessions", config.codex_roots, codex_homes() if config.include_home else [])


def machine_of(path: str, landing: Path) -> str:
    """landing/<agent>/<machine>/... names its machine; anything else is this machine's own.
    (By string: a batch's every file, every run; a Path and the exception relative_to raises for a
    file elsewhere cost ~15 µs each.)"""
    inside = os.path.join(landing, "")
    parts = path[len(inside):].split(os.sep) if path.startswith(inside) else []
    return parts[1] if len(parts) > 1 else socket.gethostname()


ONE_ROW_PER_REQUEST = "one row per Claude Code request (message.id + requestId)"


class _TranscriptSource:
    name: str
    frame: str
    # Keyed by an md5 of record_key_src: a Claude request's ids (else the line's place and text), a Codex line's text.
    content_keyed = frozenset({"claude_requests", "codex_events"})
    ranked = {"claude_requests": claude.REQUEST_RANK}
    patterns = ("*.jsonl",)
    documents = False
    batch_bytes = 64 << 20

    def __init__(self, landing: Path):
        self.landing = landing
        self.tables = {self.frame: f"raw.{self.frame}"}

    @staticmethod
    def parse(sources, offsets, lines, raw_bound):
        raise NotImplementedError

    def decode(self, sources, offsets, lines):
        rows, quarantine, skipped = self.parse(sources, offsets, lines, RAW_TEXT_BOUND)
        return {self.frame: rows}, quarantine, skipped

    def upgrade(self, con, catalog) -> None:
        pass  # nothing to bring up to date (ClaudeSource has)

    def split_valid(self, frame_name: str, frame: pl.DataFrame):
        return validation.split_valid(SCHEMAS[frame_name], frame)

    def scrub(self, frame_name: str, frame: pl.DataFrame) -> pl.DataFrame:
        # Home paths name people: cwd keeps the project's path below the home folder.
        machines = {f: machine_of(f, self.landing) for f in frame.get_column("source_file").unique().to_list()}
        return redact_distinct(frame, "cwd").with_columns(
            pl.col("source_file").replace_strict(machines, return_dtype=pl.String).alias("machine"),
        )


class ClaudeSource(_TranscriptSource):
    """Claude Code transcripts, read by blocks (the fast path: see claude.scan_block)."""

    name, frame = "claude", "claude_requests"
    parse = staticmethod(claude.parse_lines)
    new_scan = staticmethod(claude.Scan)
    scan_block = staticmethod(claude.scan_block)
    export_scan = staticmethod(claude.export)
    merge_scan = staticmethod(claude.merge)

    def decode_scan(self, scan: claude.Scan):
        rows, quarantine, skipped = claude.finish(scan, RAW_TEXT_BOUND)
        return {self.frame: rows}, quarantine, skipped, scan.lines, scan.oversize

    def upgrade(self, con, catalog) -> None:
        """raw.claude_requests held one row per line (keyed by the line's uuid, streaming writes
        deduplicated in dbt) before it held one per request. A table its comment does not call
        one-per-request is rekeyed and deduplicated once, as the load would have; an empty table
        only gets the comment."""
        table = self.tables[self.frame]
        if catalog.comment(table) == ONE_ROW_PER_REQUEST:
            return
        key = ("CASE WHEN r.message_id IS NOT NULL AND r.request_id IS NOT NULL "
               "THEN md5('request:' || r.message_id || ':' || r.request_id) ELSE r.record_key END")
        with warehouse.transaction(con):
            if con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]:
                con.execute(f"""CREATE OR REPLACE TABLE {table} AS
                    SELECT r.* REPLACE ({key} AS record_key) FROM {table} r
                    QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY {claude.REQUEST_RANK.order('r')}) = 1""")
            con.execute(f"COMMENT ON TABLE {table} IS '{ONE_ROW_PER_REQUEST}'")


class CodexSource(_TranscriptSource):
    name, frame = "codex", "codex_events"
    parse = staticmethod(codex.parse_lines)
