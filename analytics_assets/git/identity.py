"""Which repository a folder belongs to: its git top level and its remote, normalised (no Dagster import).

A session's working folder (`cwd`) says where the agent ran, not which repository it worked on: a session
started in `~/src/api-server/packages/web` works on `api-server`, and `~/src/api` may be a clone of
`github.com/acme/api` or of `github.com/other/api`. Where the folder exists (the machine that ran the agent:
a local ingest, or `push` on a developer's machine) git says both; the answer is cached per folder.

A repository's identity is its normalised remote URL: `host/owner/name`, lower case, so
`git@github.com:Acme/API.git`, `ssh://git@github.com/acme/api` and `https://github.com/acme/api/` are one
repository. A repository with no remote has no identity beyond its top level's folder name.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import asdict, dataclass
from functools import lru_cache

# scp-like `user@host:path` (no scheme); git reads it so when there is no slash before the colon.
_SCP = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>(?!/).+)$")
# Already normalised (`host/owner/name`, as push sends it): a host with a dot, then at least two parts.
_NORMAL = re.compile(r"^(?P<host>[a-z0-9-]+(?:\.[a-z0-9-]+)+)(?P<path>(?:/[^/\s:@]+){2,})/?$", re.I)
_URL = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*)://(?:[^@/]*@)?(?P<host>[^/:]+)(?::\d+)?(?P<path>/.*)?$", re.I)


def normalize_remote(url: str | None) -> str | None:
    """`host/owner/name` for a remote URL (https, ssh, git, scp-like); None for a local path or anything
    unreadable. GitHub Enterprise and GitLab subgroups keep their whole path."""
    if not url:
        return None
    text = url.strip()
    match = _URL.match(text)
    if match:
        if match["scheme"].lower() == "file":
            return None
        host, path = match["host"], match["path"] or ""
    elif _NORMAL.match(text):
        host, path = _NORMAL.match(text)["host"], _NORMAL.match(text)["path"]
    else:
        match = _SCP.match(text)
        if not match or "\\" in text:
            return None
        host, path = match["host"], match["path"]
    path = re.sub(r"(\.git)?/*$", "", path.strip("/"))
    if not path or "/" not in path:
        return None
    return f"{host.lower()}/{path.lower()}"


def github_identity(full_name: str, base_url: str | None = None) -> str:
    """A GitHub API repository (`owner/name`) as the same identity a clone's remote gives."""
    host = "github.com"
    if base_url:
        match = _URL.match(base_url)
        if match and match["host"].lower() not in ("api.github.com", "github.com"):
            host = match["host"].lower()
    return f"{host}/{full_name.strip('/').lower()}"


@dataclass(frozen=True)
class Folder:
    """What git says of a folder. `toplevel` None: not inside a repository (or git is missing)."""

    toplevel: str | None
    remote: str | None  # normalised (see normalize_remote)
    name: str | None    # the repository's name: the remote's last part, else the top level's folder name

    def as_row(self) -> dict:
        return asdict(self)


def _git(folder: str, *args: str) -> str | None:
    try:
        result = subprocess.run(["git", "-C", folder, *args], capture_output=True, text=True, timeout=30,
                                env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"})
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def remote_of(toplevel: str) -> str | None:
    """The repository's remote: `origin`, else the first one git lists."""
    url = _git(toplevel, "remote", "get-url", "origin")
    if url is None:
        names = (_git(toplevel, "remote") or "").split()
        url = _git(toplevel, "remote", "get-url", names[0]) if names else None
    return normalize_remote(url)


@lru_cache(maxsize=4096)
def resolve(folder: str) -> Folder:
    """The repository `folder` is in (cached per folder for the process's life)."""
    top = _git(folder, "rev-parse", "--show-toplevel") if os.path.isdir(folder) else None
    if not top:
        return Folder(None, None, None)
    remote = remote_of(top)
    return Folder(top, remote, remote.rsplit("/", 1)[-1] if remote else os.path.basename(top.rstrip("/")))
