"""Team collection: `analytics-assets push` from developer machines to the receiver, per-machine
tokens, and the receiver's refusals. Real receiver processes on 127.0.0.1, real push clients, faults
injected at named points (faults.py), a real ingest and dbt build of what landed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import zlib
from pathlib import Path

import duckdb
import pytest
import requests

from analytics_assets.config import DBT_PROJECT_DIR
from analytics_assets.identities import write_identities
from analytics_assets.ingest.runner import run_ingest
from analytics_assets.project_config import Developer, ProjectConfig, identity_rows
from analytics_assets.receiver.pushed import PushLanding, PushRefused, tail_hash
from analytics_assets.receiver.tokens import TokenStore
from analytics_assets.transform.sources import ensure_sources
from analytics_assets.transcripts.load import ClaudeSource, CodexSource, claude_roots, codex_roots
from tests.appended import append_request
from tests.parity_corpus import CODEX, anthropic_models, write_claude, write_codex

CLI = str(Path(sys.executable).parent / "analytics-assets")
EMPTY = hashlib.sha256(b"").hexdigest()


# ---------- the pieces alone ----------

def test_tokens_name_their_machine_and_are_stored_only_as_hashes(tmp_path):
    store = TokenStore(tmp_path / "tokens.json")
    ada = store.add("Ada Lovelace", "ada-laptop")
    bob = store.add("Bob", "bob-desktop")
    assert store.lookup(ada).machine == "ada-laptop" and store.lookup(bob).developer == "Bob"
    assert store.lookup("aa_wrong") is None and store.lookup("") is None
    text = (tmp_path / "tokens.json").read_text()
    assert ada not in text and bob not in text and oct((tmp_path / "tokens.json").stat().st_mode & 0o777) == "0o600"
    # Another process (the CLI) revokes: the store sees it without a restart.
    assert TokenStore(tmp_path / "tokens.json").revoke("bob-desktop") == 1
    assert store.lookup(bob) is None and store.lookup(ada).machine == "ada-laptop"
    with pytest.raises(ValueError):
        store.add("Eve", "../etc")


def test_push_landing_appends_only_where_the_file_ends(tmp_path):
    landing = PushLanding(tmp_path)
    path = landing.target("ada", "claude/ada/projects/p/s.jsonl")
    assert landing.append(path, 0, EMPTY, b"one\n").applied
    again = landing.append(path, 0, EMPTY, b"one\n")  # the same chunk twice
    assert not again.applied and again.offset == 4 and again.tail == hashlib.sha256(b"one\n").hexdigest()
    assert landing.append(path, 4, again.tail, b"two\n").applied
    wrong = landing.append(path, 8, EMPTY, b"three\n")  # right offset, other bytes before it
    assert not wrong.applied and path.read_bytes() == b"one\ntwo\n"
    inode = path.stat().st_ino
    assert landing.append(path, 0, EMPTY, b"new\n", replace=True).applied
    assert path.read_bytes() == b"new\n" and path.stat().st_ino != inode  # a rotation, for the landing cursor
    assert tail_hash(path, 4) == hashlib.sha256(b"new\n").hexdigest()


@pytest.mark.parametrize("relative, status", [
    ("claude/bob/projects/p/s.jsonl", 403), ("claude/ada/projects/../../bob/projects/s.jsonl", 400),
    ("/etc/passwd", 400), ("claude/ada/projects/p/s.txt", 400), ("claude/ada/sessions/s.jsonl", 400),
    ("gemini/ada/projects/s.jsonl", 400), ("claude/ada/projects/p\\..\\s.jsonl", 400), ("claude/ada/projects/a\nb.jsonl", 400),
    ("claude/ada/projects/link/s.jsonl", 400), ("folders/bob/repositories.jsonl", 403), ("folders/ada/other.jsonl", 400),
    ("folders/ada/x/repositories.jsonl", 400), ("gemini/ada/tmp/h/chats/s.txt", 400), ("gemini/ada/projects/h/s.json", 400),
])
def test_push_paths_are_checked(tmp_path, relative, status):
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "landing" / "claude" / "ada" / "projects").mkdir(parents=True)
    (tmp_path / "landing" / "claude" / "ada" / "projects" / "link").symlink_to(outside)
    with pytest.raises(PushRefused) as refused:
        PushLanding(tmp_path / "landing").target("ada", relative)
    assert refused.value.status == status


# ---------- processes ----------

class Receiver:
    def __init__(self, landing: Path, tokens: Path, *args: str, port: int = 0, env: dict | None = None):
        self.proc = subprocess.Popen([CLI, "receive", "--port", str(port), "--tokens", str(tokens), *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, "ANALYTICS_LANDING_DIR": str(landing), **(env or {})})
        line = self.proc.stdout.readline()
        assert line.startswith("listening on "), self.proc.stderr.read()
        self.url = line.split()[-1]
        self.port = int(self.url.rsplit(":", 1)[1])

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        return self.proc.stderr.read()


def add_token(tokens: Path, developer: str, machine: str, folder: Path) -> Path:
    out = subprocess.run([CLI, "token", "--tokens", str(tokens), "add", "--developer", developer, "--machine", machine],
                         capture_output=True, text=True, check=True)
    token_file = folder / f"{machine}.token"
    token_file.write_text(out.stdout.split()[-1])
    return token_file


def push(home: Path, url: str, token_file: Path, fault: str = "", ca_file: str = "") -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "ANALYTICS_FAULT", "XDG_DATA_HOME",
                                                            "OPENCODE_DATA_DIR", "GEMINI_DATA_DIR", "COPILOT_OTEL_FILE_EXPORTER_PATH")}
    env.update(HOME=str(home), XDG_STATE_HOME=str(home / ".state"), **({"ANALYTICS_FAULT": fault} if fault else {}))
    return subprocess.Popen([CLI, "push", "--to", url, "--token-file", str(token_file), *(["--ca-file", ca_file] if ca_file else [])],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def finished(proc: subprocess.Popen) -> tuple[int, str]:
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out + err


def big_transcript(path: Path, megabytes: int, seed: int = 9) -> None:
    """A long session: assistant requests with long texts, `megabytes` in all (written in a stream)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    moment = dt.datetime(2026, 10, 6, 8, tzinfo=dt.timezone.utc)
    filler = " ".join(f"word{i % 977}" for i in range(2400))  # ~20 KB a line
    written, i = 0, 0
    with path.open("w") as f:
        while written < megabytes << 20:
            moment += dt.timedelta(seconds=7)
            line = json.dumps({"parentUuid": None, "isSidechain": False, "type": "assistant", "cwd": "/home/dev/src/big",
                               "sessionId": "b1000000-0000-4000-8000-000000000001", "version": "2.0.14", "gitBranch": "main",
                               "message": {"id": f"msg_big{seed}_{i:08d}", "type": "message", "role": "assistant",
                                           "model": "claude-sonnet-4-5-20250929", "content": [{"type": "text", "text": filler}],
                                           "usage": {"input_tokens": 10 + i % 50, "output_tokens": 100 + i % 300,
                                                     "cache_read_input_tokens": 1000 + i, "cache_creation_input_tokens": i % 700}},
                               "requestId": f"req_big{seed}_{i:08d}", "uuid": f"b{seed}-{i:012d}",
                               "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")}, separators=(",", ":"))
            f.write(line + "\n")
            written += len(line) + 1
            i += 1


