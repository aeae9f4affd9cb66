"""The one ingest loop every line-oriented landing source shares (OTLP, transcripts, ...).

A source says how to decode a batch of complete lines into frames (one per raw table), how to
validate them (pandera), and how to scrub them (privacy). The runner does the rest: find files
under the roots, plan each by its cursor, read new complete lines in bounded chunks, and write
rows, quarantine and cursors of a batch in one DuckDB transaction, so a run killed at any point
leaves the warehouse as if the batch had never been read, and the next run resumes exactly.
No Dagster import.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Protocol, Sequence

import duckdb
import polars as pl

from .. import warehouse
from .landing import Chunk, Cursor, cursor_after, landing_files, plan_file, read_document, read_lines, readable

RAW_TEXT_BOUND = 4096
QUARANTINE_SCHEMA = {"source_file": pl.String, "source_offset": pl.Int64, "signal": pl.String, "reason": pl.String, "raw_text": pl.String}
# Columns a source's frames carry that are not stored: the key's source text is replaced by the key.
INTERNAL_COLUMNS = ("attr_errors", "reason")

log = logging.getLogger(__name__)


class LineSource(Protocol):
    name: str  # cursor and quarantine source name
    tables: Mapping[str, str]  # frame name -> raw table
    content_keyed: frozenset[str]  # frames keyed by an md5 of `record_key_src` (others: the text itself)
    patterns: tuple[str, ...]
    documents: bool  # accept whole pretty-printed JSON documents (a file whose first line is "{")

    def decode(
        self, sources: list[str], offsets: list[int], lines: list[bytes]
    ) -> tuple[dict[str, pl.DataFrame], pl.DataFrame, int]:
        """Frames per table (with source_file, source_offset, record_key_src), quarantine rows, and
        how many lines were skipped as carrying nothing to load (e.g. transcript user turns)."""

    def split_valid(self, frame_name: str, frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(valid rows, invalid rows with a `reason` column)."""

    def scrub(self, frame_name: str, frame: pl.DataFrame) -> pl.DataFrame:
        """Privacy: hash identities, redact free text."""


@dataclass
class IngestStats:
    files_seen: int = 0
    files_read: int = 0
    lines: int = 0
    lines_skipped: int = 0  # lines with nothing to load (not requests, not usage events)
    bytes_read: int = 0
    records: Counter = field(default_factory=Counter)  # per frame: decoded records
    loaded: Counter = field(default_factory=Counter)
    duplicates: Counter = field(default_factory=Counter)
    # Per frame: records the schema rejected. "undecoded": lines that could not be decoded,
    # oversize lines, and records a source took out while decoding.
    quarantined: Counter = field(default_factory=Counter)
    event_dates: set = field(default_factory=set)
    notes: list = field(default_factory=list)  # rotated / truncated / unreadable files

    @property
    def quarantined_total(self) -> int:
        return sum(self.quarantined.values())

    def touched_dates(self) -> list[str]:
        return sorted(d.isoformat() if isinstance(d, dt.date) else str(d) for d in self.event_dates)


def stored(frame: pl.DataFrame) -> pl.DataFrame:
    """Columns as stored: the internal ones dropped, the load time added."""
    return frame.drop(*INTERNAL_COLUMNS, strict=False).with_columns(pl.lit(warehouse.now()).alias("ingested_at"))


def ensure_tables(con: duckdb.DuckDBPyConnection, source: LineSource) -> None:
    warehouse.ensure_bookkeeping(con)
    frames, _, _ = source.decode([], [], [])
    for name, frame in frames.items():
        shape = stored(source.scrub(name, frame)).rename({"record_key_src": "record_key"})
        warehouse.ensure_table(con, source.tables[name], shape)


def quarantine_rows(bad: pl.DataFrame, signal: str, shown: list[str], bound: int = RAW_TEXT_BOUND) -> pl.DataFrame:
    """Rows a contract rejected (split_valid's second frame) as quarantine rows: where they came
    from, why, and the `shown` columns as bounded JSON."""
    if bad.height == 0:
        return pl.DataFrame(schema=QUARANTINE_SCHEMA)
    raw = pl.struct(shown).struct.json_encode().str.head(bound)
    return bad.select("source_file", "source_offset", pl.lit(signal).alias("signal"), "reason", raw.alias("raw_text"))


def _record_quarantine(bad: pl.DataFrame, frame_name: str) -> pl.DataFrame:
    return quarantine_rows(bad, frame_name, bad.drop("record_key_src", *INTERNAL_COLUMNS, strict=False).columns)


