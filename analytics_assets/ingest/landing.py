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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

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


def _head(path: Path, length: int) -> tuple[str, int]:
    with path.open("rb") as f:
        data = f.read(length)
    return hashlib.sha256(data).hexdigest(), len(data)


def _tail(path: Path, offset: int) -> str:
    start = max(0, offset - HEAD_BYTES)
    with path.open("rb") as f:
        f.seek(start)
        return hashlib.sha256(f.read(offset - start)).hexdigest()


def _looks_like_document(path: Path) -> bool:
    with path.open("rb") as f:
        first = f.readline(64)
    return first.strip() == b"{"


def plan_file(path: Path, cursor: Cursor | None, documents: bool = True) -> Plan:
    stat = path.stat()
    mode = "document" if documents and stat.st_size and _looks_like_document(path) else "lines"
    if cursor is None:
        return Plan(path, 0, "new", stat.st_ino, stat.st_size, mode)
    if stat.st_ino == cursor.inode and stat.st_size < cursor.offset:
        return Plan(path, 0, "truncated", stat.st_ino, stat.st_size, mode)
    if stat.st_ino != cursor.inode or (cursor.head_len and _head(path, cursor.head_len)[0] != cursor.head_hash):
        return Plan(path, 0, "rotated", stat.st_ino, stat.st_size, mode)
    if cursor.tail_hash and _tail(path, cursor.offset) != cursor.tail_hash:
        return Plan(path, 0, "rewritten", stat.st_ino, stat.st_size, mode)
    if stat.st_size == cursor.offset:
        return Plan(path, cursor.offset, "unchanged", stat.st_ino, stat.st_size, mode)
    if cursor.mode == "document" or mode == "document":
        return Plan(path, 0, "document", stat.st_ino, stat.st_size, mode)  # a document is re-read whole
    return Plan(path, cursor.offset, "append", stat.st_ino, stat.st_size, mode)


def cursor_after(plan: Plan, offset: int) -> Cursor:
    head_hash, head_len = _head(plan.path, min(HEAD_BYTES, offset))
    return Cursor(str(plan.path), plan.inode, head_hash, head_len, offset, plan.mode, _tail(plan.path, offset))


def read_document(plan: Plan, max_document_bytes: int) -> Chunk:
    if plan.size > max_document_bytes:
        with plan.path.open("rb") as f:
            head = f.read(4096)
        return Chunk(oversize=[(0, plan.size, head)], end_offset=plan.size)
    data = plan.path.read_bytes()[: plan.size]
    return Chunk(offsets=[0], lines=[data], end_offset=plan.size)


def read_lines(plan: Plan, chunk_bytes: int = 64 << 20, max_line_bytes: int = 32 << 20) -> Iterator[Chunk]:
    """Chunks of complete lines from `plan.start`; the last chunk's end_offset is the new cursor."""
    with plan.path.open("rb") as f:
        f.seek(plan.start)
        position = plan.start  # file offset of buf[0]
        buf = b""
        skipping: tuple[int, bytes] | None = None  # (line start, head) of an oversize line
        while True:
            data = f.read(chunk_bytes)
            if not data:
                break
            if skipping is not None:
                newline = data.find(b"\n")
                if newline < 0:
                    position += len(data)
                    continue
                start, head = skipping
                end = position + newline + 1
                yield Chunk(oversize=[(start, end - start, head)], end_offset=end)
                skipping = None
                position = end
                data = data[newline + 1 :]
            buf += data
            last = buf.rfind(b"\n")
            if last < 0:
                if len(buf) > max_line_bytes:
                    skipping = (position, buf[:4096])
                    position += len(buf)
                    buf = b""
                continue
            complete, buf = buf[: last + 1], buf[last + 1 :]
            chunk = Chunk(end_offset=position + last + 1)
            offset = position
            for line in complete.split(b"\n")[:-1]:
                if len(line) > max_line_bytes:
                    chunk.oversize.append((offset, len(line) + 1, line[:4096]))
                else:
                    chunk.offsets.append(offset)
                    chunk.lines.append(line.rstrip(b"\r"))
                offset += len(line) + 1
            position = chunk.end_offset
            yield chunk
            if len(buf) > max_line_bytes:
                skipping = (position, buf[:4096])
                position += len(buf)
                buf = b""


def landing_files(directory: Path, patterns: tuple[str, ...] = ("*.jsonl", "*.json", "*.ndjson")) -> list[Path]:
    if not directory.exists():
        return []
    found: set[Path] = set()
    for pattern in patterns:
        found.update(p for p in directory.rglob(pattern) if p.is_file() and not p.name.startswith("."))
    return sorted(found)


def readable(path: Path) -> str | None:
    """None when the file can be read, else why not (permissions, vanished)."""
    try:
        with path.open("rb"):
            return None
    except OSError as exc:
        return f"{type(exc).__name__}: {exc.strerror or exc}"

