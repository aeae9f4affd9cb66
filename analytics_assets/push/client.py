"""`analytics-assets push`: send the new complete lines of this machine's transcripts to the team
receiver, which lands them in landing/<agent>/<machine>/ as a synced folder would.

- Incremental by a local cursor per file with the landing cursors' identity rules (inode, head and
  tail hashes): appended bytes are sent from the cursor; a rotated, truncated or rewritten file is
  sent again from byte 0 as a replacement. Only complete lines; gzip; chunks of CHUNK_BYTES, so
  memory stays bounded whatever the file size. A file unchanged since its cursor costs one stat.
- The server is the authority on what it holds. Every chunk carries (path, offset, hash of the
  bytes before it); a 409 answers with the server's offset and tail hash, and the client resumes
  there when its own bytes agree (a chunk sent twice, a push killed half way, a lost cursor file)
  or replaces the file when they do not. Connection errors, 429 and 5xx are retried with backoff,
  `Retry-After` honoured.
- The token (ANALYTICS_PUSH_TOKEN or --token-file) is sent as a bearer header and never printed.
- The server cannot see this machine's disk, so the push says which repository each working folder
  (`cwd`) of the pushed lines is in: git's top level and remote, asked once per folder and kept in a
  local map (`<state>-folders.jsonl`), which is pushed like a transcript to folders/<machine>/.
No Dagster, no polars, no DuckDB: this runs on every developer machine, often from a hook.
"""

from __future__ import annotations

import dataclasses
import hashlib
import http.client
import json
import os
import re
import ssl
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .. import faults
from ..receiver.gzip_codec import compress
from ..ingest.landing import HEAD_BYTES, Cursor, cursor_after, plan_file, unchanged
from ..git.identity import resolve
from ..transcripts.roots import (DOCUMENT_SUFFIX, FOLDER_MAP_NAME, FOLDER_MAPS, SUBFOLDERS, SUFFIXES, opencode_exports,
                                 own_transcript_folders)

TOKEN_ENV = "ANALYTICS_PUSH_TOKEN"
CHUNK_BYTES = 8 << 20
GZIP_LEVEL = 1  # transcripts compress ~14x at level 1; higher levels cost CPU the network does not repay on a LAN
RETRIES = 10
MAX_BACKOFF = 10.0
SAVE_EVERY_SECONDS = 2.0
PARALLEL = int(os.environ.get("ANALYTICS_PUSH_PARALLEL") or 4)  # files in flight at once: the server's writes, our reads and gzip (which frees the GIL) overlap
RETRYABLE = {429, 500, 502, 503, 504}
# A working folder in a Claude Code or Codex line (both write compact JSON): `"cwd":"<JSON string>"`.
CWD = re.compile(rb'"cwd":"((?:[^"\\]|\\.)*)"')
FOLDER_MAP = f"{FOLDER_MAPS}/{{machine}}/{FOLDER_MAP_NAME}"  # where the map lands on the server


class PushError(RuntimeError):
    pass


@dataclass
class Totals:
    files: int = 0  # files with bytes sent
    unchanged: int = 0
    bytes: int = 0  # raw bytes the server accepted
    sent: int = 0  # gzip bytes on the wire
    failed: int = 0
    replaced: int = 0


