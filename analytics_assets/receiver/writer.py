"""Append accepted OTLP requests to landing/otlp in the collector `file` exporter format (one
Export*ServiceRequest JSON per line), durably: the line is flushed and fsynced before the
receiver answers 200, so a crash after the answer loses nothing. Files rotate by size and age,
so the landing sensor sees closed files; the ingest reads open ones too (whole lines only)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import threading
import time
from pathlib import Path

SIGNALS = ("traces", "logs", "metrics")


class LandingWriter:
    def __init__(self, folder: Path, rotate_bytes: int = 64 << 20, rotate_seconds: float = 300.0,
                 min_free_bytes: int = 256 << 20):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.rotate_bytes, self.rotate_seconds, self.min_free_bytes = rotate_bytes, rotate_seconds, min_free_bytes
        self._locks = {s: threading.Lock() for s in SIGNALS}
        self._files: dict[str, tuple] = {}  # signal -> (file object, opened at, path)
        self.files_written = 0

    def disk_ok(self) -> bool:
        return shutil.disk_usage(self.folder).free >= self.min_free_bytes

    def _open(self, signal: str):
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        path = self.folder / f"receiver-{signal}-{stamp}-{os.getpid()}.jsonl"
        handle = open(path, "ab")
        self.files_written += 1
        # The directory entry must survive a crash too, not only the bytes.
        fd = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return handle, time.monotonic(), path

    def write(self, signal: str, line: bytes) -> Path:
        with self._locks[signal]:
            current = self._files.get(signal)
            if current and (current[0].tell() >= self.rotate_bytes or time.monotonic() - current[1] >= self.rotate_seconds):
                current[0].close()
                current = None
            if current is None:
                current = self._files[signal] = self._open(signal)
            handle = current[0]
            handle.write(line + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
            return current[2]

    def close(self) -> None:
        for signal, lock in self._locks.items():
            with lock:
                current = self._files.pop(signal, None)
                if current:
                    current[0].close()
