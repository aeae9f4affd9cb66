"""Git commits → rows (pure apart from running `git`; no Dagster import).

`git log` is asked for one record per commit with fields separated by control characters that
cannot occur in them, then `--numstat` lines; trailers come parsed by git itself
(`%(trailers:unfold)`), so `Co-Authored-By:` spread over lines or with odd spacing reads the same.
GitHub API commits (github3.py) are mapped to the same row shape.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from pathlib import Path

import polars as pl

from ..ingest.runner import QUARANTINE_SCHEMA

RS, US = "\x1e", "\x1f"
FIELDS = ("sha", "parents", "author_name", "author_email", "authored_at", "committer_email", "committed_at",
          "branch", "subject", "trailers")
FORMAT = RS + US.join(["%H", "%P", "%an", "%ae", "%aI", "%ce", "%cI", "%S", "%s", "%(trailers:unfold)"]) + US
COMMIT_SCHEMA = {
    "repo": pl.String, "sha": pl.String, "parents": pl.String, "is_merge": pl.Boolean,
    "author_name": pl.String, "author_email": pl.String, "authored_at": pl.Datetime("us", "UTC"),
    "committer_email": pl.String, "committed_at": pl.Datetime("us", "UTC"), "branch": pl.String,
    "subject": pl.String, "trailers": pl.String, "co_authors": pl.String, "agent_trailer": pl.String,
    "claude_session_id": pl.String, "files_changed": pl.Int64, "lines_added": pl.Int64, "lines_deleted": pl.Int64,
    "binary_files": pl.Int64, "origin": pl.String, "source_file": pl.String, "source_offset": pl.Int64,
    "attr_errors": pl.String, "ai_note": pl.String, "ai_note_agent": pl.String, "ai_note_lines": pl.Int64,
}

# Co-author trailers that name an agent; the value's name or address decides which one.
AGENT_PATTERNS = (
    ("claude_code", re.compile(r"claude|anthropic", re.I)),
    ("copilot", re.compile(r"copilot", re.I)),
    ("codex", re.compile(r"codex|openai", re.I)),
    ("cursor", re.compile(r"cursor", re.I)),
)
AGENT_TRAILER_KEYS = {"co-authored-by", "assisted-by", "generated-by", "ai-assisted-by"}
SESSION_TRAILER_KEYS = {"claude-session", "claude-session-id", "agent-session"}


class GitError(RuntimeError):
    pass


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True)
    if check and result.returncode != 0:
        raise GitError(f"git {' '.join(args[:3])} failed in {repo}: {result.stderr.decode(errors='replace').strip()[:300]}")
    return result


def heads(repo: Path) -> dict[str, str]:
    """Branch (and remote-tracking branch) tips: ref name → sha."""
    out = git(repo, "for-each-ref", "--format=%(refname)%09%(objectname)%09%(symref)", "refs/heads", "refs/remotes").stdout.decode()
    refs = {}
    for line in out.splitlines():
        name, sha, symref = (line.split("\t") + ["", ""])[:3]
        if name and sha and not symref:  # origin/HEAD points at another ref: not a branch of its own
            refs[name] = sha
    return refs


def is_ancestor(repo: Path, old: str, new: str) -> bool:
    return git(repo, "merge-base", "--is-ancestor", old, new, check=False).returncode == 0


def exists(repo: Path, sha: str) -> bool:
    return git(repo, "cat-file", "-e", f"{sha}^{{commit}}", check=False).returncode == 0


def read_log(repo: Path, include: list[str], exclude: list[str]) -> str:
    """`git log` of the commits reachable from `include` and not from `exclude`."""
    if not include:
        return ""
    args = ["log", "--no-color", "--no-renames", "--numstat", "--source", f"--format={FORMAT}", *include]
    if exclude:
        args += ["--not", *exclude]
    return git(repo, *args).stdout.decode("utf-8", errors="replace")


def _timestamp(value: str, errors: list[str], name: str):
    try:
        return dt.datetime.fromisoformat(value).astimezone(dt.timezone.utc)
    except ValueError:
        errors.append(f"{name}={value[:40]!r} is not a timestamp")
        return None


def parse_trailers(text: str) -> list[tuple[str, str]]:
    out = []
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and " " not in key.strip():
            out.append((key.strip(), value.strip()))
    return out


def agent_of_trailers(trailers: list[tuple[str, str]]) -> tuple[str | None, list[str], str | None]:
    """(agent named by a trailer, co-author values, Claude session id)."""
    agent, co_authors, session = None, [], None
    for key, value in trailers:
        lowered = key.lower()
        if lowered == "co-authored-by":
            co_authors.append(value)
        if lowered in SESSION_TRAILER_KEYS and value:
            session = session or value
            agent = agent or "claude_code"
        if lowered in AGENT_TRAILER_KEYS:
            for name, pattern in AGENT_PATTERNS:
                if pattern.search(value):
                    agent = agent or name
                    break
    return agent, co_authors, session


def _row(repo: str, fields: dict, stats: tuple[int, int, int, int], origin: str, source: str, offset: int,
         errors: list[str]) -> dict:
    trailers = parse_trailers(fields["trailers"])
    agent, co_authors, session = agent_of_trailers(trailers)
    parents = fields["parents"].split()
    return {
        "repo": repo, "sha": fields["sha"], "parents": " ".join(parents), "is_merge": len(parents) > 1,
        "author_name": fields["author_name"] or None, "author_email": (fields["author_email"] or "").lower() or None,
        "authored_at": _timestamp(fields["authored_at"], errors, "authored_at"),
        "committer_email": (fields["committer_email"] or "").lower() or None,
        "committed_at": _timestamp(fields["committed_at"], errors, "committed_at"),
        "branch": re.sub(r"^refs/(heads|remotes)/", "", fields["branch"]) or None,
        "subject": fields["subject"],
        "trailers": json.dumps([{"key": k, "value": v} for k, v in trailers]) if trailers else None,
        "co_authors": json.dumps(co_authors) if co_authors else None,
        "agent_trailer": agent, "claude_session_id": session,
        "files_changed": stats[0], "lines_added": stats[1], "lines_deleted": stats[2], "binary_files": stats[3],
        "origin": origin, "source_file": source, "source_offset": offset,
        "attr_errors": "; ".join(errors) if errors else None,
        "ai_note": None, "ai_note_agent": None, "ai_note_lines": None,  # git.load.with_notes fills them
    }


# AI-attribution notes tools leave on commits: Git AI's authorship logs (Git AI Standard v3.0.0, `refs/notes/ai`) and
# Agent Trace records (agent-trace.dev 0.1.0, which names no place: `refs/notes/agent-trace` is where tools put them).
NOTE_REFS = {"refs/notes/ai": "git-ai", "refs/notes/agent-trace": "agent-trace"}


def agent_of_name(name: str | None) -> str | None:
    """Our agent for a tool or model name a note gives (`claude-code`, `anthropic/claude-...`, `cursor`), else the name."""
    if not name:
        return None
    for agent, pattern in AGENT_PATTERNS:
        if pattern.search(name):
            return agent
    return name[:80]


def parse_git_ai_note(text: str) -> tuple[str | None, int]:
    """(agent, lines written by agents) of a Git AI authorship log: an attestation section (a file per line,
    then `  <key> <ranges>` lines; `h_` keys are humans), `---`, then JSON metadata naming each session's
    or prompt's agent (`agent_id.tool`)."""
    attest, _, meta = text.partition("\n---\n")
    try:
        metadata = json.loads(meta) if meta.strip() else {}
    except ValueError:
        metadata = {}
    records = {**(metadata.get("prompts") or {}), **(metadata.get("sessions") or {})} if isinstance(metadata, dict) else {}
    agent, lines = None, 0
    for line in attest.splitlines():
        if not line.startswith("  "):
            continue
        key, _, spec = line.strip().partition(" ")
        if key.startswith("h_"):
            continue
        for part in spec.split(","):
            start, _, end = part.partition("-")
            if start.isdigit():
                lines += (int(end) if end.isdigit() else int(start)) - int(start) + 1
        record = records.get(key.split("::")[0]) or {}
        tool = (record.get("agent_id") or {}).get("tool") if isinstance(record, dict) else None
        agent = agent or agent_of_name(tool)
    return (agent or ("unknown" if lines else None)), lines


