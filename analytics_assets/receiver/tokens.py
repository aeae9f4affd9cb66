"""Per-machine tokens for the team receiver: who a request comes from is decided by its token,
never by what the client says.

`token add` makes a random token, prints it once and keeps only its SHA-256 (a token is 32 random
bytes, so a plain hash is as strong as a slow one) with the developer and the machine, in a JSON
file beside the warehouse (mode 0600, replaced atomically). The receiver re-reads the file when it
changes, so adding or revoking a token needs no restart. No Dagster import.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

FILE_NAME = "receiver_tokens.json"
MACHINE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # a folder name under landing/<agent>/


class TokenError(ValueError):
    pass


@dataclass(frozen=True)
class Identity:
    developer: str
    machine: str


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_machine(machine: str) -> str:
    if not MACHINE.fullmatch(machine or ""):
        raise TokenError(f"machine name {machine!r}: use letters, digits, '.', '_' or '-' (at most 64, not starting with '.')")
    return machine


class TokenStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None  # (inode, size, mtime_ns) of the file last read
        self._by_digest: dict[str, Identity] = {}

    # --- the file ---
    def _entries(self) -> list[dict]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise TokenError(f"{self.path}: not a tokens file ({type(exc).__name__})") from None
        entries = data.get("tokens") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise TokenError(f"{self.path}: no `tokens` list")
        return entries

    def _write(self, entries: list[dict]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"tokens": entries}, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, self.path)

    def add(self, developer: str, machine: str) -> str:
        """A new token for `machine` (its other tokens stay valid until revoked); returned once."""
        developer = (developer or "").strip()
        if not developer:
            raise TokenError("a token needs a developer name (--developer)")
        check_machine(machine)
        token = "aa_" + secrets.token_urlsafe(32)
        with self._lock:
            entries = self._entries()
            entries.append({"sha256": digest(token), "developer": developer, "machine": machine,
                            "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})
            self._write(entries)
        return token

    def revoke(self, machine: str) -> int:
        """Remove every token of `machine`; how many were removed."""
        with self._lock:
            entries = self._entries()
            kept = [e for e in entries if e.get("machine") != machine]
            if len(kept) != len(entries):
                self._write(kept)
            return len(entries) - len(kept)

    def listing(self) -> list[dict]:
        """Developer, machine and creation time of every token (never the hashes)."""
        return [{k: e.get(k) for k in ("developer", "machine", "created")} for e in self._entries()]

    # --- the receiver's side ---
    def configured(self) -> bool:
        self._refresh()
        return bool(self._by_digest)

    def lookup(self, token: str) -> Identity | None:
        if not token:
            return None
        self._refresh()
        wanted = digest(token)
        found = None
        for known, identity in self._by_digest.items():  # constant time in the token's bytes
            if hmac.compare_digest(known, wanted):
                found = identity
        return found

    def _refresh(self) -> None:
        try:
            stat = self.path.stat()
            seen = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        except FileNotFoundError:
            seen = None
        with self._lock:
            if seen == self._seen and (seen is not None or not self._by_digest):
                return
            self._by_digest = {e["sha256"]: Identity(str(e["developer"]), str(e["machine"]))
                               for e in (self._entries() if seen else [])
                               if isinstance(e, dict) and e.get("sha256") and e.get("machine")}
            self._seen = seen


def default_path(duckdb_path: Path) -> Path:
    return Path(duckdb_path).parent / FILE_NAME
