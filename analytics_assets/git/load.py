"""Store commits incrementally: per repository, the branch tips seen last time (`raw.git_refs`)
bound the next `git log`; a branch whose old tip is no longer in its history (rebase, force
push) triggers a full re-read, and commits no longer reachable are kept but flagged
`is_reachable = false` (nothing is deleted). GitHub repositories are read `since` the newest
commit stored. No Dagster import."""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from ..ingest.runner import quarantine_rows
from ..privacy import hash_identities, redact
from ..validation import split_valid
from ..warehouse import RAW, ensure_bookkeeping, ensure_table, insert_quarantine, now, registered, transaction
from . import identity, log
from .schemas import GitCommits

COMMITS = f"{RAW}.git_commits"
REFS = f"{RAW}.git_refs"
PULLS = f"{RAW}.github_pull_requests"


@dataclass
class GitStats:
    records: int = 0
    loaded: int = 0
    duplicates: int = 0
    quarantined: int = 0
    repos: int = 0
    rewritten: list[str] = field(default_factory=list)
    unreachable_flagged: int = 0
    notes: list[str] = field(default_factory=list)
    per_repo: Counter = field(default_factory=Counter)
    pull_requests: int = 0


def repo_name(path: Path) -> str:
    name = path.resolve().name
    return name[:-4] if name.endswith(".git") else name


def repo_names(paths: list[Path]) -> dict[Path, str]:
    """The name each followed clone is stored under: its folder's name, or `parent/name` where two followed
    clones share a folder name (`acme/api`, `other/api`), so their commits and tips never mix."""
    names = {path: repo_name(path) for path in paths}
    counts = Counter(names.values())
    return {path: f"{path.resolve().parent.name}/{name}" if counts[name] > 1 else name for path, name in names.items()}


def _privacy(frame: pl.DataFrame, salt: bytes, keep_names: bool) -> pl.DataFrame:
    frame = frame.with_columns(redact(pl.col("subject")).alias("subject"))
    if keep_names:
        return frame
    return hash_identities(frame.with_columns(pl.lit(None, pl.String).alias("author_name")),
                           ("author_email", "committer_email"), salt)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW}")
    shape = {k: v for k, v in log.COMMIT_SCHEMA.items() if k != "attr_errors"}
    shape |= {"repo_id": pl.String, "commit_key": pl.String, "is_reachable": pl.Boolean, "ingested_at": pl.Datetime("us", "UTC")}
    ensure_table(con, COMMITS, pl.DataFrame(schema=shape))
    con.execute(f"CREATE TABLE IF NOT EXISTS {REFS} (repo VARCHAR, ref VARCHAR, sha VARCHAR, updated_at TIMESTAMPTZ)")
    ensure_table(con, PULLS, pl.DataFrame(schema=log.PULL_SCHEMA | {"ingested_at": pl.Datetime("us", "UTC")}))


def _store(con, frame: pl.DataFrame, quarantine: pl.DataFrame, salt: bytes, keep_names: bool, stats: GitStats,
           repo_id: str | None = None) -> None:
    """Validate, protect identities, insert the commits not stored yet (by repo + sha). `repo_id`: the
    repository's identity (normalised remote, see git.identity), which attribution matches sessions on."""
    stats.records += frame.height + quarantine.height
    good, bad = split_valid(GitCommits, frame)
    stats.quarantined += bad.height + quarantine.height
    if bad.height:
        quarantine = pl.concat([quarantine, quarantine_rows(bad, "commits", ["repo", "sha", "authored_at", "committed_at"])])
    ready = _privacy(good.drop("attr_errors"), salt, keep_names).with_columns(
        (pl.col("repo") + pl.lit(":") + pl.col("sha")).alias("commit_key"), pl.lit(True).alias("is_reachable"),
        pl.lit(now()).alias("ingested_at"), pl.lit(repo_id, pl.String).alias("repo_id"))
    with registered(con, "_commits", ready):
        inserted = con.execute(
            f"""INSERT INTO {COMMITS} BY NAME SELECT * FROM _commits b
            WHERE NOT EXISTS (SELECT 1 FROM {COMMITS} t WHERE t.commit_key = b.commit_key)
            QUALIFY row_number() OVER (PARTITION BY commit_key ORDER BY source_offset) = 1"""
        ).fetchone()[0]
        # A commit stored earlier and reachable again (a branch restored) is reachable again; a commit stored
        # before its repository's identity was known (or before the remote changed) takes the current one.
        con.execute(f"UPDATE {COMMITS} SET is_reachable = true WHERE NOT is_reachable AND commit_key IN (SELECT commit_key FROM _commits)")
        if repo_id:
            con.execute(f"UPDATE {COMMITS} SET repo_id = ? WHERE repo = ? AND repo_id IS DISTINCT FROM ?",
                        [repo_id, frame["repo"][0] if frame.height else None, repo_id])
    stats.loaded += inserted
    stats.duplicates += ready.height - inserted
    insert_quarantine(con, "git", quarantine)


