"""The demo generator: deterministic, every source, real git history with agent trailers."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import subprocess

from analytics_assets.demo import generate


def digest(folder) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "git" not in p.parts):
        h.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return h.hexdigest()


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    end = dt.date(2026, 3, 1)
    a = generate(tmp_path / "a", days_count=5, developer_count=3, seed=1, end=end, sources=("zen", "claude_transcripts", "copilot"))
    b = generate(tmp_path / "b", days_count=5, developer_count=3, seed=1, end=end, sources=("zen", "claude_transcripts", "copilot"))
    c = generate(tmp_path / "c", days_count=5, developer_count=3, seed=2, end=end, sources=("zen", "claude_transcripts", "copilot"))
    assert a == b and digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")
    # Re-generating into the same folder replaces, never appends.
    again = generate(tmp_path / "a", days_count=5, developer_count=3, seed=1, end=end, sources=("zen", "claude_transcripts", "copilot"))
    assert again == a and digest(tmp_path / "a") == digest(tmp_path / "b")


def test_a_subset_rewrites_its_sources_alone(tmp_path):
    end = dt.date(2026, 3, 1)
    first = generate(tmp_path, days_count=5, developer_count=3, seed=1, end=end, sources=("zen", "git"))
    zen = sorted(p.name for p in (tmp_path / "otlp").glob("zen-traces-*.jsonl"))
    again = generate(tmp_path, days_count=5, developer_count=3, seed=1, end=end, sources=("git",))
    big = generate(tmp_path / "big", days_count=30, developer_count=3, seed=1, end=end, scale=8, sources=("git",))
    assert zen and sorted(p.name for p in (tmp_path / "otlp").glob("zen-traces-*.jsonl")) == zen
    assert again["sources"] == first["sources"]  # the zen figures stay in the manifest, git's are rewritten equal
    # Demo modules are split past a few hundred lines, as real code is: no file's diff reads megabytes.
    modules = list((tmp_path / "big" / "git").rglob("*.py"))
    assert big["sources"]["git"]["commits"] > 500 and len(modules) > 3 * 4 * 3  # more files than modules
    assert max(len(p.read_text().splitlines()) for p in modules) < 440


def test_every_source_is_written(demo_landing):
    landing, manifest = demo_landing
    assert set(manifest["sources"]) == {"zen", "claude_code_otel", "claude_transcripts", "codex", "gemini", "opencode", "copilot_cli",
                                        "copilot", "cursor", "anthropic", "git"}
    assert list((landing / "otlp").glob("zen-traces-*.jsonl")) and list((landing / "otlp").glob("claude-code-logs-*.jsonl"))
    transcripts = list((landing / "claude").rglob("*.jsonl"))
    assert transcripts and all("/projects/" in str(p) for p in transcripts)
    first = json.loads(transcripts[0].read_text().splitlines()[1])
    assert first["type"] == "assistant" and {"id", "model", "usage"} <= set(first["message"]) and "requestId" in first
    rollouts = list((landing / "codex").rglob("rollout-*.jsonl"))
    kinds = {json.loads(line)["type"] for line in rollouts[0].read_text().splitlines()}
    assert {"session_meta", "turn_context", "event_msg"} <= kinds
    chat = json.loads(next((landing / "gemini").rglob("chats/session-*.json")).read_text())
    assert {"sessionId", "projectHash", "startTime", "messages"} <= set(chat)
    assert {m["type"] for m in chat["messages"]} == {"user", "gemini"} and all("tokens" in m for m in chat["messages"] if m["type"] == "gemini")
    with sqlite3.connect(next((landing / "opencode").glob("*/opencode.db"))) as db:
        roles = {json.loads(data)["role"] for (data,) in db.execute("SELECT data FROM message")}
    assert roles == {"user", "assistant"}
    spans = [json.loads(line) for line in next((landing / "copilot_cli").glob("*/otel/copilot-otel-*.jsonl")).read_text().splitlines()]
    assert {s["attributes"]["gen_ai.operation.name"] for s in spans if s["type"] == "span"} == {"chat", "invoke_agent"}
    events = [e for p in (landing / "cursor" / "usage-events").glob("*.json") for e in json.loads(p.read_text())["usageEvents"]]
    assert len(events) == manifest["sources"]["cursor"]["events"] > 0
    assert all({"timestamp", "userEmail", "model", "tokenUsage"} <= set(e) for e in events)
    members = json.loads(next((landing / "cursor" / "members").glob("*.json")).read_text())["teamMembers"]
    assert len(members) == manifest["sources"]["cursor"]["members"]
    pages = [json.loads(p.read_text()) for p in (landing / "anthropic" / "claude_code").glob("*.json")]
    records = [r for page in pages for r in page["data"]]
    assert len(pages) == manifest["sources"]["anthropic"]["pages"] and len(records) == manifest["sources"]["anthropic"]["records"] > 0
    assert any(page["has_more"] and page["next_page"] for page in pages)  # paginated as the API is
    assert {r["actor"]["type"] for r in records} == {"user_actor", "api_actor"}
    assert all({"date", "core_metrics", "tool_actions", "model_breakdown"} <= set(r) for r in records)
    users = next((landing / "copilot" / "reports").rglob("users-1-day/*.ndjson"))
    assert all("user_login" in json.loads(line) for line in users.read_text().splitlines())
    seats = json.loads(next((landing / "copilot" / "seats").rglob("*.json")).read_text())
    assert seats["total_seats"] == len(seats["seats"]) and any(s["last_activity_at"] is None for s in seats["seats"])


def test_git_repositories_are_real_with_claude_trailers(demo_landing):
    landing, manifest = demo_landing
    git = manifest["sources"]["git"]
    commits, coauthored = 0, 0
    for repo in sorted((landing / "git").iterdir()):
        log = subprocess.run(["git", "-C", str(repo), "log", "--format=%H%x00%B%x01"], capture_output=True, text=True, check=True).stdout
        entries = [e for e in log.split("\x01") if e.strip()]
        commits += len(entries)
        coauthored += sum("Co-Authored-By: Claude <noreply@anthropic.com>" in e for e in entries)
        numstat = subprocess.run(["git", "-C", str(repo), "log", "--numstat", "--format=", "-1"], capture_output=True, text=True, check=True).stdout
        assert numstat.strip()
    assert commits == git["commits"] and coauthored == git["claude_coauthored_commits"] > 0