def machine_home(home: Path, seed: int, big_mb: int = 0) -> None:
    models = anthropic_models()
    write_claude(home / ".claude", models[seed % 5: seed % 5 + 3], days=3, per_day=6, seed=seed)
    write_codex(home / ".codex", CODEX[:2], days=2, turns=4, seed=seed + 100)
    session = sorted((home / ".claude" / "projects").rglob("*.jsonl"))[0]
    subagents = session.with_suffix("") / "subagents" / "agent-a1.jsonl"
    subagents.parent.mkdir(parents=True)
    subagents.write_text(session.read_text().splitlines()[-1] + "\n")
    append_request(subagents, f"sub{seed}")
    if big_mb:
        big_transcript(home / ".claude" / "projects" / "-home-dev-src-big" / "b1.jsonl", big_mb, seed)


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*.jsonl")) if p.is_file()}


def build(db: Path, landing: Path, config: ProjectConfig, token_machines=()) -> dict:
    """Ingest landing/'s transcripts into a new warehouse, build the agent marts, and return per
    (machine, developer, agent): requests, token sums and computed cost."""
    con = duckdb.connect(str(db))
    try:
        ensure_sources(con, b"s")  # every raw table dbt reads
        write_identities(con, identity_rows(config, b"s", list(token_machines)))
        run_ingest(con, ClaudeSource(landing), claude_roots(landing, config))
        run_ingest(con, CodexSource(landing), codex_roots(landing, config))
    finally:
        con.close()
    subprocess.run([str(Path(sys.executable).parent / "dbt"), "build", "--quiet", "--select", "+fct_agent_requests",
                    "--exclude", "resource_type:test", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
                   env={**os.environ, "ANALYTICS_DUCKDB_PATH": str(db)}, check=True)
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("""SELECT machine, developer_key, agent, count(*), sum(input_tokens), sum(output_tokens),
                                     sum(cache_read_tokens), sum(cache_creation_tokens), round(sum(computed_cost_usd), 9)
                              FROM marts.fct_agent_requests GROUP BY ALL ORDER BY ALL""").fetchall()
    finally:
        con.close()
    return {row[:3]: row[3:] for row in rows}


def test_three_machines_push_through_crashes_and_equal_a_local_ingest(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYTICS_HASH_SALT", "test-salt")
    server = tmp_path / "server"
    tokens = server / "data" / "receiver_tokens.json"
    people = {"ada-laptop": "Ada Lovelace", "bob-desktop": "Bob Kahn", "cy-mini": "Cy Young"}
    homes = {m: tmp_path / m for m in people}
    for seed, (machine, home) in enumerate(homes.items(), start=3):
        machine_home(home, seed, big_mb=200 if machine == "ada-laptop" else 0)
    for extra in range(3):  # bob has files enough for his push to be killed after its third chunk
        write_claude(homes["bob-desktop"] / ".claude", anthropic_models()[:1], days=1, per_day=2, seed=20 + extra)
    token_files = {m: add_token(tokens, d, m, tmp_path) for m, d in people.items()}
    landing = server / "landing"

    # The receiver dies in the middle of writing its 8th chunk; bob's client dies after its 3rd answer.
    receiver = Receiver(landing, tokens, env={"ANALYTICS_FAULT": "receiver.push_mid_write:8"})
    clients = {m: push(homes[m], receiver.url, token_files[m], fault="push.after_chunk:3" if m == "bob-desktop" else "")
               for m in people}
    assert receiver.proc.wait(timeout=120) == -signal.SIGKILL
    receiver = Receiver(landing, tokens, port=receiver.port)
    results = {m: finished(p) for m, p in clients.items()}
    assert results["bob-desktop"][0] == -signal.SIGKILL, results["bob-desktop"]
    assert results["ada-laptop"][0] == 0 and results["cy-mini"][0] == 0, results
    assert finished(push(homes["bob-desktop"], receiver.url, token_files["bob-desktop"]))[0] == 0

    # Then the histories move on: a request appended to the big file, bob's session rotated away.
    append_request(homes["ada-laptop"] / ".claude/projects/-home-dev-src-big/b1.jsonl", "after1")
    rotated = sorted((homes["bob-desktop"] / ".claude/projects").rglob("*.jsonl"))[1]
    rotated.rename(rotated.with_name(rotated.stem + ".1.jsonl"))
    write_claude(homes["bob-desktop"] / ".claude", anthropic_models()[:1], days=1, per_day=3, seed=40)
    rotated.write_text(rotated.with_name(rotated.stem + ".1.jsonl").read_text().splitlines()[0] + "\n")
    append_request(rotated, "rotated1")
    second = {m: push(homes[m], receiver.url, token_files[m]) for m in people}
    assert all(finished(p)[0] == 0 for p in second.values())
    last = {m: finished(push(homes[m], receiver.url, token_files[m])) for m in people}
    assert all(code == 0 and "pushed 0 files" in out for code, out in last.values()), last

    # The 403 and 400 a client cannot get past, then the receiver's log holds no token.
    header = lambda m: {"Authorization": f"Bearer {token_files[m].read_text()}", "X-Push-Offset": "0", "X-Push-Tail": EMPTY}  # noqa: E731
    other = requests.post(f"{receiver.url}/v1/push", data=b"x\n", timeout=10,
                          headers={**header("ada-laptop"), "X-Push-Path": "claude/bob-desktop/projects/p/s.jsonl"})
    dotted = requests.post(f"{receiver.url}/v1/push", data=b"x\n", timeout=10,
                           headers={**header("ada-laptop"), "X-Push-Path": "claude/ada-laptop/projects/../../bob-desktop/projects/s.jsonl"})
    anonymous = requests.post(f"{receiver.url}/v1/push", data=b"x\n", timeout=10, headers={"X-Push-Path": "claude/ada-laptop/projects/p/s.jsonl"})
    assert (other.status_code, dotted.status_code, anonymous.status_code) == (403, 400, 401)
    log = receiver.stop()
    assert not any(t.read_text() in log for t in token_files.values())

    # Nothing duplicated, nothing lost: each machine's landing tree is its history, byte for byte.
    for machine, home in homes.items():
        assert files_of(landing / "claude" / machine / "projects") == files_of(home / ".claude" / "projects")
        assert files_of(landing / "codex" / machine / "sessions") == files_of(home / ".codex" / "sessions")

    # And the marts equal a local ingest of the three trees (copied as a synced folder would be).
    local = tmp_path / "local" / "landing"
    for machine, home in homes.items():
        shutil.copytree(home / ".claude" / "projects", local / "claude" / machine / "projects")
        shutil.copytree(home / ".codex" / "sessions", local / "codex" / machine / "sessions")
    bare = ProjectConfig(include_home=False)
    listed = ProjectConfig(include_home=False, developers=tuple(Developer(d, machines=(m,)) for m, d in people.items()))
    pushed = build(tmp_path / "pushed.duckdb", landing, bare, token_machines=[(d, m) for m, d in people.items()])
    assert pushed == build(tmp_path / "local.duckdb", local, listed)
    assert {(m, a) for m, _, a in pushed} == {(m, a) for m in people for a in ("claude_code", "codex")}
    assert len({d for _, d, _ in pushed}) == 3
    big = sum(v[0] for (m, _, a), v in pushed.items() if m == "ada-laptop" and a == "claude_code")
    assert big > 10_000  # the 200 MB session is in


def test_oversize_bodies_get_a_413_the_client_can_read(tmp_path):
    tokens = tmp_path / "tokens.json"
    receiver = Receiver(tmp_path / "landing", tokens, "--max-body-mb", "1")
    try:
        answer = requests.post(f"{receiver.url}/v1/logs", data=b"x" * (3 << 20), headers={"Content-Type": "application/json"}, timeout=30)
        assert answer.status_code == 413 and "limit" in answer.json()["message"]
    finally:
        receiver.stop()


def test_a_public_address_needs_a_token(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "ANALYTICS_RECEIVER_TOKEN"}
    refused = subprocess.run([CLI, "receive", "--host", "0.0.0.0", "--port", "0", "--tokens", str(tmp_path / "none.json")],
                             capture_output=True, text=True, env=env, timeout=60)
    assert refused.returncode != 0 and "token add" in refused.stderr and "0.0.0.0" in refused.stderr


def test_pushes_over_https_with_a_trusted_certificate(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    tokens = tmp_path / "tokens.json"
    home = tmp_path / "home"
    write_claude(home / ".claude", anthropic_models()[:1], days=1, per_day=3, seed=5)
    token_file = add_token(tokens, "Ada Lovelace", "ada", tmp_path)
    receiver = Receiver(tmp_path / "landing", tokens, "--tls-cert", str(cert), "--tls-key", str(key))
    try:
        assert receiver.url.startswith("https://")
        untrusted = finished(push(home, receiver.url, token_file))
        assert untrusted[0] == 2 and "--ca-file" in untrusted[1]
        trusted = finished(push(home, receiver.url, token_file, ca_file=str(cert)))
        assert trusted[0] == 0, trusted
    finally:
        receiver.stop()
    assert files_of(tmp_path / "landing" / "claude" / "ada" / "projects") == files_of(home / ".claude" / "projects")


def test_gzip_chunks_are_bounded_when_decompressed(tmp_path):
    tokens = tmp_path / "tokens.json"
    token = add_token(tokens, "Ada", "ada", tmp_path).read_text()
    receiver = Receiver(tmp_path / "landing", tokens)
    try:
        bomb = zlib.compress(b"\n" * (80 << 20), 9, wbits=31)  # 80 MiB of newlines in ~80 KB
        answer = requests.post(f"{receiver.url}/v1/push", data=bomb, timeout=30, headers={
            "Authorization": f"Bearer {token}", "Content-Encoding": "gzip", "X-Push-Path": "claude/ada/projects/p/s.jsonl",
            "X-Push-Offset": "0", "X-Push-Tail": EMPTY})
        assert answer.status_code == 413
    finally:
        receiver.stop()
    assert not (tmp_path / "landing" / "claude" / "ada" / "projects" / "p" / "s.jsonl").exists()


def test_push_says_which_repository_each_working_folder_is_in(tmp_path):
    """The server cannot see a laptop's disk: push sends git's answer for every working folder of the lines it
    sends (once per folder), and the server's repo_folders reads it under the token's machine."""
    from analytics_assets.git.folders import FOLDERS, update_folders

    home, tokens = tmp_path / "home", tmp_path / "tokens.json"
    clone = home / "src" / "my-api"
    (clone / "packages" / "web").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "remote", "add", "origin", "git@github.com:acme/api-server.git"], check=True)
    session = home / ".claude" / "projects" / "-p" / "s1.jsonl"
    session.parent.mkdir(parents=True)
    line = {"type": "assistant", "sessionId": "s1", "cwd": str(clone / "packages" / "web"), "timestamp": "2026-11-02T08:00:00.000Z",
            "requestId": "req_1", "message": {"id": "msg_1", "model": "claude-sonnet-4-5-20250929", "usage": {"input_tokens": 1}}}
    gone = {**line, "cwd": "/nonexistent/elsewhere", "requestId": "req_2"}
    session.write_text(json.dumps(line, separators=(",", ":")) + "\n" + json.dumps(gone, separators=(",", ":")) + "\n")
    token_file = add_token(tokens, "Ada Lovelace", "ada-laptop", tmp_path)
    receiver = Receiver(tmp_path / "landing", tokens)
    try:
        assert finished(push(home, receiver.url, token_file))[0] == 0
        append_request(session, "again")  # the same folder again: the map does not grow
        assert finished(push(home, receiver.url, token_file))[0] == 0
    finally:
        receiver.stop()
    landed = tmp_path / "landing" / "folders" / "ada-laptop" / "repositories.jsonl"
    assert [json.loads(x) for x in landed.read_text().splitlines()] == [
        {"cwd": str(clone / "packages" / "web"), "toplevel": str(clone), "remote": "github.com/acme/api-server", "name": "api-server"}]
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        update_folders(con, tmp_path / "landing")
        assert con.execute(f"SELECT machine, remote, resolved_by FROM {FOLDERS}").fetchall() == [
            ("ada-laptop", "github.com/acme/api-server", "pushed")]
    finally:
        con.close()


def test_gemini_chats_are_pushed_whole_each_time_they_change(tmp_path):
    """Gemini CLI rewrites a chat (one JSON document) as it grows: push sends it whole, replacing the server's copy."""
    from tests.parity_corpus import write_gemini

    home, tokens = tmp_path / "home", tmp_path / "tokens.json"
    write_gemini(home / ".gemini" / "tmp", ["gemini-2.5-flash"], days=2, per_day=2)
    token_file = add_token(tokens, "Ada Lovelace", "ada-laptop", tmp_path)
    receiver = Receiver(tmp_path / "landing", tokens)
    try:
        assert finished(push(home, receiver.url, token_file))[0] == 0
        chat = sorted((home / ".gemini" / "tmp").rglob("*.json"))[0]
        grown = json.loads(chat.read_text())
        grown["messages"].append({**grown["messages"][-1], "id": "later"})
        chat.write_text(json.dumps(grown, indent=2))  # no newline at the end, as Gemini CLI writes it
        code, out = finished(push(home, receiver.url, token_file))
        assert code == 0 and "pushed 1 files" in out and "1 replaced" in out, out
        assert "pushed 0 files" in finished(push(home, receiver.url, token_file))[1]
    finally:
        receiver.stop()
    mine = {p.relative_to(home / ".gemini").as_posix(): p.read_bytes() for p in (home / ".gemini" / "tmp").rglob("*.json*")}
    landed = tmp_path / "landing" / "gemini" / "ada-laptop"
    assert {p.relative_to(landed).as_posix(): p.read_bytes() for p in landed.rglob("*.json*")} == mine


def test_telemetry_carries_the_tokens_machine_not_the_clients_word(tmp_path):
    tokens = tmp_path / "tokens.json"
    token = add_token(tokens, "Ada Lovelace", "ada", tmp_path).read_text()
    receiver = Receiver(tmp_path / "landing", tokens)
    posed = {"resourceLogs": [{"resource": {"attributes": [{"key": "analytics.machine", "value": {"stringValue": "bob"}},
                                                          {"key": "service.name", "value": {"stringValue": "claude-code"}}]},
                               "scopeLogs": [{"scope": {}, "logRecords": [{"timeUnixNano": "1", "body": {"stringValue": "x"}}]}]}]}
    try:
        assert requests.post(f"{receiver.url}/v1/logs", json=posed, timeout=10).status_code == 401
        assert requests.post(f"{receiver.url}/v1/logs", json=posed, timeout=10, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    finally:
        receiver.stop()
    [landed] = [json.loads(line) for p in (tmp_path / "landing" / "otlp").glob("receiver-logs-*.jsonl") for line in p.read_text().splitlines()]
    attributes = {a["key"]: a["value"]["stringValue"] for a in landed["resourceLogs"][0]["resource"]["attributes"]}
    assert attributes == {"service.name": "claude-code", "analytics.machine": "ada", "analytics.developer": "Ada Lovelace"}


def test_init_push_to_sets_up_a_machine_once_and_doctor_checks_it(tmp_path):
    tokens, home = tmp_path / "tokens.json", tmp_path / "home"
    write_claude(home / ".claude", anthropic_models()[:1], days=1, per_day=3, seed=6)
    (home / ".claude" / "settings.json").write_text(json.dumps({"model": "opus", "hooks": {"SessionEnd": [
        {"hooks": [{"type": "command", "command": "echo mine"}]}]}}))
    token_file = add_token(tokens, "Ada Lovelace", "ada-laptop", tmp_path)
    token_file.chmod(0o600)
    token = token_file.read_text()
    receiver = Receiver(tmp_path / "landing", tokens)
    env = {k: v for k, v in os.environ.items() if k not in ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "XDG_CONFIG_HOME")}
    env.update(HOME=str(home), XDG_STATE_HOME=str(home / ".state"), ANALYTICS_CONFIG=str(tmp_path / "analytics.yaml"))
    init = [CLI, "init", "--home", str(home), "--push-to", receiver.url, "--token-file", str(token_file), "--cleanup-days", "90"]
    try:
        dry = subprocess.run([*init, "--dry-run"], capture_output=True, text=True, env=env, check=True)
        assert "otelHeadersHelper" in dry.stdout and token not in dry.stdout and "<token from the token file>" in dry.stdout
        assert not (home / ".config" / "analytics-assets").exists()
        subprocess.run(init, capture_output=True, text=True, env=env, check=True)
        again = subprocess.run(init, capture_output=True, text=True, env=env, check=True)
        assert "would change" not in again.stdout and "changing" not in again.stdout, again.stdout

        settings = json.loads((home / ".claude" / "settings.json").read_text())
        assert settings["model"] == "opus" and settings["cleanupPeriodDays"] == 90
        assert settings["env"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == receiver.url and token not in json.dumps(settings)
        commands = [h["command"] for e in settings["hooks"]["SessionEnd"] for h in e["hooks"]]
        assert commands[0] == "echo mine" and len(commands) == 2 and "push --quiet" in commands[1]
        header = subprocess.run([settings["otelHeadersHelper"]], capture_output=True, text=True, check=True).stdout
        assert json.loads(header) == {"Authorization": f"Bearer {token}"}
        assert f"Bearer {token}" in (home / ".codex" / "config.toml").read_text()

        # The hook's command: push with no arguments, from what init saved.
        pushed = subprocess.run([CLI, "push", "--quiet"], capture_output=True, text=True, env=env)
        assert pushed.returncode == 0 and "pushed" in pushed.stdout, pushed.stderr
        doctor = subprocess.run([CLI, "doctor", "--receiver", receiver.url], capture_output=True, text=True, env=env)
    finally:
        receiver.stop()
    lines = {line[7:23].strip(): line for line in doctor.stdout.splitlines()}
    assert lines["push receiver"].startswith("[ok  ]") and "ada-laptop" in lines["push receiver"]
    assert lines["last push"].startswith("[ok  ]") and lines["push waiting"].endswith("nothing waits")
    assert "after 90 days" in lines["claude cleanup"] and token not in doctor.stdout


def test_opencode_databases_are_pushed_as_exports_and_read_as_a_local_database_is(tmp_path):
    """OpenCode keeps its messages in SQLite: push exports each database as JSON lines in its own state folder and
    sends the export (appended lines, or the whole export when a message changed in place); the server's ingest of
    the pushed export equals an ingest of the database itself."""
    import shutil
    import sqlite3

    import duckdb

    from analytics_assets.ingest.runner import run_ingest
    from analytics_assets.opencode.load import OpenCodeSource, opencode_roots
    from analytics_assets.project_config import ProjectConfig
    from analytics_assets.transform.sources import ensure_sources
    from tests.parity_corpus import OPENCODE, write_opencode

    home, tokens = tmp_path / "home", tmp_path / "tokens.json"
    data = home / ".local" / "share" / "opencode"
    write_opencode(data, OPENCODE[:2], days=2, per_day=3)
    token_file = add_token(tokens, "Ada Lovelace", "ada-laptop", tmp_path)
    receiver = Receiver(tmp_path / "landing", tokens)
    try:
        assert finished(push(home, receiver.url, token_file))[0] == 0
        assert "pushed 0 files" in finished(push(home, receiver.url, token_file))[1]  # unchanged database: nothing sent
        db = sqlite3.connect(data / "opencode.db")
        (data_json,) = db.execute("SELECT data FROM message WHERE data LIKE '%assistant%' ORDER BY rowid DESC LIMIT 1").fetchone()
        message = {**json.loads(data_json), "id": "msg_pushed_later"}
        db.execute("INSERT INTO message VALUES (?, ?, ?, ?)", ("msg_pushed_later", message.get("sessionID", "ses_x"), 1, json.dumps(message)))
        db.commit()
        db.close()
        code, out = finished(push(home, receiver.url, token_file))
        assert code == 0 and "pushed 1 files" in out, out
    finally:
        receiver.stop()
    assert list((tmp_path / "landing" / "opencode" / "ada-laptop" / "exports").rglob("opencode.jsonl"))
    local = tmp_path / "local-landing" / "opencode" / "ada-laptop"
    local.mkdir(parents=True)
    shutil.copy(data / "opencode.db", local / "opencode.db")

    def ingested(landing: Path, warehouse: Path):
        con = duckdb.connect(str(warehouse))
        try:
            ensure_sources(con, b"s")
            run_ingest(con, OpenCodeSource(landing, warehouse), opencode_roots(landing, warehouse, ProjectConfig(include_home=False)))
            return con.execute("SELECT message_id, machine, input_tokens, output_tokens, cache_read_tokens, reported_cost_usd "
                               "FROM raw.opencode_messages ORDER BY message_id").fetchall()
        finally:
            con.close()

    pushed = ingested(tmp_path / "landing", tmp_path / "server.duckdb")
    assert pushed == ingested(tmp_path / "local-landing", tmp_path / "local.duckdb")
    assert any(row[0] == "msg_pushed_later" for row in pushed) and {row[1] for row in pushed} == {"ada-laptop"}
