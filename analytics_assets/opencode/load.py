"""The OpenCode landing source: messages into `raw.opencode_messages` through the shared ingest loop. No Dagster
import.

Where OpenCode keeps them: OPENCODE_DATA_DIR (comma-separated, as ccusage reads it), else
$XDG_DATA_HOME/opencode, else ~/.local/share/opencode; a synced or pushed machine's under
landing/opencode/<machine>/ (`push` sends a machine's exports to its `exports/`). Its SQLite databases are exported to JSON lines beside the warehouse
(`<warehouse>.opencode/<machine>/<db>.jsonl`, rewritten only when a database changed), and those exports and
the legacy `storage/message/**/msg_*.json` files are what the loop reads, by cursor like every source.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import polars as pl

from .. import validation
from ..ingest.runner import RAW_TEXT_BOUND
from ..project_config import ProjectConfig
from ..privacy import redact_distinct
from ..transcripts.load import machine_of
from ..transcripts.roots import opencode_homes
from ..warehouse import Rank
from . import messages
from .schemas import SCHEMAS

# Of a message's copies (streamed updates, a database and a legacy file), the one with the most tokens.
MESSAGE_RANK = Rank(
    polars=(pl.sum_horizontal("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"), pl.col("source_offset")),
    sql=("coalesce({row}.input_tokens, 0) + coalesce({row}.output_tokens, 0) + coalesce({row}.cache_read_tokens, 0)"
         " + coalesce({row}.cache_write_tokens, 0)", "{row}.source_offset"),
)


def export_root(duckdb_path: Path) -> Path:
    return duckdb_path.with_name(duckdb_path.name + ".opencode")


def opencode_roots(landing: Path, duckdb_path: Path, config: ProjectConfig = ProjectConfig()) -> list[Path]:
    """The folders the ingest reads: every machine's legacy message files, and the exports of every machine's
    databases (made here, when a database changed)."""
    machines = [(p.name, p) for p in sorted((landing / "opencode").glob("*")) if p.is_dir()]
    if config.include_home:
        machines += [(socket.gethostname(), home) for home in opencode_homes() if home.is_dir()]
    exports = export_root(duckdb_path)
    roots = []
    for machine, home in machines:
        legacy = home / "storage" / "message"
        if legacy.is_dir():
            roots.append(legacy)
        if (home / "exports").is_dir():  # a pushing machine's exports (push exports its databases itself)
            roots.append(home / "exports")
        for db in messages.databases(home):
            messages.export_database(db, exports / machine / f"{db.stem}.jsonl")
        if (exports / machine).is_dir():
            roots.append(exports / machine)
    return roots


class OpenCodeSource:
    name = "opencode"
    frame = "opencode_messages"
    content_keyed = frozenset({"opencode_messages"})
    ranked = {"opencode_messages": MESSAGE_RANK}
    patterns = ("msg_*.json", "opencode*.jsonl")
    documents = True  # a legacy message file is one (pretty-printed) JSON document
    batch_bytes = 64 << 20

    def __init__(self, landing: Path, duckdb_path: Path):
        self.landing, self.exports = landing, export_root(duckdb_path)
        self.tables = {self.frame: f"raw.{self.frame}"}

    def decode(self, sources, offsets, lines):
        rows, quarantine, skipped = messages.parse_lines(sources, offsets, lines, RAW_TEXT_BOUND)
        return {self.frame: rows}, quarantine, skipped

    def upgrade(self, con, catalog) -> None:
        pass

    def split_valid(self, frame_name: str, frame: pl.DataFrame):
        return validation.split_valid(SCHEMAS[frame_name], frame)

    def machine(self, path: str) -> str:
        """An export's machine is its folder's (<exports>/<machine>/...); a landing file's its landing folder's."""
        inside = os.path.join(self.exports, "")
        return path[len(inside):].split(os.sep)[0] if path.startswith(inside) else machine_of(path, self.landing)

    def scrub(self, frame_name: str, frame: pl.DataFrame) -> pl.DataFrame:
        machines = {f: self.machine(f) for f in frame.get_column("source_file").unique().to_list()}
        return redact_distinct(frame, "cwd").with_columns(
            pl.col("source_file").replace_strict(machines, return_dtype=pl.String).alias("machine"))
