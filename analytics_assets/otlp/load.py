"""Ingest `landing/otlp/` into `raw.otlp_spans`, `raw.otlp_logs`, `raw.otlp_metric_points`.

No Dagster import: the asset calls `ingest_otlp` and reports the returned stats. Each chunk of
complete lines is decoded, validated (pandera), privacy-scrubbed and written together with the
file's new cursor in one DuckDB transaction, so a run killed at any point leaves the warehouse
as if the chunk had never been read, and the next run picks up exactly there.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from .. import warehouse
from ..ingest.landing import Chunk, Cursor, cursor_after, landing_files, plan_file, read_document, read_lines, readable
from ..privacy import hash_identities, redact
from .flatten import IDENTITY_COLUMNS, QUARANTINE_SCHEMA, decode_lines
from .schemas import split_valid

SOURCE = "otlp"
TABLES = {"spans": "raw.otlp_spans", "logs": "raw.otlp_logs", "metric_points": "raw.otlp_metric_points"}
REDACTED_COLUMNS = {"spans": ("status_message",), "logs": ("error",), "metric_points": ()}
RAW_TEXT_BOUND = 4096

log = logging.getLogger(__name__)


@dataclass
class IngestStats:
    files_seen: int = 0
    files_read: int = 0
    lines: int = 0
    bytes_read: int = 0
    records: Counter = field(default_factory=Counter)  # per signal: decoded records
    loaded: Counter = field(default_factory=Counter)
    duplicates: Counter = field(default_factory=Counter)
    # Per signal: records pandera rejected. "undecoded": lines that could not be decoded, oversize
    # lines, and records taken out for an unknown AnyValue kind.
    quarantined: Counter = field(default_factory=Counter)
    event_dates: set = field(default_factory=set)
    notes: list = field(default_factory=list)  # rotated / truncated / unreadable files

    @property
    def quarantined_total(self) -> int:
        return sum(self.quarantined.values())


def empty_frames() -> dict[str, pl.DataFrame]:
    return {signal: _prepare(frame) for signal, frame in decode_lines([], [], []).frames().items()}


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    warehouse.ensure_bookkeeping(con)
    for signal, frame in empty_frames().items():
        warehouse.ensure_table(con, TABLES[signal], frame.rename({"record_key_src": "record_key"}))


def _prepare(frame: pl.DataFrame) -> pl.DataFrame:
    """Columns as stored: bookkeeping added, the internal ones dropped."""
    return frame.drop("attr_errors", "reason", strict=False).with_columns(pl.lit(warehouse.now()).alias("ingested_at"))


def _record_quarantine(bad: pl.DataFrame, signal: str) -> pl.DataFrame:
    if bad.height == 0:
        return pl.DataFrame(schema=QUARANTINE_SCHEMA)
    shown = bad.drop("record_key_src", "reason", "attr_errors", strict=False)
    raw = pl.struct(shown.columns).struct.json_encode().str.head(RAW_TEXT_BOUND)
    return bad.select("source_file", "source_offset", pl.lit(signal).alias("signal"), "reason", raw.alias("raw_text"))


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


def _write_batch(con: duckdb.DuckDBPyConnection, batch: _Batch, salt: bytes, keep_names: bool, stats: IngestStats) -> None:
    decoded = decode_lines(batch.sources, batch.offsets, batch.lines, RAW_TEXT_BOUND)
    stats.lines += len(batch.lines) + len(batch.oversize)
    stats.bytes_read += batch.size
    oversize = pl.DataFrame(batch.oversize, schema=QUARANTINE_SCHEMA)
    quarantine = [decoded.quarantine, oversize]
    stats.quarantined["undecoded"] += decoded.quarantine.height + oversize.height
    to_insert: dict[str, pl.DataFrame] = {}
    for signal, frame in decoded.frames().items():
        stats.records[signal] += frame.height
        if frame.height == 0:
            continue
        good, bad = split_valid(signal, frame)
        stats.quarantined[signal] += bad.height
        quarantine.append(_record_quarantine(bad, signal))
        if not keep_names:
            good = hash_identities(good, IDENTITY_COLUMNS, salt)
        good = good.with_columns(*(redact(pl.col(c)) for c in REDACTED_COLUMNS[signal]))
        good = _prepare(good)
        stats.event_dates.update(d for d in good.get_column("event_date").unique().to_list() if d is not None)
        to_insert[signal] = good
    con.execute("BEGIN TRANSACTION")
    try:
        for signal, good in to_insert.items():
            inserted = _insert(con, signal, good.rename({"record_key_src": "record_key"}))
            stats.loaded[signal] += inserted
            stats.duplicates[signal] += good.height - inserted
        warehouse.insert_quarantine(con, SOURCE, pl.concat(quarantine, how="vertical_relaxed"))
        warehouse.save_cursors(con, SOURCE, list(batch.cursors.values()))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _insert(con: duckdb.DuckDBPyConnection, signal: str, frame: pl.DataFrame) -> int:
    # Spans are keyed by trace_id:span_id; logs and points by a content hash, computed by DuckDB's
    # md5 because polars' hash is not stable across versions and keys live in the warehouse.
    if signal != "spans":
        con.register("_keyed", frame.to_arrow())
        try:
            frame = con.execute("SELECT * REPLACE (md5(record_key) AS record_key) FROM _keyed").pl()
        finally:
            con.unregister("_keyed")
    return warehouse.insert_new(con, TABLES[signal], frame)


def ingest_otlp(
    con: duckdb.DuckDBPyConnection,
    otlp_dir: Path,
    salt: bytes,
    keep_names: bool = False,
    batch_bytes: int = 64 << 20,
    max_line_bytes: int = 32 << 20,
) -> IngestStats:
    """Read every landing file's new complete lines; write them in batches of ~batch_bytes."""
    ensure_tables(con)
    stats = IngestStats()
    cursors = warehouse.load_cursors(con, SOURCE)
    batch = _Batch()
    for path in landing_files(otlp_dir):
        stats.files_seen += 1
        problem = readable(path)
        if problem:
            stats.notes.append(f"{path}: skipped, unreadable ({problem}); other files continue")
            log.warning("skipping unreadable landing file %s: %s", path, problem)
            continue
        plan = plan_file(path, cursors.get(str(path)))
        if plan.reason == "unchanged":
            continue
        if plan.reason in ("rotated", "truncated"):
            stats.notes.append(f"{path}: {plan.reason}; re-read from byte 0 (already loaded records are skipped by key)")
            log.warning("landing file %s was %s; re-reading it from the start", path, plan.reason)
        stats.files_read += 1
        chunks = [read_document(plan, max_line_bytes)] if plan.mode == "document" else read_lines(plan, batch_bytes, max_line_bytes)
        for chunk in chunks:
            batch.add(path, chunk, cursor_after(plan, chunk.end_offset), max_line_bytes)
            if batch.size >= batch_bytes:
                _write_batch(con, batch, salt, keep_names, stats)
                batch = _Batch()
    if batch.cursors:
        _write_batch(con, batch, salt, keep_names, stats)
    return stats


def touched_dates(stats: IngestStats) -> list[str]:
    return sorted(d.isoformat() if isinstance(d, dt.date) else str(d) for d in stats.event_dates)
