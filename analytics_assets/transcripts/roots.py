"""Where this machine's agents keep their transcripts, as the agents define it: Claude Code in
CLAUDE_CONFIG_DIR (comma-separated), else ~/.config/claude and ~/.claude; Codex in CODEX_HOME, else
~/.codex. A light module (no polars, no DuckDB): `push` starts with it on every developer machine."""

from __future__ import annotations

import os
from pathlib import Path

# agent -> the folder of an agent's home that holds its transcripts (and of landing/<agent>/<machine>/)
SUBFOLDERS = {"claude": "projects", "codex": "sessions"}
# landing/folders/<machine>/repositories.jsonl: which repository each working folder of a machine is in
# (written by `push` on the machine, read by git/folders.py on the server).
FOLDER_MAPS, FOLDER_MAP_NAME = "folders", "repositories.jsonl"


def split_paths(value: str | None) -> list[Path]:
    return [Path(p).expanduser() for p in (value or "").split(",") if p.strip()]


def claude_homes(env=os.environ) -> list[Path]:
    return split_paths(env.get("CLAUDE_CONFIG_DIR")) or [Path.home() / ".config" / "claude", Path.home() / ".claude"]


def codex_homes(env=os.environ) -> list[Path]:
    return [Path(env.get("CODEX_HOME") or Path.home() / ".codex").expanduser()]


def own_transcript_folders(env=os.environ) -> list[tuple[str, Path]]:
    """(agent, folder) for each of this machine's transcript folders that exists: …/projects, …/sessions."""
    found = []
    for agent, homes in (("claude", claude_homes(env)), ("codex", codex_homes(env))):
        for home in homes:
            folder = home / SUBFOLDERS[agent]
            if folder.is_dir():
                found.append((agent, folder))
    return found
