"""Where this machine's agents keep their transcripts, as the agents define it: Claude Code in
CLAUDE_CONFIG_DIR (comma-separated), else ~/.config/claude and ~/.claude; Codex in CODEX_HOME, else
~/.codex. A light module (no polars, no DuckDB): `push` starts with it on every developer machine."""

from __future__ import annotations

import os
from pathlib import Path

# agent -> the folder of an agent's home that holds its transcripts (and of landing/<agent>/<machine>/)
SUBFOLDERS = {"claude": "projects", "codex": "sessions", "gemini": "tmp", "copilot_cli": "otel", "opencode": "exports"}
# The files of each agent's folder that push sends: append-only lines, and Gemini CLI's chats, which it rewrites
# whole as they grow (a JSON document each: sent whole, replacing the server's copy, when it changed).
# OpenCode keeps its messages in SQLite: push sends the databases' JSON-lines exports (opencode/export.py), made in
# push's own state folder, which land in landing/opencode/<machine>/exports/.
SUFFIXES = {"claude": (".jsonl",), "codex": (".jsonl",), "gemini": (".json", ".jsonl"), "copilot_cli": (".jsonl",),
            "opencode": (".jsonl",)}
DOCUMENT_SUFFIX = ".json"
# landing/folders/<machine>/repositories.jsonl: which repository each working folder of a machine is in
# (written by `push` on the machine, read by git/folders.py on the server).
FOLDER_MAPS, FOLDER_MAP_NAME = "folders", "repositories.jsonl"


def split_paths(value: str | None) -> list[Path]:
    return [Path(p).expanduser() for p in (value or "").split(",") if p.strip()]


def claude_homes(env=os.environ) -> list[Path]:
    return split_paths(env.get("CLAUDE_CONFIG_DIR")) or [Path.home() / ".config" / "claude", Path.home() / ".claude"]


def codex_homes(env=os.environ) -> list[Path]:
    return [Path(env.get("CODEX_HOME") or Path.home() / ".codex").expanduser()]


def gemini_homes(env=os.environ) -> list[Path]:
    """Gemini CLI's chat roots: GEMINI_DATA_DIR (comma-separated, as ccusage reads it), else ~/.gemini/tmp (one
    `<project hash>/chats/` folder per project). These are the `tmp` folders themselves."""
    return split_paths(env.get("GEMINI_DATA_DIR")) or [Path.home() / ".gemini" / "tmp"]


def copilot_cli_homes(env=os.environ) -> list[Path]:
    """GitHub Copilot CLI's OTel file exports: ~/.copilot/otel, and the folder of COPILOT_OTEL_FILE_EXPORTER_PATH."""
    folders = [Path.home() / ".copilot" / "otel"]
    if env.get("COPILOT_OTEL_FILE_EXPORTER_PATH"):
        folders.append(Path(env["COPILOT_OTEL_FILE_EXPORTER_PATH"]).expanduser().parent)
    return list(dict.fromkeys(folders))


def opencode_homes(env=os.environ) -> list[Path]:
    """OpenCode's data folders: OPENCODE_DATA_DIR (comma-separated, as ccusage reads it), else $XDG_DATA_HOME/opencode,
    else ~/.local/share/opencode."""
    data = Path(env["XDG_DATA_HOME"]) if env.get("XDG_DATA_HOME") else Path.home() / ".local" / "share"
    return split_paths(env.get("OPENCODE_DATA_DIR")) or [data / "opencode"]


def opencode_exports(state_dir: Path, env=os.environ) -> list[tuple[str, Path]]:
    """("opencode", folder) of this machine's OpenCode databases exported as JSON lines under `state_dir` (each
    export rewritten only when its database changed), or nothing where OpenCode keeps no database."""
    import hashlib

    from ..opencode.export import databases, export_database

    root = state_dir / "opencode-exports"
    found = False
    for home in opencode_homes(env):
        for db in databases(home):
            # one folder per data folder: two homes' opencode.db do not collide
            export_database(db, root / hashlib.sha256(str(home).encode()).hexdigest()[:12] / f"{db.stem}.jsonl")
            found = True
    return [("opencode", root)] if found else []


def own_transcript_folders(env=os.environ) -> list[tuple[str, Path]]:
    """(agent, folder) for each of this machine's transcript folders that exists: …/projects, …/sessions, Gemini's tmp."""
    found = []
    for agent, homes in (("claude", claude_homes(env)), ("codex", codex_homes(env))):
        for home in homes:
            folder = home / SUBFOLDERS[agent]
            if folder.is_dir():
                found.append((agent, folder))
    found += [("gemini", folder) for folder in gemini_homes(env) if folder.is_dir()]
    found += [("copilot_cli", folder) for folder in copilot_cli_homes(env) if folder.is_dir()]
    return found
