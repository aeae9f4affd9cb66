"""A real PostgreSQL for tests: its own cluster (initdb) in a temporary folder, on a free port on 127.0.0.1,
started and stopped with pg_ctl (as the `postgres` user when the tests run as root, which initdb refuses)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def _binary(name: str) -> str | None:
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found if isinstance(found, str) else (found[-1] if found else None)


def available() -> bool:
    return all(_binary(b) for b in ("initdb", "pg_ctl", "createdb"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    def __init__(self):
        # Directly under the system's temporary folder: pytest's own is private to the user running the tests,
        # which the postgres user could not enter.
        self.folder, self.port = Path(tempfile.mkdtemp(prefix="analytics-pg-")), free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.folder, "postgres", "postgres")

    def _run(self, *args: str) -> None:
        command = ["runuser", "-u", "postgres", "--", *args] if self.as_root else list(args)
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed: {done.stderr[-2000:]}")

    def start(self) -> "Postgres":
        self._run(_binary("initdb"), "-D", str(self.folder / "data"), "-A", "trust", "-U", "postgres", "--no-sync")
        self._run(_binary("pg_ctl"), "-D", str(self.folder / "data"), "-w", "-l", str(self.folder / "log"), "-o",
                  f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        return self

    def create_database(self, name: str) -> str:
        """A new database; returns its libpq connection string."""
        self._run(_binary("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return f"dbname={name} host=127.0.0.1 port={self.port} user=postgres"

    def stop(self) -> None:
        try:
            self._run(_binary("pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