class Remote:
    """One keep-alive connection to the receiver, reopened after errors; requests retried."""

    def __init__(self, url: str, token: str, ca_file: str = "", retries: int = RETRIES, sleep=time.sleep):
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise PushError(f"--to must be an http:// or https:// URL, not {url!r}")
        self.url = f"{parsed.scheme}://{parsed.netloc}"
        self.https, self.host, self.port = parsed.scheme == "https", parsed.hostname, parsed.port
        self.context = ssl.create_default_context(cafile=ca_file or None) if self.https else None
        self.token, self.retries, self.sleep = token, retries, sleep
        self.connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.connection is None:
            if self.https:
                self.connection = http.client.HTTPSConnection(self.host, self.port, timeout=120, context=self.context)
            else:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        return self.connection

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def request(self, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> tuple[int, dict]:
        headers = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        for attempt in range(self.retries + 1):
            wait = min(MAX_BACKOFF, 0.25 * 2 ** attempt)
            try:
                connection = self._connect()
                connection.request(method, path, body=body or None, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
            except ssl.SSLCertVerificationError as exc:
                raise PushError(f"{self.url}: the server's certificate is not trusted ({exc.verify_message}); "
                                "pass --ca-file with the certificate that signed it") from None
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                if attempt == self.retries:
                    raise PushError(f"{self.url}: {type(exc).__name__} after {attempt + 1} attempts") from None
                self.sleep(wait)
                continue
            if response.status in RETRYABLE and attempt < self.retries:
                retry_after = response.getheader("Retry-After", "")
                self.sleep(min(float(retry_after), 60.0) if retry_after.isdigit() else wait)
                continue
            try:
                answer = json.loads(payload) if payload else {}
            except ValueError:
                answer = {}
            return response.status, answer if isinstance(answer, dict) else {}
        raise AssertionError("unreachable")


def tail_of(path: Path, offset: int) -> str:
    start = max(0, offset - HEAD_BYTES)
    with open(path, "rb") as f:
        f.seek(start)
        return hashlib.sha256(f.read(offset - start)).hexdigest()


def complete_end(path: Path, start: int, size: int) -> int:
    """The offset just after the last newline in [start, size): what may be sent (complete lines)."""
    block = 1 << 16
    with open(path, "rb") as f:
        end = size
        while end > start:
            begin = max(start, end - block)
            f.seek(begin)
            data = f.read(end - begin)
            newline = data.rfind(b"\n")
            if newline >= 0:
                return begin + newline + 1
            end = begin
    return start


class State:
    """The local cursors, one JSON file per receiver URL: {"machine", "token", "files": {path: cursor}}."""

    def __init__(self, path: Path, url: str, token: str):
        self.path = path
        self.token_digest = hashlib.sha256(token.encode()).hexdigest()[:16]  # which token the machine name came from
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            data = {}
        if data.get("url") != url or data.get("token") != self.token_digest:
            data = {"files": {}}  # another receiver or token: the server will say what it has
        self.url, self.machine, self.last_success = url, data.get("machine"), data.get("last_success")
        self.files = {p: Cursor(**c) for p, c in (data.get("files") or {}).items() if isinstance(c, dict)}
        self.saved_at = time.monotonic()
        self.dirty = False

    def save(self, succeeded: bool = False) -> None:
        if succeeded:
            self.last_success = time.time()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"url": self.url, "token": self.token_digest, "machine": self.machine,
                                         "last_success": self.last_success,
                                         "files": {p: dataclasses.asdict(c) for p, c in self.files.items()}}))
        os.replace(temporary, self.path)
        self.saved_at, self.dirty = time.monotonic(), False

    def maybe_save(self) -> None:
        if self.dirty and time.monotonic() - self.saved_at >= SAVE_EVERY_SECONDS:
            self.save()


def default_state(url: str) -> Path:
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "analytics-assets" / f"push-{hashlib.sha256(url.encode()).hexdigest()[:12]}.json"


def transcript_files(folders: list[tuple[str, Path]]):
    """(agent, folder, path, stat) of every file push sends below the folders (SUFFIXES: *.jsonl; Gemini's
    chats too), not following symbolic links."""
    for agent, folder in folders:
        suffixes = SUFFIXES[agent]
        for directory, subdirectories, names in os.walk(folder):
            subdirectories.sort()
            for name in sorted(names):
                if name.endswith(suffixes):
                    path = Path(directory) / name
                    try:
                        stat = path.lstat()
                    except OSError:
                        continue
                    if not os.path.islink(path):
                        yield agent, folder, path, stat


class Progress:
    """A bar on a terminal, a plain line every few seconds otherwise, nothing when quiet."""

    def __init__(self, total_files: int, total_bytes: int, stream=sys.stderr, quiet: bool = False):
        self.total_files, self.total_bytes, self.stream, self.quiet = total_files, total_bytes, stream, quiet
        self.tty = stream.isatty()
        self.shown = 0.0

    def update(self, files: int, done: int, force: bool = False) -> None:
        now = time.monotonic()
        if self.quiet or (not force and now - self.shown < (0.1 if self.tty else 5.0)):
            return
        self.shown = now
        share = done / self.total_bytes if self.total_bytes else 1.0
        text = f"push {files}/{self.total_files} files, {done / 1e6:,.1f}/{self.total_bytes / 1e6:,.1f} MB"
        if self.tty:
            bar = "#" * int(share * 30)
            self.stream.write(f"\r[{bar:<30}] {text}")
            if force:
                self.stream.write("\n")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


