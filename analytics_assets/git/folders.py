"""`raw.repo_folders`: the repository of every (machine, working folder) the agents ran in. No Dagster import.

Two ways in, both keyed by (machine, cwd):
- pushed maps: `landing/folders/<machine>/*.jsonl`, one JSON object a line (`cwd`, `toplevel`, `remote`,
  `name`), written by `analytics-assets push` on the developer's machine, where the folders exist (the server
  cannot see a developer's disk). The machine is the folder's name (a receiver writes it from the token), never
  a field of the line. A later line for the same folder replaces an earlier one;
- local resolution: a folder of a stored request that exists on this disk (this machine's own history, a
  synced folder of this machine) is asked of git once, and the answer is stored: the table is the cache.
A folder known to be no repository is stored too (toplevel null): the models fall back to its name, flagged.

The requests store their cwd redacted (privacy.redact: `/home/ada/src/api` -> `~/src/api`), so the map's
folders are redacted with the same function before they are stored, and join. A redacted home (`~`) is
this machine's home only for this machine's own requests: other machines' home folders are resolved by
their push maps, never guessed from the server's disk.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from ..ingest.runner import QUARANTINE_SCHEMA
from ..privacy import redact
from ..warehouse import RAW, ensure_bookkeeping, ensure_table, insert_quarantine, now, registered, transaction
from ..transcripts.roots import FOLDER_MAPS
from .identity import normalize_remote, resolve

FOLDERS = f"{RAW}.repo_folders"
MAPS_DIR = FOLDER_MAPS  # landing/folders/<machine>/*.jsonl
SCHEMA = {"machine": pl.String, "cwd": pl.String, "toplevel": pl.String, "remote": pl.String, "name": pl.String,
          "resolved_by": pl.String, "resolved_at": pl.Datetime("us", "UTC")}
# Where the stored requests' working folders are (a table that does not exist yet is skipped).
REQUEST_FOLDERS = (f"{RAW}.claude_requests", f"{RAW}.codex_events", f"{RAW}.opencode_messages")


@dataclass
class FolderStats:
    map_lines: int = 0
    pushed: int = 0
    quarantined: int = 0
    resolved_here: int = 0
    repositories: int = 0
    not_repositories: int = 0
    unresolved: int = 0


def parse_map(text: str, machine: str, source: str) -> tuple[list[dict], pl.DataFrame]:
    """A pushed map's lines → rows (source 'pushed') and quarantine rows with the reason."""
    rows, bad = [], []
    offset = 0
    for line in text.splitlines(keepends=True):
        start, offset = offset, offset + len(line.encode())
        if not line.strip():
            continue
        reason = None
        try:
            item = json.loads(line)
        except ValueError as exc:
            item, reason = None, f"not JSON: {exc}"
        if reason is None and not isinstance(item, dict):
            reason = "not a JSON object"
        elif reason is None:
            cwd, top, remote, name = (item.get(k) for k in ("cwd", "toplevel", "remote", "name"))
            if not isinstance(cwd, str) or not cwd:
                reason = "cwd missing or not a string"
            elif any(v is not None and not isinstance(v, str) for v in (top, remote, name)):
                reason = "toplevel, remote and name must be strings or null"
        if reason:
            bad.append({"source_file": source, "source_offset": start, "signal": "repo_folders", "reason": reason,
                        "raw_text": line[:2000]})
            continue
        # The remote is normalised again here: the line is the client's word.
        remote = normalize_remote(remote) if remote else None
        rows.append({"machine": machine, "cwd": cwd, "toplevel": top or None, "remote": remote,
                     "name": (remote.rsplit("/", 1)[-1] if remote else (name or (os.path.basename(top.rstrip("/")) if top else None))),
                     "resolved_by": "pushed"})
    return rows, pl.DataFrame(bad, schema=QUARANTINE_SCHEMA, orient="row") if bad else pl.DataFrame(schema=QUARANTINE_SCHEMA)


def pushed_maps(landing: Path) -> list[tuple[str, Path]]:
    """(machine, file) of every pushed map under landing/folders/<machine>/."""
    root = landing / MAPS_DIR
    return sorted((p.parent.name, p) for p in root.glob("*/*.jsonl") if p.is_file()) if root.is_dir() else []


