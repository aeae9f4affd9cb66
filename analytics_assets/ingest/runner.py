"""The one ingest loop every line-oriented landing source shares (OTLP, transcripts, ...).

A source says how to decode a batch of complete lines into frames (one per raw table), how to
validate them (pandera), and how to scrub them (privacy). The runner does the rest: find files
under the roots, plan each by its cursor, read new complete lines in bounded chunks, and write
rows, quarantine and cursors of a batch in one DuckDB transaction, so a run killed at any point
leaves the warehouse as if the batch had never been read, and the next run resumes exactly.
No Dagster import.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import sys
import threading
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from pathlib import Path
from queue import Queue
from typing import Callable, Iterable, Iterator, Mapping, NamedTuple, Protocol, Sequence

import duckdb
import msgspec
import polars as pl
import pyarrow as pa

from .. import faults, warehouse
from . import forked
from .landing import (Block, Chunk, Cursor, Plan, blocks_with_cursors, cursor_after, landing_names, plan_file, prefetch, read_document,
                      read_lines, readable, unchanged, unreadable)

RAW_TEXT_BOUND = 4096
# Below this many bytes to read, files are read on the caller's thread: handing small reads over
# from a prefetching thread costs more than it hides (12 MB in 50 files: 12 ms inline, 13-17 ms with it).
PREFETCH_MIN_BYTES = 32 << 20
# A block source's transaction covers up to this many times batch_bytes of reading: its rows are a
# few percent of the bytes read, and every commit costs an fsync; a few batches still let the
# writer thread commit one while the next is read.
SCAN_BATCH_FACTOR = 16
QUARANTINE_SCHEMA = {"source_file": pl.String, "source_offset": pl.Int64, "signal": pl.String, "reason": pl.String, "raw_text": pl.String}
# Columns a source's frames carry that are not stored: the key's source text is replaced by the key.
INTERNAL_COLUMNS = ("attr_errors", "reason")

log = logging.getLogger(__name__)


class LineSource(Protocol):
    name: str  # cursor and quarantine source name
    tables: Mapping[str, str]  # frame name -> raw table
    content_keyed: frozenset[str]  # frames keyed by an md5 of `record_key_src` (others: the text itself)
    ranked: Mapping[str, warehouse.Rank]  # frame -> rank of rows with one key (the best is kept: see warehouse.insert_new)
    patterns: tuple[str, ...]
    documents: bool  # accept whole pretty-printed JSON documents (a file whose first line is "{")
    batch_bytes: int  # a batch's bytes of lines, unless the run says otherwise

    def decode(
        self, sources: list[str], offsets: list[int], lines: list[bytes]
    ) -> tuple[dict[str, pl.DataFrame], pl.DataFrame, int]:
        """Frames per table (with source_file, source_offset, record_key_src), quarantine rows, and
        how many lines were skipped as carrying nothing to load (e.g. transcript user turns)."""

    def upgrade(self, con: duckdb.DuckDBPyConnection, catalog: warehouse.RawCatalog) -> None:
        """Bring tables an older version wrote to this version's shape (after they are ensured; `catalog`: the raw
        schema as read before)."""

    def split_valid(self, frame_name: str, frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(valid rows, invalid rows with a `reason` column)."""

    def scrub(self, frame_name: str, frame: pl.DataFrame) -> pl.DataFrame:
        """Privacy: hash identities, redact free text."""