class Pusher:
    def __init__(self, remote: Remote, state: State, folders: list[tuple[str, Path]], quiet: bool = False,
                 parallel: int = PARALLEL):
        self.remote, self.state, self.folders, self.quiet, self.parallel = remote, state, folders, quiet, parallel
        self.totals = Totals()
        self.lock = threading.Lock()  # totals, cursors and progress, shared by the file workers
        self.local = threading.local()
        self.remotes = [remote]
        self.cwds: set[bytes] = set()  # working folders seen in the bytes sent (JSON-escaped)

    def _remote(self) -> Remote:
        """Each worker thread its own keep-alive connection."""
        remote = getattr(self.local, "remote", None)
        if remote is None:
            remote = self.local.remote = Remote(f"{self.remote.url}", self.remote.token, retries=self.remote.retries,
                                                sleep=self.remote.sleep)
            remote.context = self.remote.context
            with self.lock:
                self.remotes.append(remote)
        return remote

    def close(self) -> None:
        for remote in self.remotes:
            remote.close()

    def machine(self, refresh: bool = False) -> str:
        if refresh or not self.state.machine:
            status, answer = self._remote().request("GET", "/v1/push/whoami")
            if status != 200 or not answer.get("machine"):
                raise PushError(f"{self.remote.url} refused this token ({status}: {answer.get('message', 'no message')})")
            self.state.machine, self.state.dirty = answer["machine"], True
        return self.state.machine

    def run(self) -> Totals:
        work = []
        for agent, folder, path, stat in transcript_files(self.folders):
            cursor = self.state.files.get(str(path))
            if unchanged(cursor, stat):
                self.totals.unchanged += 1
                continue
            work.append((agent, folder, path, stat))
        folder_map = self.folder_map_path()
        map_plan = plan_file(folder_map, self.state.files.get(str(folder_map)), documents=False) if folder_map.exists() else None
        if not work and (map_plan is None or map_plan.reason == "unchanged"):
            return self.totals
        machine = self.machine()
        plans = []
        for agent, folder, path, stat in work:
            # A Gemini chat (.json) is a document: re-sent whole when it changed, replacing the server's copy.
            plan = plan_file(path, self.state.files.get(str(path)), documents=path.name.endswith(DOCUMENT_SUFFIX), stat=stat)
            if plan.reason == "unchanged":
                self.totals.unchanged += 1
                self.state.files[str(path)] = cursor_after(plan, plan.start)
                self.state.dirty = True
                continue
            plans.append((f"{agent}/{machine}/{SUBFOLDERS[agent]}/{path.relative_to(folder).as_posix()}", plan))
        progress = Progress(len(plans), sum(p.size - p.start for _, p in plans), quiet=self.quiet)
        counts = {"files": 0, "bytes": 0}

        def one(item) -> None:
            relative, plan = item
            def moved(n: int) -> None:
                with self.lock:
                    counts["bytes"] += n
                    progress.update(counts["files"], counts["bytes"])
            try:
                self.push_file(relative, plan, moved)
            except PushError as exc:
                with self.lock:
                    self.totals.failed += 1
                print(f"push: {relative}: {exc}", file=sys.stderr)
            with self.lock:
                counts["files"] += 1
                self.state.maybe_save()

        # Biggest first: a long file does not end up alone at the end while the other workers idle.
        plans.sort(key=lambda item: item[1].size - item[1].start, reverse=True)
        with ThreadPoolExecutor(max_workers=max(1, self.parallel)) as pool:
            list(pool.map(one, plans))
        progress.update(len(plans), counts["bytes"], force=True)
        self.push_folders(machine)
        return self.totals

    def folder_map_path(self) -> Path:
        return self.state.path.with_name(self.state.path.stem + "-folders.jsonl")

    def push_folders(self, machine: str) -> None:
        """Add the new working folders (those that exist here) to the local map, then push its new lines."""
        path = self.folder_map_path()
        known = set()
        if path.exists():
            for line in path.read_text(errors="replace").splitlines():
                try:
                    known.add(json.loads(line)["cwd"])
                except (ValueError, KeyError, TypeError):
                    continue
        new = []
        for raw in sorted(self.cwds):
            try:
                cwd = json.loads(b'"' + raw + b'"')
            except ValueError:
                continue
            if cwd not in known and os.path.isabs(cwd) and os.path.isdir(cwd):
                new.append({"cwd": cwd, **resolve(cwd).as_row()})
                known.add(cwd)
        if new:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a") as f:
                f.write("".join(json.dumps(row) + "\n" for row in new))
        if path.exists():
            plan = plan_file(path, self.state.files.get(str(path)), documents=False)
            if plan.reason != "unchanged":
                try:
                    self.push_file(FOLDER_MAP.format(machine=machine), plan, lambda n: None)
                except PushError as exc:
                    with self.lock:
                        self.totals.failed += 1
                    print(f"push: the folder map: {exc}", file=sys.stderr)

    def push_file(self, relative: str, plan, on_bytes) -> int:
        """Send `plan`'s complete lines; returns the raw bytes the server took. `on_bytes(n)`: n more taken."""
        path = plan.path
        remote = self._remote()
        replace = plan.reason in ("rotated", "truncated", "rewritten") or plan.mode == "document"
        position = plan.start
        end = plan.size if plan.mode == "document" else complete_end(path, position, plan.size)
        if end == position and not replace:
            return 0  # only a partial last line so far: wait for its newline
        taken = conflicts = 0
        header_path = urllib.parse.quote(relative, safe="/")
        with open(path, "rb") as f:
            while position < end or replace:
                f.seek(position)
                data = f.read(min(CHUNK_BYTES, end - position))
                if len(data) < min(CHUNK_BYTES, end - position):
                    raise PushError("the file shrank while it was read; the next push sends it again")
                if not relative.startswith(FOLDER_MAPS + "/"):
                    found = set(CWD.findall(data))
                    if found - self.cwds:
                        with self.lock:
                            self.cwds |= found
                body = compress(data, GZIP_LEVEL)
                headers = {"Content-Type": "application/octet-stream", "Content-Encoding": "gzip",
                           "X-Push-Path": header_path, "X-Push-Offset": str(position),
                           "X-Push-Tail": tail_of(path, position)}
                if replace:
                    headers["X-Push-Replace"] = "1"
                status, answer = remote.request("POST", "/v1/push", body, headers)
                if status == 403 and not conflicts:
                    conflicts += 1  # the machine name may be stale (a new token): ask again, once
                    relative = relative.split("/", 2)
                    relative = "/".join([relative[0], self.machine(refresh=True), relative[2]])
                    header_path = urllib.parse.quote(relative, safe="/")
                    continue
                if status == 200:
                    with self.lock:
                        self.totals.sent += len(body)
                        self.totals.replaced += replace
                    taken += len(data)
                    replace = False
                    position = int(answer["offset"])
                    on_bytes(len(data))
                    faults.point("push.after_chunk")  # a client killed here: the server has the chunk, the cursor does not
                    continue
                if status != 409:
                    raise PushError(f"{status}: {answer.get('message', 'no message')}")
                conflicts += 1
                if conflicts > 4:
                    raise PushError("the server and this machine keep disagreeing about the file; try again later")
                held, held_tail = int(answer.get("offset", -1)), answer.get("tail", "")
                if 0 <= held <= plan.size and tail_of(path, held) == held_tail:
                    position, replace = held, False  # the server has our bytes up to `held` already
                else:
                    position, replace = 0, True  # its copy is not ours (rewritten here): start the file over
                if position >= end and not replace:
                    break
        cursor = cursor_after(plan, position)
        with self.lock:
            self.state.files[str(path)] = cursor
            self.state.dirty = True
            if taken:
                self.totals.files += 1
                self.totals.bytes += taken
        return taken