def _frame(rows: list[dict]) -> pl.DataFrame:
    """Rows as stored: folders redacted as the requests' cwd is (see the module's docstring)."""
    stamp = now()
    frame = pl.DataFrame([{**r, "resolved_at": stamp} for r in rows], schema=SCHEMA, orient="row")
    return frame.with_columns(redact(pl.col("cwd")).alias("cwd"), redact(pl.col("toplevel")).alias("toplevel"))


def local_path(machine: str, cwd: str, host: str | None = None) -> str | None:
    """Where a stored (redacted) cwd is on this disk, if it can be here: an absolute path as it is; a
    home-relative one (`~/...`) only for this machine's own requests."""
    if cwd.startswith("~"):
        return os.path.expanduser(cwd) if machine == (host or socket.gethostname()) else None
    return cwd if os.path.isabs(cwd) else None


def _request_folders(con: duckdb.DuckDBPyConnection) -> str | None:
    tables = [t for t in REQUEST_FOLDERS
              if con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
                             t.split(".")).fetchone()[0]]
    if not tables:
        return None
    return " UNION ".join(f"SELECT DISTINCT machine, cwd FROM {t} WHERE cwd IS NOT NULL AND machine IS NOT NULL" for t in tables)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW}")
    ensure_table(con, FOLDERS, pl.DataFrame(schema=SCHEMA))


def update_folders(con: duckdb.DuckDBPyConnection, landing: Path) -> FolderStats:
    """Load every pushed map (they are small: one line per folder), then resolve on this disk the stored
    requests' folders that neither a map nor an earlier run answered. One transaction."""
    stats = FolderStats()
    ensure_bookkeeping(con)
    ensure_tables(con)
    lines: dict[tuple[str, str], dict] = {}
    quarantine = []
    for machine, path in pushed_maps(landing):
        rows, bad = parse_map(path.read_text(errors="replace"), machine, str(path))
        stats.map_lines += len(rows) + bad.height
        quarantine.append(bad)
        for row in rows:
            lines[(row["machine"], row["cwd"])] = row  # the later line wins
    pushed_frame = _frame(list(lines.values())).unique(["machine", "cwd"], keep="last", maintain_order=True)
    pushed = set(pushed_frame.select("machine", "cwd").iter_rows())
    stats.pushed = len(pushed)
    query = _request_folders(con)
    missing = con.execute(
        f"SELECT machine, cwd FROM ({query}) q WHERE NOT EXISTS "
        f"(SELECT 1 FROM {FOLDERS} f WHERE f.machine = q.machine AND f.cwd = q.cwd) ORDER BY ALL").fetchall() if query else []
    local = []
    for machine, cwd in missing:
        if (machine, cwd) in pushed:
            continue
        here = local_path(machine, cwd)
        if here is None or not os.path.isdir(here):
            stats.unresolved += 1
            continue
        local.append({"machine": machine, "cwd": cwd, **resolve(here).as_row(), "resolved_by": "local"})
    stats.resolved_here = len(local)
    with transaction(con):
        if pushed:
            with registered(con, "_pushed", pushed_frame):
                # A pushed answer replaces a local one (the machine itself saw the folder).
                con.execute(f"DELETE FROM {FOLDERS} f USING _pushed p WHERE f.machine = p.machine AND f.cwd = p.cwd")
                con.execute(f"INSERT INTO {FOLDERS} BY NAME SELECT * FROM _pushed")
        if local:
            # (the cwd is stored redacted already; redacting it again changes nothing)
            with registered(con, "_local", _frame(local)):
                con.execute(f"INSERT INTO {FOLDERS} BY NAME SELECT * FROM _local")
        if quarantine:
            stats.quarantined = insert_quarantine(con, "repo_folders", pl.concat(quarantine))
    stats.repositories, stats.not_repositories = con.execute(
        f"SELECT count(*) FILTER (WHERE toplevel IS NOT NULL), count(*) FILTER (WHERE toplevel IS NULL) FROM {FOLDERS}").fetchone()
    return stats