def parse_agent_trace(text: str) -> tuple[str | None, int]:
    """(agent, lines by AI or mixed contributors) of an Agent Trace record (JSON: files[].conversations[] with a
    contributor type ai/human/mixed, an optional model_id, and line ranges)."""
    try:
        record = json.loads(text)
    except ValueError:
        return None, 0
    agent, lines = None, 0
    for file in (record.get("files") or []) if isinstance(record, dict) else []:
        for conversation in (file.get("conversations") or []) if isinstance(file, dict) else []:
            contributor = (conversation.get("contributor") or {}) if isinstance(conversation, dict) else {}
            if contributor.get("type") not in ("ai", "mixed"):
                continue
            for r in conversation.get("ranges") or []:
                if isinstance(r, dict) and isinstance(r.get("start_line"), int) and isinstance(r.get("end_line"), int):
                    lines += max(0, r["end_line"] - r["start_line"] + 1)
            agent = agent or agent_of_name(contributor.get("model_id"))
    if lines and not agent:
        agent = agent_of_name(((record.get("tool") or {}) if isinstance(record, dict) else {}).get("name")) or "unknown"
    return agent, lines


def read_notes(repo: Path, shas: set[str]) -> dict[str, tuple[str, str, int]]:
    """sha -> (note format, agent, agent lines) for the commits in `shas` that carry an AI-attribution note."""
    found: dict[str, tuple[str, str, int]] = {}
    for ref, kind in NOTE_REFS.items():
        listing = git(repo, "notes", f"--ref={ref}", "list", check=False)
        pairs = [line.split() for line in listing.stdout.decode(errors="replace").splitlines()] if listing.returncode == 0 else []
        pairs = [(blob, sha) for blob, sha in (p for p in pairs if len(p) == 2) if sha in shas and sha not in found]
        if not pairs:
            continue
        batch = subprocess.run(["git", "-C", str(repo), "cat-file", "--batch"], input="".join(f"{b}\n" for b, _ in pairs).encode(),
                               capture_output=True, check=False).stdout
        position = 0
        for _, sha in pairs:
            header_end = batch.find(b"\n", position)
            header = batch[position:header_end].split()
            size = int(header[2]) if len(header) == 3 and header[2].isdigit() else 0
            body = batch[header_end + 1:header_end + 1 + size].decode("utf-8", errors="replace")
            position = header_end + 1 + size + 1
            agent, lines = (parse_git_ai_note if kind == "git-ai" else parse_agent_trace)(body)
            if agent:
                found[sha] = (kind, agent, lines)
    return found