@dataclass
class _Batch:
    """Complete lines from one or more files, written in one transaction with their cursors."""

    sources: list = field(default_factory=list)
    offsets: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    oversize: list = field(default_factory=list)
    cursors: dict = field(default_factory=dict)
    size: int = 0

    def add(self, path: Path, chunk: Chunk, cursor: Cursor, max_line_bytes: int) -> None:
        name = str(path)
        self.sources.extend([name] * len(chunk.lines))
        self.offsets.extend(chunk.offsets)
        self.lines.extend(chunk.lines)
        self.size += sum(len(line) + 1 for line in chunk.lines)
        self.oversize.extend(
            {
                "source_file": name,
                "source_offset": offset,
                "signal": None,
                "reason": f"line of {length} bytes exceeds the {max_line_bytes}-byte limit",
                "raw_text": head[:RAW_TEXT_BOUND].decode("utf-8", "replace") + "…",
            }
            for offset, length, head in chunk.oversize
        )
        self.cursors[name] = cursor


def _insert(con: duckdb.DuckDBPyConnection, source: LineSource, frame_name: str, frame: pl.DataFrame) -> int:
    frame = frame.rename({"record_key_src": "record_key"})
    if frame_name in source.content_keyed:
        # md5 by DuckDB: polars' hash is not stable across versions, and keys live in the warehouse.
        with warehouse.registered(con, "_keyed", frame):
            frame = con.execute("SELECT * REPLACE (md5(record_key) AS record_key) FROM _keyed").pl()
    return warehouse.insert_new(con, source.tables[frame_name], frame)


def _write_batch(con: duckdb.DuckDBPyConnection, source: LineSource, batch: _Batch, stats: IngestStats) -> None:
    frames, decode_quarantine, skipped = source.decode(batch.sources, batch.offsets, batch.lines)
    stats.lines += len(batch.lines) + len(batch.oversize)
    stats.lines_skipped += skipped
    stats.bytes_read += batch.size
    oversize = pl.DataFrame(batch.oversize, schema=QUARANTINE_SCHEMA)
    quarantine = [decode_quarantine, oversize]
    stats.quarantined["undecoded"] += decode_quarantine.height + oversize.height
    to_insert: dict[str, pl.DataFrame] = {}
    for name, frame in frames.items():
        stats.records[name] += frame.height
        if frame.height == 0:
            continue
        good, bad = source.split_valid(name, frame)
        stats.quarantined[name] += bad.height
        quarantine.append(_record_quarantine(bad, name))
        good = stored(source.scrub(name, good))
        if "event_date" in good.columns:
            stats.event_dates.update(d for d in good.get_column("event_date").unique().to_list() if d is not None)
        to_insert[name] = good
    with warehouse.transaction(con):
        for name, good in to_insert.items():
            inserted = _insert(con, source, name, good)
            stats.loaded[name] += inserted
            stats.duplicates[name] += good.height - inserted
        warehouse.insert_quarantine(con, source.name, pl.concat(quarantine, how="vertical_relaxed"))
        warehouse.save_cursors(con, source.name, list(batch.cursors.values()))


def run_ingest(
    con: duckdb.DuckDBPyConnection,
    source: LineSource,
    roots: Sequence[Path],
    batch_bytes: int = 64 << 20,
    max_line_bytes: int = 32 << 20,
) -> IngestStats:
    """Read every landing file's new complete lines under `roots`; write them in batches of ~batch_bytes."""
    ensure_tables(con, source)
    stats = IngestStats()
    cursors = warehouse.load_cursors(con, source.name)
    batch = _Batch()
    paths = sorted({p for root in roots for p in landing_files(Path(root), source.patterns)})
    for path in paths:
        stats.files_seen += 1
        problem = readable(path)
        if problem:
            stats.notes.append(f"{path}: skipped, unreadable ({problem}); other files continue")
            log.warning("skipping unreadable landing file %s: %s", path, problem)
            continue
        plan = plan_file(path, cursors.get(str(path)), documents=source.documents)
        if plan.reason == "unchanged":
            continue
        if plan.reason in ("rotated", "truncated", "rewritten"):
            stats.notes.append(f"{path}: {plan.reason}; re-read from byte 0 (already loaded records are skipped by key)")
            log.warning("landing file %s was %s; re-reading it from the start", path, plan.reason)
        stats.files_read += 1
        chunks = [read_document(plan, max_line_bytes)] if plan.mode == "document" else read_lines(plan, batch_bytes, max_line_bytes)
        for chunk in chunks:
            batch.add(path, chunk, cursor_after(plan, chunk.end_offset), max_line_bytes)
            if batch.size >= batch_bytes:
                _write_batch(con, source, batch, stats)
                batch = _Batch()
    if batch.cursors:
        _write_batch(con, source, batch, stats)
    return stats