class BlockSource(LineSource, Protocol):
    """A source with a fast path that reads blocks of lines as they come off the disk, keeping
    only what it needs (rows, not bytes): a batch then spans many reads and one transaction."""

    def new_scan(self, python_only: bool = False) -> object:
        """An empty scan; `python_only` in a forked scanner, which must not use polars."""

    def export_scan(self, scan: object) -> object:
        """A forked scanner's scan as it goes to the parent (picklable)."""

    def merge_scan(self, into: object, part: object) -> None:
        """Add an exported scan to the parent's."""

    def scan_block(self, scan: object, source: str, data: bytes, offset: int, max_line_bytes: int) -> None:
        """Add the complete lines in `data` (file `source`, from byte `offset`) to `scan`."""

    def decode_scan(self, scan: object) -> tuple[dict[str, pl.DataFrame], pl.DataFrame, int, int, list]:
        """Like `decode`, plus the lines scanned (oversize ones excluded) and the oversize lines
        found in blocks as (source, offset, length, head)."""


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
    replaced: Counter = field(default_factory=Counter)  # rows loaded earlier that a better row of their key replaced
    # Per frame: records the schema rejected. "undecoded": lines that could not be decoded,
    # oversize lines, and records a source took out while decoding.
    quarantined: Counter = field(default_factory=Counter)
    event_dates: set = field(default_factory=set)
    notes: list = field(default_factory=list)  # rotated / truncated / unreadable files
    # Frames of committed batches some of whose keys were stored before (or where that could not be told, see
    # warehouse.insert_new): 0 when every row stored is the best row of a key that was new (see days_loaded).
    stored_keys_met: int = 0

    @property
    def quarantined_total(self) -> int:
        return sum(self.quarantined.values())

    def touched_dates(self) -> list[str]:
        return sorted(d.isoformat() if isinstance(d, dt.date) else str(d) for d in self.event_dates)

    def add(self, other: "IngestStats") -> None:
        """Count `other`'s too (a batch's, shaped on another thread: each thread counts apart)."""
        for name in ("files_seen", "files_read", "lines", "lines_skipped", "bytes_read", "stored_keys_met"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("records", "loaded", "duplicates", "replaced", "quarantined"):
            getattr(self, name).update(getattr(other, name))
        self.event_dates |= other.event_dates
        self.notes += other.notes


def stored(frame: pl.DataFrame) -> pl.DataFrame:
    """Columns as stored: the internal ones dropped, the load time added."""
    return frame.drop(*INTERNAL_COLUMNS, strict=False).with_columns(pl.lit(warehouse.now()).alias("ingested_at"))


def ensure_tables(con: duckdb.DuckDBPyConnection, source: LineSource) -> None:
    """The bookkeeping tables and the source's raw tables exist (see ensure_raw_tables)."""
    catalog = warehouse.raw_catalog(con)
    warehouse.ensure_bookkeeping(con, catalog)
    ensure_raw_tables(con, source, catalog)


def ensure_raw_tables(con: duckdb.DuckDBPyConnection, source: LineSource, catalog: warehouse.RawCatalog) -> None:
    """The source's raw tables exist (empty until rows come: dbt's sources read them). A column a
    newer version adds is added by the first batch that carries it (see _insert). `catalog`: the raw
    schema as read before."""
    if not all(catalog.has(table) for table in source.tables.values()):
        frames, _, _ = source.decode([], [], [])  # their shape: decoding nothing costs ~10 ms of polars
        for name, frame in frames.items():
            warehouse.ensure_table(con, source.tables[name], _as_stored(source, name, frame))
    source.upgrade(con, catalog)


def _as_stored(source: LineSource, frame_name: str, frame: pl.DataFrame) -> pl.DataFrame:
    return stored(source.scrub(frame_name, frame)).rename({"record_key_src": "record_key"})


def quarantine_rows(bad: pl.DataFrame, signal: str, shown: list[str], bound: int = RAW_TEXT_BOUND) -> pl.DataFrame:
    """Rows a contract rejected (split_valid's second frame) as quarantine rows: where they came
    from, why, and the `shown` columns as bounded JSON."""
    if bad.height == 0:
        return pl.DataFrame(schema=QUARANTINE_SCHEMA)
    raw = pl.struct(shown).struct.json_encode().str.head(bound)
    return bad.select("source_file", "source_offset", pl.lit(signal).alias("signal"), "reason", raw.alias("raw_text"))


def _record_quarantine(bad: pl.DataFrame, frame_name: str) -> pl.DataFrame:
    return quarantine_rows(bad, frame_name, bad.drop("record_key_src", *INTERNAL_COLUMNS, strict=False).columns)


def _oversize_row(source: str, offset: int, length: int, head: bytes, max_line_bytes: int) -> dict:
    return {
        "source_file": source,
        "source_offset": offset,
        "signal": None,
        "reason": f"line of {length} bytes exceeds the {max_line_bytes}-byte limit",
        "raw_text": head[:RAW_TEXT_BOUND].decode("utf-8", "replace") + "…",
    }


@dataclass
class _Batch:
    """Complete lines from one or more files, written in one transaction with their cursors.
    A block source's batch holds its scan (rows) instead of the lines."""

    sources: list = field(default_factory=list)
    offsets: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    oversize: list = field(default_factory=list)
    cursors: dict = field(default_factory=dict)
    size: int = 0
    scan: object | None = None
    last: bool = False  # the run's last batch
    new_files: bool = False  # no cursor of its files is stored (set as it is handed to the writer)

    def add(self, path: Path, chunk: Chunk, cursor: Cursor, max_line_bytes: int) -> None:
        self.sources.extend([str(path)] * len(chunk.lines))
        self.offsets.extend(chunk.offsets)
        self.lines.extend(chunk.lines)
        self._file(path, sum(len(line) + 1 for line in chunk.lines), chunk.oversize, cursor, max_line_bytes)

    def add_scanned(self, source: BlockSource, path: Path, part: object, cursor: Cursor, size: int, oversize: list, max_line_bytes: int) -> None:
        """A whole file scanned by a forked scanner (see forked.py)."""
        source.merge_scan(self.scan, part)
        self._file(path, size, oversize, cursor, max_line_bytes)

    def add_block(self, source: BlockSource, path: Path, block: Block, cursor: Cursor, max_line_bytes: int) -> None:
        source.scan_block(self.scan, str(path), block.data, block.offset, max_line_bytes)
        self._file(path, len(block.data), block.oversize, cursor, max_line_bytes)

    def _file(self, path: Path, size: int, oversize: list, cursor: Cursor, max_line_bytes: int) -> None:
        """What every adder records of a file: bytes read, lines skipped as oversize, its cursor."""
        self.size += size
        self.oversize.extend(_oversize_row(str(path), *line, max_line_bytes) for line in oversize)
        self.cursors[str(path)] = cursor


class _Rows(NamedTuple):
    """A shaped frame as the committing thread inserts it (see `_insertable`)."""

    frame: pl.DataFrame | pa.Table
    repeated: bool  # a key repeats within the frame
    hash_key: bool  # its keys are still texts, hashed by the insert


def _insert(con: duckdb.DuckDBPyConnection, source: LineSource, frame_name: str, rows: _Rows, fresh: bool) -> tuple[int, int, bool]:
    warehouse.ensure_table(con, source.tables[frame_name], rows.frame)  # a table from an older version lacks a new column
    return warehouse.insert_new(con, source.tables[frame_name], rows.frame, hash_key=rows.hash_key, rank=source.ranked.get(frame_name),
                                none_stored=fresh, repeated=rows.repeated)


def _insertable(source: LineSource, frame_name: str, frame: pl.DataFrame, hash_key: bool) -> _Rows:
    """Made on the shaping thread: the key column named as stored, and (unless the source keeps a
    best row per key, which ranks the frame first) Arrow with whether a key repeats
    (warehouse.insertable); `hash_key`: its keys are still texts."""
    frame = frame.rename({"record_key_src": "record_key"})
    if frame_name in source.ranked:
        return _Rows(frame, False, hash_key)
    return _Rows(*warehouse.insertable(frame), hash_key)


@dataclass
class _Shaped:
    """A batch made rows: validated and scrubbed frames per table, quarantine rows, the cursors."""

    to_insert: dict[str, _Rows]
    quarantine: list
    batch: _Batch
    stats: IngestStats  # what shaping counted, added to the run's when the batch commits


def _shape_batch(source: LineSource, batch: _Batch, max_line_bytes: int,
                 decoded: Callable[[dict[str, tuple[pl.Series, bool]]], None] | None,
                 hashing: Callable[[], duckdb.DuckDBPyConnection]) -> _Shaped:
    """`decoded`: given the frames' keys (as stored) as soon as they are decoded, before the
    validation and scrubbing (the committing thread looks them up meanwhile). `hashing`: gives a cursor
    of the warehouse for the md5 of content-keyed frames' keys (warehouse.stored_keys), computed here
    rather than by the one writer (asked for only by a frame that large)."""
    stats = IngestStats()
    if batch.scan is None:
        frames, decode_quarantine, skipped = source.decode(batch.sources, batch.offsets, batch.lines)
        stats.lines += len(batch.lines) + len(batch.oversize)
    else:
        frames, decode_quarantine, skipped, lines, oversize = source.decode_scan(batch.scan)
        batch.oversize.extend(_oversize_row(*line, max_line_bytes) for line in oversize)
        stats.lines += lines + len(batch.oversize)
    stats.lines_skipped += skipped
    stats.bytes_read += batch.size
    # Content-keyed frames' md5 keys made here, off the one writer (~1 µs a row), where a batch is large
    # enough to repay a query on the shaper's own cursor (~2 ms); smaller ones are hashed by the insert.
    hashed = {name for name, frame in frames.items() if name in source.content_keyed and frame.height >= SHAPER_HASHED_ROWS}
    frames = {name: frame.with_columns(warehouse.stored_keys(hashing(), frame.get_column("record_key_src"))) if name in hashed else frame
              for name, frame in frames.items()}
    if decoded is not None:
        decoded({name: (frame.get_column("record_key_src"), name in source.content_keyed and name not in hashed)
                 for name, frame in frames.items() if frame.height})
    oversize = pl.DataFrame(batch.oversize, schema=QUARANTINE_SCHEMA)
    quarantine = [decode_quarantine, oversize]
    stats.quarantined["undecoded"] += decode_quarantine.height + oversize.height
    to_insert: dict[str, _Rows] = {}
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
        to_insert[name] = _insertable(source, name, good, name in source.content_keyed and name not in hashed)
    return _Shaped(to_insert, quarantine, batch, stats)


def _begin_batch(con: duckdb.DuckDBPyConnection, source: LineSource, batch: _Batch) -> None:
    """Open the batch's transaction with what needs only the batch read, not shaped: its cursors."""
    warehouse.begin(con)
    with warehouse.rolled_back_on_error(con):
        warehouse.save_cursors(con, source.name, list(batch.cursors.values()), new=batch.new_files)


def _look_up(con: duckdb.DuckDBPyConnection, source: LineSource, keys: Mapping[str, tuple[pl.Series, bool]]) -> dict[str, bool]:
    """In the batch's open transaction, per frame: no key of the batch is stored yet (its insert then
    needs no lookup)."""
    with warehouse.rolled_back_on_error(con):
        return {name: not warehouse.any_key_stored(con, source.tables[name], column, hash_key=hash_key)
                for name, (column, hash_key) in keys.items()}


def _finish_batch(con: duckdb.DuckDBPyConnection, source: LineSource, shaped: _Shaped, stats: IngestStats, fresh: Mapping[str, bool]) -> None:
    """Add the shaped batch's rows to its open transaction and commit it. `fresh`: the frames whose
    keys were looked up and none found stored."""
    with warehouse.rolled_back_on_error(con):
        for name, rows in shaped.to_insert.items():
            inserted, replaced, met = _insert(con, source, name, rows, fresh.get(name, False))
            stats.stored_keys_met += met
            stats.loaded[name] += inserted
            stats.replaced[name] += replaced
            stats.duplicates[name] += len(rows.frame) - inserted
        warehouse.insert_quarantine(con, source.name, pl.concat(shaped.quarantine, how="vertical_relaxed"))
        if shaped.batch.last:
            warehouse.checkpoint_at_commit(con)
    faults.point("ingest.before_commit")
    warehouse.commit(con)
    faults.point("ingest.after_commit")
    stats.add(shaped.stats)


def run_ingest(
    con: duckdb.DuckDBPyConnection,
    source: LineSource,
    roots: Sequence[Path],
    batch_bytes: int | None = None,
    max_line_bytes: int = 32 << 20,
    ahead: "ReadAhead | None" = None,
) -> IngestStats:
    """Read every landing file's new complete lines under `roots`; write them in batches of ~batch_bytes
    (the source's by default; a block source: in a few batches, the last one small; see `_flush_points`).
    `ahead`: a `read_ahead` of the same source, roots and sizes, started before `con` was opened."""
    batch_bytes = batch_bytes or source.batch_bytes
    stats = IngestStats()
    # The warehouse's bookkeeping (DuckDB statements, which release the GIL) overlaps listing the
    # landing files (system calls), planning the reads once the cursors are read, and reading: fixed
    # costs of every run, a fifth of a small incremental one. The connection is the preparing
    # thread's until it is done; the writer's threads wait for it before they use it.
    cursors: Future = Future()
    switch = ahead.switch if ahead is not None else sys.getswitchinterval()  # the read-ahead may have it lowered still
    with contextlib.ExitStack() as loading, ThreadPoolExecutor(max_workers=1) as pool:  # the pool ends (waits) first
        prepared = pool.submit(_prepare, con, source, cursors, loading)
        early = ahead.result() if ahead is not None and ahead.matches(source, roots, batch_bytes, max_line_bytes) else None
        found = early.found if early is not None else _found(source, roots)
        stored = cursors.result()
        if early is not None and early.hinted == stored:
            stats.add(early.stats)  # what the read-ahead planned from the hint is what these cursors plan
            plans, batches = early.plans, early.batches
        else:
            plans, batches = _plans(found, stored, source, stats), None
        for note in stats.notes:
            log.warning("%s", note)
        # The reader and writer threads need the GIL only for moments between long GIL-free calls (a
        # read, a DuckDB statement); at the default 5 ms they wait that long behind the decoding each time.
        sys.setswitchinterval(min(switch, 0.0002))
        try:
            with _Writer(con, source, stats, max_line_bytes, prepared) as writer:
                for batch in batches if batches is not None else _batches(source, plans, batch_bytes, max_line_bytes, prepared.result):
                    # `stored`: the warehouse's cursors as this run read them, and those of the batches before
                    batch.new_files = stored.keys().isdisjoint(batch.cursors)
                    writer.submit(batch)
                    for path, cursor in batch.cursors.items():
                        stored[path] = cursor
        finally:
            sys.setswitchinterval(switch)
        prepared.result()
    if ahead is not None:
        ahead.remember(stored)
    return stats


def days_loaded(con: duckdb.DuckDBPyConnection, tables: Iterable[str], since, stats: IngestStats | None = None) -> list[str]:
    """The event dates of the rows stored since `since` (new, or replacing a lesser copy): the days whose
    daily marts a refresh rebuilds. Not every date a run read: a rewritten file (an OpenCode database's
    export) is read whole, and its rows already stored change no day. `stats`: the run's; when no key it
    read was stored before it (`stored_keys_met`), it stored the best row of every key it
    read, and the dates it read are the answer without reading the tables again (on a lake, ~8 ms a
    table). A key whose copies in the run fall on two dates (a request streamed across midnight) names
    both: a day's marts rebuilt once more than needed, never one missed."""
    if stats is not None and stats.stored_keys_met == 0:
        return stats.touched_dates()
    days = set()
    for table in tables:
        try:
            days.update(str(d) for (d,) in con.execute(
                f"SELECT DISTINCT event_date FROM {table} WHERE ingested_at >= ? AND event_date IS NOT NULL", [since]).fetchall())
        except duckdb.BinderException:
            continue  # a table without event dates
    return sorted(days)


def has_new_bytes(con: duckdb.DuckDBPyConnection, source: LineSource, roots: Sequence[Path]) -> bool:
    """Whether a landing file under `roots` holds bytes the warehouse's cursors do not cover: what an
    ingest would read (the landing sensor's question before it launches a run on a warehouse it has
    not seen yet)."""
    plans = _plans(_found(source, roots), warehouse.load_cursors(con, source.name), source, IngestStats())
    return any(plan.size > plan.start for plan in plans)  # an empty new file has nothing to read


def _found(source: LineSource, roots: Sequence[Path]) -> dict[str, os.stat_result | None]:
    """Every landing file with its stat. Names and os.stat, not Path objects: every file of a history,
    every run (half the time)."""
    return {name: _stat(name) for name in landing_names(roots, source.patterns)}


def _batches(source: LineSource, plans: list[Plan], batch_bytes: int, max_line_bytes: int,
             before_fork: Callable[[], object]) -> Iterator[_Batch]:
    """The planned files' new lines (a block source: scanned) in batches for the writer, the last
    one marked. `before_fork`: called before scanners are forked (see forked.py)."""
    blocks = hasattr(source, "scan_block")
    new_batch = (lambda: _Batch(scan=source.new_scan())) if blocks else _Batch  # noqa: E731
    total = sum(plan.size - plan.start for plan in plans)
    schedule = _Schedule(batch_bytes, _flush_points(total, batch_bytes, batch_bytes * SCAN_BATCH_FACTOR) if blocks else None)
    batch = new_batch()
    if blocks and total >= forked.MIN_BYTES and forked.available():
        before_fork()
        for path, part, cursor, size, oversize in forked.scanned(source, plans, max_line_bytes):
            batch.add_scanned(source, path, part, cursor, size, oversize, max_line_bytes)
            if schedule.due(batch, size):
                yield batch
                batch = new_batch()
    else:
        reads = _reads(plans, batch_bytes, max_line_bytes, blocks)
        for path, piece, cursor in prefetch(reads) if total >= PREFETCH_MIN_BYTES else reads:
            if isinstance(piece, Block):
                batch.add_block(source, path, piece, cursor, max_line_bytes)
                read = len(piece.data)
            else:
                batch.add(path, piece, cursor, max_line_bytes)
                read = 0
            if schedule.due(batch, read):
                yield batch
                batch = new_batch()
    if batch.cursors:
        batch.last = True
        yield batch


@dataclass
class _Early:
    """What a read-ahead did before the warehouse was open."""

    found: dict[str, os.stat_result | None]  # the landing files and their stats
    hinted: dict[str, Cursor] | None = None  # the cursors the hint file held (None: no usable hint)
    stats: IngestStats | None = None  # and from them: the planning's counts and notes,
    plans: list[Plan] | None = None  # the plans,
    batches: list[_Batch] | None = None  # and, when they read little (< PREFETCH_MIN_BYTES), their batches, read


class ReadAhead:
    """The part of an ingest that needs no warehouse, started before it is opened (DuckDB takes
    ~12 ms to make a database instance, and reading the cursors a few more, with the GIL released):
    listing the landing files and, from the cursors the last run left in a hint file beside the
    warehouse, planning and (when small) reading and scanning them. The warehouse's cursors stay
    the truth: run_ingest uses the plans and batches only if the hint equals them (else it plans
    again from the files listed here), and writes the hint anew after a run that committed."""

    def __init__(self, source: LineSource, roots: Sequence[Path], hint: Path, batch_bytes: int | None = None,
                 max_line_bytes: int = 32 << 20):
        batch_bytes = batch_bytes or source.batch_bytes
        self.settings = (source, list(roots), batch_bytes, max_line_bytes)
        self.hint = hint
        self._early: Future = Future()
        # Its reading holds the GIL, which the opening of the warehouse meanwhile needs only for
        # moments: at the default 5 ms switch interval it would wait that long each time.
        self.switch = sys.getswitchinterval()
        sys.setswitchinterval(min(self.switch, 0.0002))
        threading.Thread(target=self._run, name="ingest-read-ahead", daemon=True).start()

    def _run(self) -> None:
        try:
            source, roots, batch_bytes, max_line_bytes = self.settings
            early = _Early(_found(source, roots))
            try:
                early.hinted = _load_hint(self.hint, source.name)
                if early.hinted is not None:
                    early.stats = IngestStats()
                    early.plans = _plans(early.found, early.hinted, source, early.stats)
                    if sum(plan.size - plan.start for plan in early.plans) < PREFETCH_MIN_BYTES:
                        early.batches = list(_batches(source, early.plans, batch_bytes, max_line_bytes, lambda: None))
            except Exception:  # noqa: BLE001 - e.g. a file gone since: run_ingest plans and reads again, and says what is wrong
                early = _Early(early.found)
            self._early.set_result(early)
        except BaseException as exc:  # noqa: BLE001 - raised where run_ingest asks for the result
            self._early.set_exception(exc)
        finally:
            sys.setswitchinterval(self.switch)

    def result(self) -> _Early:
        return self._early.result()

    def matches(self, source: LineSource, roots: Sequence[Path], batch_bytes: int, max_line_bytes: int) -> bool:
        return self.settings == (source, list(roots), batch_bytes, max_line_bytes)

    def remember(self, cursors: Mapping[str, Cursor]) -> None:
        """The cursors a run left in the warehouse, as the next run's hint (written whole, then
        renamed over the last: a reader never sees half of it)."""
        rows = [[getattr(c, name) for name in _CURSOR_FIELDS] for c in cursors.values()]
        temporary = self.hint.with_name(self.hint.name + ".tmp")
        try:
            temporary.write_bytes(msgspec.json.encode({"version": HINT_VERSION, "source": self.settings[0].name, "cursors": rows}))
            os.replace(temporary, self.hint)
        except OSError as exc:  # only a hint: the next run reads its cursors from the warehouse
            log.warning("could not write the cursor hint %s: %s", self.hint, exc)


HINT_VERSION = 1
_CURSOR_FIELDS = tuple(f.name for f in fields(Cursor))  # a hint's row: a Cursor's fields in order (Cursor(*row) reads it)


def _load_hint(hint: Path, source: str) -> dict[str, Cursor] | None:
    """The cursors a hint file holds, or None when there is none or it is not one of ours."""
    try:
        held = msgspec.json.decode(hint.read_bytes())
        if held.get("version") != HINT_VERSION or held.get("source") != source:
            return None
        return {row[0]: Cursor(*row) for row in held["cursors"]}
    except (OSError, msgspec.DecodeError, TypeError, KeyError, IndexError, AttributeError):
        return None


def read_ahead(source: LineSource, roots: Sequence[Path], warehouse_path: Path, batch_bytes: int | None = None,
               max_line_bytes: int = 32 << 20) -> ReadAhead:
    """A ReadAhead whose hint file sits beside the warehouse file (one per source)."""
    warehouse_path = Path(warehouse_path)
    return ReadAhead(source, roots, warehouse_path.with_name(f"{warehouse_path.name}.{source.name}-cursors.json"), batch_bytes, max_line_bytes)


def _prepare(con: duckdb.DuckDBPyConnection, source: LineSource, cursors: Future, loading: contextlib.ExitStack) -> list[duckdb.DuckDBPyConnection]:
    """The source's cursors (handed over as soon as they are read: in a warehouse that has them,
    before the bookkeeping tables are ensured), then the bookkeeping and raw tables and the bulk
    load's settings (`loading` restores them and checkpoints when the run ends). Returns a cursor
    of the warehouse per shaper (made here: a connection's cursor is not made from two threads at once)."""
    try:
        try:
            found = warehouse.load_cursors(con, source.name)
        except duckdb.Error:  # a new warehouse, or one from before a cursor column
            warehouse.ensure_bookkeeping(con)
            found = warehouse.load_cursors(con, source.name)
        cursors.set_result(found)
    except BaseException as exc:
        cursors.set_exception(exc)
        raise
    ensure_tables(con, source)
    loading.enter_context(warehouse.bulk_load(con))
    return [con.cursor() for _ in range(SHAPERS)]


class _Schedule:
    """When a batch goes to the writer: a line source's when it holds batch_bytes of lines, a block
    source's at the flush points of the bytes read so far."""

    def __init__(self, batch_bytes: int, points: Iterator[int] | None):
        self.batch_bytes, self.points, self.read = batch_bytes, points, 0
        self.next = next(points, None) if points is not None else None

    def due(self, batch: _Batch, read: int) -> bool:
        if self.points is None:
            return batch.size >= self.batch_bytes
        self.read += read
        if self.next is None or self.read < self.next:
            return False
        while self.next is not None and self.read >= self.next:
            self.next = next(self.points, None)
        return True


def _flush_points(total: int, smallest: int, largest: int) -> Iterator[int]:
    """Bytes read after which a block source's batch is handed to the writer. The writer commits a
    batch while the next is read, so only the last one is waited for: batches shrink towards the
    end (about 40 %, 30 %, 18 %, 8 %, 4 % of the bytes) and the wait is for a small one. Every
    batch has a fixed cost (validation, a commit), so none reads less than `smallest` bytes (a
    small ingest is one batch) or more than `largest`."""
    point = 0
    for share in (0.4, 0.7, 0.88, 0.96):
        target = int(total * share)
        if target - point < smallest or total - target < smallest:
            continue
        while target - point > largest:
            point += largest
            yield point
        point = target
        yield point


def _stat(name: str) -> os.stat_result | None:
    try:
        return os.stat(name)
    except OSError:
        return None  # plan_file stats it again and says why


def _plans(names: Mapping[str, os.stat_result | None], cursors: dict, source: LineSource, stats: IngestStats) -> list[Plan]:
    """What to read of each file (`names`: each with its stat): most files of a history are
    unchanged, which the stat tells before anything else is made of their names."""
    plans = []
    for name, stat in names.items():
        stats.files_seen += 1
        cursor = cursors.get(name)
        if stat is not None and unchanged(cursor, stat):
            continue
        path = Path(name)
        try:
            plan = plan_file(path, cursor, documents=source.documents, stat=stat)
            problem = None if plan.reason in ("unchanged", "append") else readable(path)  # an appended file's head and tail were read
        except OSError as exc:  # vanished, or no permission to read its head
            problem = unreadable(exc)
        if problem:
            stats.notes.append(f"{path}: skipped, unreadable ({problem}); other files continue")
            continue
        if plan.reason == "unchanged":
            continue
        if plan.reason in ("rotated", "truncated", "rewritten"):
            stats.notes.append(f"{path}: {plan.reason}; re-read from byte 0 (already loaded records are skipped by key)")
        stats.files_read += 1
        plans.append(plan)
    return plans


def _reads(plans: list[Plan], batch_bytes: int, max_line_bytes: int, blocks: bool) -> Iterator[tuple[Path, Block | Chunk, Cursor]]:
    """Every planned file's new complete lines, as (path, block or chunk, the file's cursor after it)."""
    for plan in plans:
        if plan.mode == "document":
            yield plan.path, read_document(plan, max_line_bytes), cursor_after(plan, plan.size)
        elif blocks:
            for block, cursor in blocks_with_cursors(plan, batch_bytes, max_line_bytes):
                yield plan.path, block, cursor
        else:
            for chunk in read_lines(plan, batch_bytes, max_line_bytes):
                yield plan.path, chunk, cursor_after(plan, chunk.end_offset)


# Batches shaped at once. A batch's polars work is partly single-threaded; two batches shaped side by
# side keep both cores busy (1 M OTLP spans: +8 % records/s, 32 MB batches then using less memory
# than one shaper with 64 MB ones).
SHAPERS = 2
# Content-keyed frames of at least this many rows get their md5 keys on the shaping thread (see
# _shape_batch): measured, the writer's md5 costs ~1 µs a row, a shaper's query ~2 ms whatever its size.
SHAPER_HASHED_ROWS = 16_384


class _Writer:
    """Writes batches on background threads: shaping threads decode, validate and scrub the next
    batches (polars, which releases the GIL) while one thread commits them in order (DuckDB, which
    does too), while the caller reads on. The committing thread opens a batch's transaction as
    soon as it is submitted (its cursors need no shaping), looks its keys up as soon as they are
    decoded (while the batch is validated and scrubbed), and adds its rows once shaped. At most
    one shaped batch waits beside the one committed next, which bounds memory. The connection is
    used by the committing thread alone until it ends. An error in any of them is raised in the
    caller at its next submit or at the end; every batch before the failed one is committed and
    none after it (each batch is its own transaction: the warehouse stays consistent, and the next
    run resumes from the cursors)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, source: LineSource, stats: IngestStats, max_line_bytes: int, prepared: Future):
        """`prepared`: done when the connection is free for the writer's threads; its result, a
        cursor of the warehouse per shaper (see _prepare)."""
        self.con, self.source, self.stats, self.max_line_bytes, self.prepared = con, source, stats, max_line_bytes, prepared
        self.queue: Queue = Queue(maxsize=1)  # (sequence number, batch) to shape, then one None per shaper
        self.changed = threading.Condition()  # guards the five below
        self.submitted = 0
        self.closed = False  # the caller submits no more
        self.batches: dict[int, _Batch] = {}  # submitted, their transaction not begun yet
        self.keys: dict[int, dict[str, tuple[pl.Series, bool]]] = {}  # decoded keys (and whether hashed by the insert), not looked up yet
        self.ready: dict[int, _Shaped | None] = {}  # shaped (None: its shaping failed or was skipped)
        self.following = 0  # the batch committed next
        self.error: BaseException | None = None
        self.stopped = False  # commit nothing more (the caller or a commit failed)
        self.threads = [*(threading.Thread(target=self._shape, name=f"ingest-shaper-{i}", daemon=True) for i in range(SHAPERS)),
                        threading.Thread(target=self._commit, name="ingest-writer", daemon=True)]

    def _shape(self) -> None:
        hashing = []

        def cursor() -> duckdb.DuckDBPyConnection:
            """This shaper's cursor of the warehouse, once the preparation has made them: asked for by a batch large
            enough to be hashed here, so a small one is shaped while the warehouse is still being prepared (on a
            lake, reading its catalog takes a few round trips to the catalog database)."""
            if not hashing:
                made = self.prepared.result()
                with self.changed:  # the two shapers take one each
                    hashing.append(made.pop())
            return hashing[0]

        while True:
            item = self.queue.get()
            if item is None:
                for con in hashing:
                    con.close()
                return
            number, batch, shaped = *item, None
            if self.error is None:
                try:
                    shaped = _shape_batch(self.source, batch, self.max_line_bytes, lambda keys: self._decoded(number, keys), cursor)
                except BaseException as exc:  # noqa: BLE001 - raised in the caller
                    self._fail(exc)
            with self.changed:
                # The batch committed next is always taken (else the two shapers could wait for each other).
                self.changed.wait_for(lambda: number == self.following or not self.ready)
                self.ready[number] = shaped
                self.changed.notify_all()

    def _decoded(self, number: int, keys: dict[str, tuple[pl.Series, bool]]) -> None:
        with self.changed:
            if number >= self.following:  # else already committed (without the lookup)
                self.keys[number] = keys
                self.changed.notify_all()

    def _next(self, begun: bool, looked_up: bool) -> tuple[str, object]:
        """What the committing thread does next, to the batch committed next: ("begin", the batch)
        once submitted, ("look up", its keys) once decoded and begun, ("finish", the batch shaped or
        None), or ("end", None)."""
        with self.changed:
            following = self.following
            self.changed.wait_for(lambda: following in self.ready or (not begun and following in self.batches)
                                  or (begun and not looked_up and following in self.keys)
                                  or (self.closed and following == self.submitted))
            if following in self.ready:
                self.batches.pop(following, None)
                self.keys.pop(following, None)
                shaped = self.ready.pop(following)
                self.following += 1
                self.changed.notify_all()
                return "finish", shaped
            if not begun and following in self.batches:
                return "begin", self.batches.pop(following)
            if begun and not looked_up and following in self.keys:
                return "look up", self.keys.pop(following)
            return "end", None

    def _commit(self) -> None:
        """Commit in submission order: a later batch may hold a file's later lines, and its
        cursor must not be saved before the earlier lines are; and a batch's keys are looked up
        in the warehouse as the batches before it left it."""
        begun, fresh = False, None  # the batch committed next: its transaction is open; its lookup
        try:
            self.prepared.result()
        except BaseException as exc:  # noqa: BLE001 - raised in the caller (by run_ingest's own wait)
            self._fail(exc, stop=True)
        while True:
            step, item = self._next(begun, fresh is not None)
            if step == "end":
                return
            if step == "finish" and item is None:  # its shaping failed: nothing from it on is committed
                self.stopped = True
            stopped = self.stopped  # once per step: the caller may stop the run meanwhile
            try:
                if stopped:
                    if begun:
                        warehouse.rollback(self.con)
                    begun, fresh = False, None
                elif step == "begin":
                    _begin_batch(self.con, self.source, item)
                    begun = True
                elif step == "look up":
                    fresh = _look_up(self.con, self.source, item)
                else:
                    if not begun:
                        _begin_batch(self.con, self.source, item.batch)
                    _finish_batch(self.con, self.source, item, self.stats, fresh or {})
            except BaseException as exc:  # noqa: BLE001 - raised in the caller
                self._fail(exc, stop=True)
                begun, fresh = False, None  # the failed step rolled its transaction back
            if step == "finish":
                begun, fresh = False, None

    def _fail(self, exc: BaseException, stop: bool = False) -> None:
        if self.error is None:
            self.error = exc
        self.stopped = self.stopped or stop

    def submit(self, batch: _Batch) -> None:
        self._raise()
        with self.changed:
            number = self.submitted
            self.batches[number] = batch
            self.submitted += 1
            self.changed.notify_all()
        self.queue.put((number, batch))

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def __enter__(self) -> "_Writer":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        if exc_info[0] is not None and exc_info[1] is not self.error:
            self._fail(exc_info[1], stop=True)  # the caller failed: write nothing more
        for _ in range(SHAPERS):
            self.queue.put(None)
        with self.changed:
            self.closed = True
            self.changed.notify_all()
        for thread in self.threads:
            thread.join()
        if self.prepared.done() and self.prepared.exception() is None:
            for unused in self.prepared.result():  # a shaper that had no batch
                unused.close()
        if exc_info[0] is None:
            self._raise()
