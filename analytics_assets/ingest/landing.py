"""Incremental reading of append-only landing files by cursor (identity + byte offset).

Pure Python, no Dagster and no DuckDB: the caller persists cursors (in the warehouse, in the same
transaction as the rows, so a crash never separates the two).

- Only complete lines are read; a half-written last line waits for the next run.
- A file's identity is its inode plus a hash of its first bytes. A different identity (rotated:
  renamed away and recreated), a size below the cursor (truncated) or different bytes just before
  the cursor (rewritten in place) restart it from byte 0; the loader's idempotent keys make that
  re-read harmless.
- Memory stays bounded: bytes are read in chunks, and a line longer than `max_line_bytes` is
  skipped in a streaming way and reported as oversize (its head kept for quarantine).
- A file whose first line is a lone `{` is a whole pretty-printed document (the OTLP examples);
  it is read as one unit, up to `max_document_bytes`.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from pathlib import Path
from queue import Empty, Full, Queue
from typing import Iterator, Sequence

HEAD_BYTES = 256


@dataclass(frozen=True)
class Cursor:
    path: str
    inode: int
    head_hash: str  # sha256 of the first min(HEAD_BYTES, offset) bytes when the cursor was written
    head_len: int
    offset: int
    mode: str = "lines"  # or "document"
    tail_hash: str = ""  # sha256 of the HEAD_BYTES before offset: a rewrite of the same size shows here
    mtime_ns: int = 0  # the file's mtime when it was read to its end (0: not at its end, or unknown)


@dataclass
class Chunk:
    offsets: list[int] = field(default_factory=list)
    lines: list[bytes] = field(default_factory=list)
    oversize: list[tuple[int, int, bytes]] = field(default_factory=list)  # (offset, length, head)
    end_offset: int = 0  # cursor position after this chunk


@dataclass(frozen=True)
class Plan:
    path: Path
    start: int
    reason: str  # new | append | rotated | truncated | rewritten | unchanged | document
    inode: int
    size: int
    mode: str
    mtime_ns: int = 0
    head: tuple[str, int] | None = None  # (hash, length) of the file's first bytes, when planning read them


def _file_hashes(path: Path, head_len: int, offset: int | None = None) -> tuple[str, int, str]:
    """From one open of the file: the hash of its first `head_len` bytes and how many it has of them,
    and (with an `offset`) the hash of the HEAD_BYTES before `offset` (else "")."""
    with path.open("rb") as f:
        head = f.read(head_len)
        if offset is None:
            return hashlib.sha256(head).hexdigest(), len(head), ""
        start = max(0, offset - HEAD_BYTES)
        f.seek(start)
        return hashlib.sha256(head).hexdigest(), len(head), hashlib.sha256(f.read(offset - start)).hexdigest()


def _looks_like_document(path: Path) -> bool:
    with path.open("rb") as f:
        first = f.readline(64)
    return first.strip() == b"{"


def unchanged(cursor: Cursor | None, stat: os.stat_result) -> bool:
    """Read to its end and not written since: nothing to open (most files of a history, every run)."""
    return cursor is not None and bool(cursor.mtime_ns) and (stat.st_ino, stat.st_size, stat.st_mtime_ns) == (cursor.inode, cursor.offset, cursor.mtime_ns)


def plan_file(path: Path, cursor: Cursor | None, documents: bool = True, stat: os.stat_result | None = None) -> Plan:
    """What to read of `path` given its cursor (`stat`: the file's, when the caller has it)."""
    stat = stat or path.stat()
    if unchanged(cursor, stat):
        return Plan(path, cursor.offset, "unchanged", stat.st_ino, stat.st_size, cursor.mode, stat.st_mtime_ns)
    mode = "document" if documents and stat.st_size and _looks_like_document(path) else "lines"
    plan = lambda start, reason: Plan(path, start, reason, stat.st_ino, stat.st_size, mode, stat.st_mtime_ns)  # noqa: E731
    if cursor is None:
        return plan(0, "new")
    if stat.st_ino == cursor.inode and stat.st_size < cursor.offset:
        return plan(0, "truncated")
    if stat.st_ino != cursor.inode:
        return plan(0, "rotated")
    head_hash, _, tail_hash = _file_hashes(path, cursor.head_len, cursor.offset if cursor.tail_hash else None)
    if cursor.head_len and head_hash != cursor.head_hash:
        return plan(0, "rotated")
    if cursor.tail_hash and tail_hash != cursor.tail_hash:
        return plan(0, "rewritten")
    if stat.st_size == cursor.offset:
        return plan(cursor.offset, "unchanged")
    if cursor.mode == "document" or mode == "document":
        return plan(0, "document")  # a document is re-read whole
    return replace(plan(cursor.offset, "append"), head=(cursor.head_hash, cursor.head_len) if cursor.head_len else None)


def cursor_after(plan: Plan, offset: int, data: bytes = b"", data_offset: int = 0, head: bytes = b"") -> Cursor:
    """The cursor at `offset`. Its head and tail hashes come from `data` (bytes just read, from
    file offset `data_offset`) or `head` (the file's first bytes) where they hold them, else from the file."""
    head_len = min(HEAD_BYTES, offset)
    if data_offset == 0 and len(data) >= head_len:
        head_hash = hashlib.sha256(data[:head_len]).hexdigest()
    elif len(head) >= head_len:
        head_hash = hashlib.sha256(head[:head_len]).hexdigest()
    elif plan.head is not None and plan.head[1] == head_len:
        head_hash = plan.head[0]  # planning found the file's head as the cursor had it
    else:
        head_hash, head_len, _ = _file_hashes(plan.path, head_len)
    start = max(0, offset - HEAD_BYTES)
    if data_offset <= start and offset <= data_offset + len(data):
        tail_hash = hashlib.sha256(data[start - data_offset : offset - data_offset]).hexdigest()
    else:
        tail_hash = _file_hashes(plan.path, 0, offset)[2]
    # The mtime vouches for the bytes only when the cursor is at the end of what was planned.
    mtime_ns = plan.mtime_ns if offset == plan.size else 0
    return Cursor(str(plan.path), plan.inode, head_hash, head_len, offset, plan.mode, tail_hash, mtime_ns)


def read_document(plan: Plan, max_document_bytes: int) -> Chunk:
    if plan.size > max_document_bytes:
        with plan.path.open("rb") as f:
            head = f.read(4096)
        return Chunk(oversize=[(0, plan.size, head)], end_offset=plan.size)
    data = plan.path.read_bytes()[: plan.size]
    return Chunk(offsets=[0], lines=[data], end_offset=plan.size)


@dataclass
class Block:
    """Complete lines as read: `data` ends with a newline (or is empty) and starts at file offset
    `offset`. Lines too long to hold in memory were skipped while streaming (`oversize`); a line
    longer than `max_line_bytes` may still sit inside `data` when the read was larger than that."""

    data: bytes = b""
    offset: int = 0
    oversize: list[tuple[int, int, bytes]] = field(default_factory=list)  # (offset, length, head)
    end_offset: int = 0  # cursor position after this block

    def split(self, max_line_bytes: int) -> Chunk:
        """The block as a list of lines (without newline or trailing CR), oversize ones set aside."""
        chunk = Chunk(oversize=list(self.oversize), end_offset=self.end_offset)
        offset = self.offset
        for line in self.data.split(b"\n")[:-1]:
            if len(line) > max_line_bytes:
                chunk.oversize.append((offset, len(line) + 1, line[:4096]))
            else:
                chunk.offsets.append(offset)
                chunk.lines.append(line.rstrip(b"\r"))
            offset += len(line) + 1
        return chunk


def read_blocks(plan: Plan, chunk_bytes: int = 64 << 20, max_line_bytes: int = 32 << 20) -> Iterator[Block]:
    """Blocks of complete lines from `plan.start` up to the size planned (bytes appended since
    wait for the next run); the last block's end_offset is the new cursor. A file that fits in
    `chunk_bytes` is one read of exactly its size and one block, with no copy of its bytes."""
    with plan.path.open("rb", buffering=0) as f:
        f.seek(plan.start)
        position = plan.start  # file offset of buf[0]
        remaining = plan.size - plan.start
        buf = b""
        skipping: tuple[int, bytes] | None = None  # (line start, head) of an oversize line
        while remaining > 0:
            data = f.read(min(chunk_bytes, remaining))
            if not data:
                break
            remaining -= len(data)
            if skipping is not None:
                newline = data.find(b"\n")
                if newline < 0:
                    position += len(data)
                    continue
                start, head = skipping
                end = position + newline + 1
                yield Block(offset=end, oversize=[(start, end - start, head)], end_offset=end)
                skipping = None
                position = end
                data = data[newline + 1 :]
            buf = buf + data if buf else data
            last = buf.rfind(b"\n")
            if last < 0:
                if len(buf) > max_line_bytes:
                    skipping = (position, buf[:4096])
                    position += len(buf)
                    buf = b""
                continue
            # A whole-buffer slice of bytes is the same object: no copy for files read in one go.
            complete, buf = buf[: last + 1], buf[last + 1 :]
            yield Block(complete, position, end_offset=position + last + 1)
            position += last + 1
            if len(buf) > max_line_bytes:
                skipping = (position, buf[:4096])
                position += len(buf)
                buf = b""


def blocks_with_cursors(plan: Plan, chunk_bytes: int = 64 << 20, max_line_bytes: int = 32 << 20) -> Iterator[tuple[Block, Cursor]]:
    """`read_blocks`, each block with the file's cursor after it (hashed from the block's own bytes)."""
    for block in read_blocks(plan, chunk_bytes, max_line_bytes):
        yield block, cursor_after(plan, block.end_offset, block.data, block.offset)


def read_lines(plan: Plan, chunk_bytes: int = 64 << 20, max_line_bytes: int = 32 << 20) -> Iterator[Chunk]:
    """Chunks of complete lines from `plan.start`; the last chunk's end_offset is the new cursor."""
    for block in read_blocks(plan, chunk_bytes, max_line_bytes):
        yield block.split(max_line_bytes)


def landing_paths(roots: Sequence[Path], patterns: tuple[str, ...]) -> list[Path]:
    """Every file under the roots whose name matches a pattern (hidden ones aside), once, in path
    order (by parts: "a/x" before "a-b/x")."""
    return [Path(name) for name in landing_names(roots, patterns)]


def landing_names(roots: Sequence[Path], patterns: tuple[str, ...]) -> list[str]:
    """`landing_paths` as strings."""
    names = [name for root in roots for name in _landing_names(root, patterns)]
    if len(roots) > 1:  # roots may nest: one file, one entry
        names = sorted(set(names), key=lambda name: name.split(os.sep))
    return names


def _landing_names(directory: Path | str, patterns: tuple[str, ...]) -> list[str]:
    """One root's files as strings, in path order. One scandir walk (symlinked folders not followed,
    as rglob does not; a file's type from its directory entry, a stat only for a symlink), not an
    rglob per pattern: every run lists every file of a history, thousands of them."""
    found, folders = [], [os.fspath(directory)]
    while folders:
        try:
            entries = os.scandir(folders.pop())
        except OSError:
            continue  # vanished or unreadable: os.walk skipped it too
        with entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.path)
                elif (not entry.name.startswith(".") and any(fnmatchcase(entry.name, pattern) for pattern in patterns)
                      and entry.is_file()):
                    found.append(entry.path)
    found.sort(key=lambda p: p.split(os.sep))
    return found


def readable(path: Path) -> str | None:
    """None when the file can be read, else why not (permissions, vanished)."""
    try:
        with path.open("rb"):
            return None
    except OSError as exc:
        return unreadable(exc)


def unreadable(exc: OSError) -> str:
    return f"{type(exc).__name__}: {exc.strerror or exc}"


def prefetch(items: Iterator, depth: int = 2) -> Iterator:
    """`items`, produced by a background thread up to `depth` ahead. Reading a file releases the
    GIL, so the next file comes off the disk (and into memory) while this one is decoded: on two
    cores the reads cost almost nothing. An error in the thread is raised here, in order; when the
    consumer stops early the thread stops at its next item."""
    queue: Queue = Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        queue.put((item, None), timeout=0.1)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
            queue.put((done, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            queue.put((done, exc))

    thread = threading.Thread(target=produce, name="landing-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item, error = queue.get()
            if item is done:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                queue.get_nowait()
            except Empty:
                thread.join(0.05)
