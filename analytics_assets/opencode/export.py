"""OpenCode's SQLite databases as JSON lines: what the ingest reads, and what `push` sends from a developer machine
(a light module: sqlite3 and orjson, no polars, no DuckDB). No Dagster import."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import orjson


def databases(folder: Path) -> list[Path]:
    """OpenCode's databases in its data folder: opencode.db and the channels' opencode-*.db."""
    return sorted(p for p in folder.glob("opencode*.db") if p.is_file()) if folder.is_dir() else []


def export_database(db: Path, out: Path) -> bool:
    """Write the database's messages to `out` as JSON lines (the message's JSON, its id and session set
    from the row), in rowid order, when the database changed since the last export (its size and mtime,
    WAL included, are kept beside the export); returns whether it wrote. The export is what the ingest
    reads: a rewritten export is re-read whole, and the rows already stored are skipped by key."""
    stamp = out.with_suffix(".source")
    wal = db.with_name(db.name + "-wal")
    state = f"{db.stat().st_size}:{db.stat().st_mtime_ns}:" + (f"{wal.stat().st_size}:{wal.stat().st_mtime_ns}" if wal.exists() else "")
    if out.exists() and stamp.exists() and stamp.read_text() == state:
        return False
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        rows = con.execute("SELECT id, session_id, data FROM message ORDER BY rowid").fetchall()
    except sqlite3.DatabaseError:
        rows = []  # not an OpenCode database (or a version without the table): nothing to read
    finally:
        con.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as f:
        for message_id, session_id, data in rows:
            try:
                message = orjson.loads(data)
            except orjson.JSONDecodeError:
                f.write((data if isinstance(data, str) else "").replace("\n", " ").encode() + b"\n")  # quarantined by the ingest
                continue
            if isinstance(message, dict):
                message.setdefault("id", message_id)
                message.setdefault("sessionID", session_id)
            f.write(orjson.dumps(message) + b"\n")
    os.replace(temporary, out)
    stamp.write_text(state)
    return True