def with_notes(frame: pl.DataFrame, notes: dict[str, tuple[str, str, int]]) -> pl.DataFrame:
    """The AI-attribution notes of the commits read (log.read_notes), as three columns."""
    if not notes:
        return frame
    shas = frame["sha"]
    pick = lambda i: [notes[s][i] if s in notes else None for s in shas]  # noqa: E731
    return frame.with_columns(pl.Series("ai_note", pick(0), pl.String), pl.Series("ai_note_agent", pick(1), pl.String),
                              pl.Series("ai_note_lines", pick(2), pl.Int64))


def tips_stored(con: duckdb.DuckDBPyConnection, tips: dict[str, dict[str, str]]) -> bool:
    """Whether `raw.git_refs` holds exactly these branch tips (repo name -> ref -> sha): nothing to read."""
    stored: dict[str, dict[str, str]] = {}
    for repo, ref, sha in con.execute(f"SELECT repo, ref, sha FROM {REFS}").fetchall():
        stored.setdefault(repo, {})[ref] = sha
    return all(stored.get(repo) == refs for repo, refs in tips.items())


def ingest_local(con: duckdb.DuckDBPyConnection, repos: list[Path], salt: bytes, keep_names: bool) -> GitStats:
    """Every followed repository's new commits. The logs are read side by side (`git log --numstat` diffs every
    commit: ~1.5 ms each, most of this ingest on a large history, and git runs outside the GIL); each repository's
    commits and refs are then stored in its own transaction, in order."""
    ensure_bookkeeping(con)
    ensure_tables(con)
    stats = GitStats()
    names = repo_names(repos)
    plans = []
    for path in repos:
        name = names[path]
        try:
            tips = log.heads(path)
        except log.GitError as exc:
            stats.notes.append(f"{path}: not readable as a git repository ({exc}); skipped")
            continue
        stats.repos += 1
        old = dict(con.execute(f"SELECT ref, sha FROM {REFS} WHERE repo = ?", [name]).fetchall())
        rewritten = [ref for ref, sha in old.items()
                     if ref in tips and tips[ref] != sha and not (log.exists(path, sha) and log.is_ancestor(path, sha, tips[ref]))]
        full = not old or bool(rewritten)
        if rewritten:
            stats.rewritten.append(f"{name}: {', '.join(rewritten)}")
        known = [] if full else [sha for sha in set(old.values()) if log.exists(path, sha)]
        include = sorted(set(tips.values()) - set(old.values())) if not full else sorted(set(tips.values()))
        plans.append((path, name, tips, old, full, include, known))

    def read(plan) -> tuple[pl.DataFrame, pl.DataFrame]:
        path, name, _, _, _, include, known = plan
        frame, quarantine = log.parse_log(log.read_log(path, include, known), name, str(path))
        return with_notes(frame, log.read_notes(path, set(frame["sha"].to_list())) if frame.height else {}), quarantine

    with ThreadPoolExecutor(max_workers=max(1, min(len(plans), os.cpu_count() or 1))) as pool:
        for (path, name, tips, old, full, _, _), (frame, quarantine) in zip(plans, pool.map(read, plans)):
            stats.per_repo[name] = frame.height
            with transaction(con):
                _store(con, frame, quarantine, salt, keep_names, stats, identity.remote_of(str(path)))
                if full and old:
                    # Everything reachable now was just read: the rest of this repo's commits were rewritten away.
                    with registered(con, "_reachable", frame.select("sha")):
                        stats.unreachable_flagged += con.execute(
                            f"UPDATE {COMMITS} SET is_reachable = false WHERE repo = ? AND origin = 'git' AND is_reachable "
                            "AND sha NOT IN (SELECT sha FROM _reachable)", [name]).fetchone()[0]
                con.execute(f"DELETE FROM {REFS} WHERE repo = ?", [name])
                con.executemany(f"INSERT INTO {REFS} VALUES (?, ?, ?, ?)", [(name, ref, sha, now()) for ref, sha in tips.items()])
    return stats