def waiting(state: State, folders: list[tuple[str, Path]]) -> tuple[int, int, float | None]:
    """(files, bytes, oldest mtime) of what the next push would send: a stat per file, nothing read."""
    files = size = 0
    oldest = None
    for _, _, path, stat in transcript_files(folders):
        cursor = state.files.get(str(path))
        if unchanged(cursor, stat):
            continue
        behind = stat.st_size - (cursor.offset if cursor and cursor.inode == stat.st_ino and cursor.offset <= stat.st_size else 0)
        if behind > 0:
            files, size = files + 1, size + behind
            oldest = stat.st_mtime if oldest is None else min(oldest, stat.st_mtime)
    return files, size, oldest


def read_token(token_file: str) -> str:
    if token_file:
        try:
            return Path(token_file).expanduser().read_text().strip()
        except OSError as exc:
            raise PushError(f"cannot read the token file {token_file}: {exc.strerror}") from None
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise PushError(f"no token: pass --token-file FILE or set {TOKEN_ENV} (`analytics-assets token add` on the server makes one)")
    return token


def run(args) -> int:
    from ..onboarding.push_setup import load_client_config

    started = time.perf_counter()
    saved = load_client_config(Path.home(), os.environ)
    if not args.to:
        args.to = saved.get("url", "")
    if not args.token_file and not os.environ.get(TOKEN_ENV):
        args.token_file = saved.get("token_file", "")
    try:
        if not args.to:
            raise PushError("no receiver: pass --to URL (or run `analytics-assets init --push-to URL --token-file F` once)")
        token = read_token(args.token_file)
        remote = Remote(args.to, token, args.ca_file)
        state = State(Path(args.state).expanduser() if args.state else default_state(remote.url), remote.url, token)
        pusher = Pusher(remote, state, own_transcript_folders() + opencode_exports(state.path.parent), quiet=args.quiet)
        try:
            totals = pusher.run()
        finally:
            pusher.close()
            if state.dirty:
                state.save()
        if not totals.failed:
            state.save(succeeded=True)
    except PushError as exc:
        print(f"analytics-assets push: {exc}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - started
    print(f"pushed {totals.files} files, {totals.bytes / 1e6:,.1f} MB ({totals.sent / 1e6:,.1f} MB sent) in {seconds:.2f} s; "
          f"{totals.unchanged} unchanged, {totals.replaced} replaced, {totals.failed} failed -> {remote.url}", flush=True)
    return 1 if totals.failed else 0
