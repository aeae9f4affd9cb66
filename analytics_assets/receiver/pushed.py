"""The receiver's side of `push`: pushed transcript bytes land exactly where a synced folder would
put them (landing/claude/<machine>/projects/..., landing/codex/<machine>/sessions/...), so the
transcript sources, sensors and cursors read them unchanged.

Every chunk names its place: (path, offset, hash of the bytes before offset). A chunk is appended
only at the offset the file has and only when the bytes before it hash as the client's do;
otherwise the answer is a conflict with what the server has, and the client resumes from there (or
replaces the file, when its copy was rewritten). So a chunk sent twice, a killed client or a killed
receiver never duplicate or lose a line. No Dagster import, no HTTP: the server wires it.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from .. import faults
from ..ingest.landing import HEAD_BYTES
from ..transcripts.roots import FOLDER_MAP_NAME, FOLDER_MAPS, SUBFOLDERS, SUFFIXES  # the one folder of a machine's tree pushes may write under
MAX_PATH = 1024


class PushRefused(ValueError):
    """A request the receiver will not apply: `status` is the HTTP answer (400 bad path, 403 not yours)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Outcome:
    applied: bool  # False: a conflict, `offset`/`tail` say what the server holds
    offset: int
    tail: str


def tail_hash(path: Path, offset: int) -> str:
    """sha256 of the HEAD_BYTES before `offset` (the landing cursors' rewrite check)."""
    start = max(0, offset - HEAD_BYTES)
    try:
        with open(path, "rb") as f:
            f.seek(start)
            return hashlib.sha256(f.read(offset - start)).hexdigest()
    except FileNotFoundError:
        return hashlib.sha256(b"").hexdigest()


def split_path(relative: str) -> list[str]:
    """`<agent>/<machine>/<projects|sessions>/.../<file>.jsonl`, checked: relative, no `.`/`..`,
    no empty part, no backslash or control character, an agent and folder the transcripts read."""
    if not relative or len(relative) > MAX_PATH or relative.startswith("/") or "\\" in relative \
            or any(ord(c) < 32 or ord(c) == 127 for c in relative):
        raise PushRefused(400, "the path must be relative, without backslashes or control characters")
    parts = relative.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise PushRefused(400, "the path must not hold '..', '.' or empty parts")
    if len(parts) == 3 and parts[0] == FOLDER_MAPS and parts[2] == FOLDER_MAP_NAME:
        return parts  # the machine's map of working folders to repositories (git/folders.py reads it)
    if len(parts) < 4 or SUBFOLDERS.get(parts[0]) != parts[2] or not parts[-1].endswith(SUFFIXES[parts[0]]):
        raise PushRefused(400, "the path must be claude/<machine>/projects/.../*.jsonl, codex/<machine>/sessions/.../*.jsonl, "
                              f"gemini/<machine>/tmp/.../*.json(l), copilot_cli/<machine>/otel/*.jsonl, opencode/<machine>/exports/.../*.jsonl "
                              f"or {FOLDER_MAPS}/<machine>/{FOLDER_MAP_NAME}")
    return parts


class PushLanding:
    def __init__(self, landing: Path):
        self.landing = Path(landing)
        self._locks: dict[Path, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def _lock(self, path: Path) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(path, threading.Lock())

    def target(self, machine: str, relative: str) -> Path:
        """The landing file for `relative`, pushed by `machine`'s token. Another machine's folder is
        403; a symlink anywhere below landing/<agent>/ is refused, so nothing is written outside it."""
        parts = split_path(relative)
        if parts[1] != machine:
            raise PushRefused(403, f"this token writes under {parts[0]}/{machine}/ only")
        folder = self.landing / parts[0]
        for part in parts[1:-1]:
            folder = folder / part
            if folder.is_symlink():
                raise PushRefused(400, "the path goes through a symbolic link")
        path = folder / parts[-1]
        if path.is_symlink():
            raise PushRefused(400, "the path is a symbolic link")
        return path

    def state(self, path: Path) -> Outcome:
        size = path.stat().st_size if path.exists() else 0
        return Outcome(False, size, tail_hash(path, size))

    def append(self, path: Path, offset: int, tail: str, data: bytes, replace: bool = False) -> Outcome:
        """Apply one chunk to `path` (from `target`). Not fsynced (an fsync per chunk was most of a first
        push's time): a killed receiver loses nothing the kernel has; a power loss may lose the last
        chunks, and the next push sends them again, because the 409 says where the server's copy ends."""
        with self._lock(path):
            if replace:
                if offset != 0:
                    raise PushRefused(400, "a replacing chunk starts at offset 0")
                return self._replace(path, data)
            current = self.state(path)
            if offset != current.offset or tail != current.tail:
                return current
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o640)
            try:
                half = len(data) // 2
                _write_all(fd, data[:half])
                faults.point("receiver.push_mid_write")  # a crash here leaves a torn chunk; the client resumes after it
                _write_all(fd, data[half:])
            finally:
                os.close(fd)
            end = offset + len(data)
            return Outcome(True, end, tail_hash(path, end))

    def _replace(self, path: Path, data: bytes) -> Outcome:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.push-{os.getpid()}-{threading.get_ident()}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o640)
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)  # a new inode: the landing cursor reads it from byte 0 (a rotation)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return Outcome(True, len(data), tail_hash(path, len(data)))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