def ingest_github(con: duckdb.DuckDBPyConnection, client, repos: list[str], salt: bytes, keep_names: bool,
                  max_commits: int = 1000) -> GitStats:
    """Commits of `owner/name` repositories through the GitHub API, since the newest one stored
    (an hour of overlap: commit dates are the author's clock; duplicates are dropped by key)."""
    ensure_bookkeeping(con)
    ensure_tables(con)
    stats = GitStats()
    for full_name in repos:
        owner, _, name = full_name.partition("/")
        newest = con.execute(f"SELECT max(committed_at) FROM {COMMITS} WHERE repo = ? AND origin = 'github_api'", [full_name]).fetchone()[0]
        params = {"since": (newest - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")} if newest else None
        parts = ["repos", owner, name, "commits"]
        rows = []
        for index, item in enumerate(client.paginate(parts, f"the commits of {full_name}", "commits", params=params)):
            if index >= max_commits:
                stats.notes.append(f"{full_name}: stopped at {max_commits} commits this run; the next run continues")
                break
            detail = client.get_json([*parts, item.get("sha", "")], f"commit {item.get('sha', '')[:12]} of {full_name}", "commits")
            rows.append(log.api_commit_row(full_name, item, detail, "/".join(parts), index))
        frame = pl.DataFrame(rows, schema=log.COMMIT_SCHEMA, orient="row") if rows else pl.DataFrame(schema=log.COMMIT_SCHEMA)
        pulls = _pulls(con, client, full_name, max_commits, salt, keep_names)
        stats.pull_requests += pulls.height
        stats.repos += 1
        stats.per_repo[full_name] = frame.height
        with transaction(con):
            _store(con, frame, pl.DataFrame(schema=log.QUARANTINE_SCHEMA), salt, keep_names, stats,
                   identity.github_identity(full_name, getattr(client, "api_root", None)))
            with registered(con, "_pulls", pulls.with_columns(pl.lit(now()).alias("ingested_at"))):
                # Upsert by (repo, number): a pull request changes state after it was first read.
                con.execute(f"DELETE FROM {PULLS} WHERE repo = ? AND number IN (SELECT number FROM _pulls)", [full_name])
                con.execute(f"INSERT INTO {PULLS} BY NAME SELECT * FROM _pulls")
    return stats


def _pulls(con, client, full_name: str, limit: int, salt: bytes, keep_names: bool) -> pl.DataFrame:
    """Pull requests updated since the newest stored (newest first; the listing stops at the first
    one already seen as updated)."""
    owner, _, name = full_name.partition("/")
    seen = con.execute(f"SELECT max(updated_at) FROM {PULLS} WHERE repo = ?", [full_name]).fetchone()[0]
    rows = []
    params = {"state": "all", "sort": "updated", "direction": "desc"}
    for index, item in enumerate(client.paginate(["repos", owner, name, "pulls"], f"the pull requests of {full_name}", "commits",
                                                 params=params)):
        row = log.api_pull_row(full_name, item)
        if index >= limit or (seen and row["updated_at"] and row["updated_at"] < seen):
            break
        rows.append(row)
    frame = pl.DataFrame(rows, schema=log.PULL_SCHEMA, orient="row") if rows else pl.DataFrame(schema=log.PULL_SCHEMA)
    frame = frame.unique(subset=["repo", "number"], keep="first", maintain_order=True)
    return frame if keep_names else hash_identities(frame, ("author_login",), salt)