def parse_log(text: str, repo: str, source: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`read_log` output → (commit rows, quarantine rows). A record with the wrong number of
    fields or no sha is quarantined whole; a bad date marks the row for the contract."""
    rows, bad = [], []
    for index, record in enumerate(text.split(RS)[1:]):
        parts = record.split(US)
        if len(parts) != len(FIELDS) + 1 or not re.fullmatch(r"[0-9a-f]{40}(?:[0-9a-f]{24})?", parts[0]):
            bad.append({"source_file": source, "source_offset": index, "signal": "commits",
                        "reason": f"git log record with {len(parts)} fields (expected {len(FIELDS) + 1})",
                        "raw_text": record[:2000]})
            continue
        fields = dict(zip(FIELDS, parts))
        files = added = deleted = binary = 0
        for line in parts[-1].splitlines():
            cells = line.split("\t")
            if len(cells) != 3:
                continue
            files += 1
            if cells[0] == "-" or cells[1] == "-":
                binary += 1
            else:
                added += int(cells[0])
                deleted += int(cells[1])
        rows.append(_row(repo, fields, (files, added, deleted, binary), "git", source, index, []))
    frame = pl.DataFrame(rows, schema=COMMIT_SCHEMA, orient="row") if rows else pl.DataFrame(schema=COMMIT_SCHEMA)
    return frame, pl.DataFrame(bad, schema=QUARANTINE_SCHEMA, orient="row") if bad else pl.DataFrame(schema=QUARANTINE_SCHEMA)


def api_commit_row(repo: str, commit: dict, detail: dict | None, source: str, offset: int) -> dict:
    """A GitHub REST commit (list item, plus the single-commit body for stats) → a commit row."""
    inner = commit.get("commit") or {}
    author, committer = inner.get("author") or {}, inner.get("committer") or {}
    message = inner.get("message") or ""
    subject, _, body = message.partition("\n")
    stats = (detail or {}).get("stats") or {}
    files = (detail or {}).get("files")
    fields = {
        "sha": commit.get("sha") or "", "parents": " ".join(p.get("sha", "") for p in commit.get("parents") or []),
        "author_name": author.get("name") or "", "author_email": author.get("email") or "",
        "authored_at": author.get("date") or "", "committer_email": committer.get("email") or "",
        "committed_at": committer.get("date") or "", "branch": "", "subject": subject,
        # The API gives the raw message: the trailers are its last paragraph.
        "trailers": body.strip().split("\n\n")[-1] if body.strip() else "",
    }
    errors: list[str] = []
    row = _row(repo, fields, (len(files) if files is not None else None, stats.get("additions"), stats.get("deletions"), None),
               "github_api", source, offset, errors)
    if not fields["sha"]:
        row["attr_errors"] = "; ".join(filter(None, [row["attr_errors"], "commit without sha"]))
    return row


PULL_SCHEMA = {
    "repo": pl.String, "number": pl.Int64, "state": pl.String, "is_draft": pl.Boolean, "author_login": pl.String,
    "created_at": pl.Datetime("us", "UTC"), "updated_at": pl.Datetime("us", "UTC"), "closed_at": pl.Datetime("us", "UTC"),
    "merged_at": pl.Datetime("us", "UTC"), "head_ref": pl.String, "base_ref": pl.String, "merge_commit_sha": pl.String,
    "author_is_bot": pl.Boolean, "title_length": pl.Int64,
}


def api_pull_row(repo: str, pull: dict) -> dict:
    """A GitHub REST pull request (list item) → a row. The title is free text: only its length is kept."""
    errors: list[str] = []
    user = pull.get("user") or {}
    stamp = lambda k: _timestamp(pull[k], errors, k) if pull.get(k) else None  # noqa: E731
    return {
        "repo": repo, "number": pull.get("number"), "state": pull.get("state"), "is_draft": bool(pull.get("draft")),
        "author_login": (user.get("login") or "").lower() or None, "created_at": stamp("created_at"),
        "updated_at": stamp("updated_at"), "closed_at": stamp("closed_at"), "merged_at": stamp("merged_at"),
        "head_ref": (pull.get("head") or {}).get("ref"), "base_ref": (pull.get("base") or {}).get("ref"),
        "merge_commit_sha": pull.get("merge_commit_sha"), "author_is_bot": user.get("type") == "Bot",
        "title_length": len(pull.get("title") or ""),
    }
