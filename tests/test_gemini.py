"""Gemini CLI's saved chats: the parser alone (both shapes, bad input quarantined with its reason), and
tokens and cost against ccusage 20.0.24 (`ccusage gemini daily --offline --json`) on a generated history
shaped like Gemini CLI's files, through the real ingest and dbt."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from analytics_assets.config import DBT_PROJECT_DIR
from analytics_assets.gemini import chats
from analytics_assets.gemini.load import GeminiSource, gemini_roots
from analytics_assets.identities import write_identities
from analytics_assets.ingest.runner import run_ingest
from analytics_assets.project_config import ProjectConfig, identity_rows
from analytics_assets.transform.sources import ensure_sources

from .parity_corpus import GEMINI, write_gemini
from .test_ccusage_parity import CCUSAGE, assert_parity


def _parse(*lines: str, source: str = "/x/tmp/p/chats/session-a.jsonl"):
    return chats.parse_lines([source] * len(lines), list(range(len(lines))), [line.encode() for line in lines])


def test_both_shapes_and_the_model_and_session_of_earlier_lines():
    document = json.dumps({"sessionId": "s1", "projectHash": "h", "startTime": "2026-11-02T08:00:00Z", "messages": [
        {"id": "u", "type": "user", "content": "hi"},
        {"id": "g", "type": "gemini", "timestamp": "2026-11-02T08:00:05Z", "model": "gemini-2.5-pro",
         "tokens": {"input": 100, "output": 5, "cached": 40, "thoughts": 7, "tool": 1, "total": 113}}]}, indent=2)
    rows, bad, skipped = _parse(document, source="/x/tmp/p/chats/session-a.json")
    assert bad.height == 0 and skipped == 0
    assert rows.select("session_id", "message_id", "model", "input_tokens", "cached_tokens", "thoughts_tokens", "total_tokens").row(0) == (
        "s1", "g", "gemini-2.5-pro", 100, 40, 7, 113)
    rows, bad, skipped = _parse('{"sessionId":"s2","model":"gemini-2.5-flash"}',
                                '{"id":"m1","type":"gemini","timestamp":"2026-11-02T09:00:00Z","tokens":{"input":"12","output":3}}',
                                '{"type":"user","content":"x"}')
    assert (rows["session_id"][0], rows["model"][0], rows["input_tokens"][0], rows["total_tokens"][0]) == ("s2", "gemini-2.5-flash", 12, None)
    assert skipped == 2 and bad.height == 0


def test_bad_lines_are_quarantined_with_their_reason_and_nothing_is_lost(tmp_path):
    root = tmp_path / "landing" / "gemini" / "ada-laptop" / "tmp" / "p" / "chats"
    root.mkdir(parents=True)
    good = {"id": "g1", "type": "gemini", "timestamp": "2026-11-02T08:00:05Z", "model": "gemini-2.5-flash",
            "tokens": {"input": 10, "output": 2, "total": 12}}
    lines = [
        {"sessionId": "s", "startTime": "2026-11-02T08:00:00Z"},
        good,
        {**good, "id": "g2", "tokens": {"input": "lots", "output": 2}},        # not a number
        {**good, "id": "g3", "tokens": {"input": -5, "output": 2}},            # negative
        {**good, "id": "g4", "timestamp": "yesterday"},                          # not a time
    ]
    (root / "session-s.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines) + "{torn\n")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        ensure_sources(con, b"s")
        stats = run_ingest(con, GeminiSource(tmp_path / "landing"), gemini_roots(tmp_path / "landing", ProjectConfig(include_home=False)))
        loaded = con.execute("SELECT message_id, machine FROM raw.gemini_messages").fetchall()
        reasons = sorted(r for (r,) in con.execute("SELECT reason FROM raw.quarantine WHERE source = 'gemini'").fetchall())
    finally:
        con.close()
    assert loaded == [("g1", "ada-laptop")]
    assert stats.records["gemini_messages"] == 4 and stats.quarantined_total == 4 == len(reasons)
    assert stats.records["gemini_messages"] + 1 == len(loaded) + stats.quarantined_total  # the torn line: undecoded
    assert any("not a number" in r for r in reasons) and any("not JSON" in r for r in reasons)
    assert any("ISO 8601" in r for r in reasons) and "input_tokens: greater_than_or_equal_to(0) failed for -5" in reasons


@pytest.mark.skipif(not CCUSAGE.exists(), reason="ccusage not installed (make install puts it in .tools/)")
def test_gemini_tokens_and_cost_equal_ccusage(tmp_path, monkeypatch):
    home = tmp_path / "gemini-home" / "tmp"
    landing = tmp_path / "landing"
    assert write_gemini(home, GEMINI) == write_gemini(landing / "gemini" / "dev-laptop" / "tmp", GEMINI)
    out = subprocess.run([str(CCUSAGE), "gemini", "daily", "--offline", "--json"], capture_output=True, text=True, check=True,
                         env={**os.environ, "GEMINI_DATA_DIR": str(home), "TZ": "UTC"}).stdout
    theirs = {(day["date"], m["modelName"]): m for day in json.loads(out)["daily"] for m in day["modelBreakdowns"]}
    monkeypatch.setenv("GEMINI_DATA_DIR", str(tmp_path / "no-home"))
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    try:
        ensure_sources(con, b"s")
        write_identities(con, identity_rows(ProjectConfig(), b"s"))
        run_ingest(con, GeminiSource(landing), gemini_roots(landing))
    finally:
        con.close()
    subprocess.run([str(Path(sys.executable).parent / "dbt"), "build", "--quiet", "--select", "+fct_agent_requests", "--exclude",
                    "resource_type:test", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
                   env={**os.environ, "ANALYTICS_DUCKDB_PATH": str(db)}, check=True)
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("""SELECT CAST(event_date AS VARCHAR), model, sum(input_tokens), sum(output_tokens - reasoning_output_tokens),
                                     sum(cache_read_tokens), sum(cache_creation_tokens), sum(computed_cost_usd),
                                     count(*) FILTER (WHERE pricing_status <> 'priced')
                              FROM marts.fct_agent_requests WHERE agent = 'gemini_cli' GROUP BY 1, 2""").fetchall()
    finally:
        con.close()
    # ccusage's outputTokens leave thoughts out (it bills them as output all the same); ours include them, as Codex's
    # output includes its reasoning: compared without them.
    mine = {(d, m): {"inputTokens": i, "outputTokens": o, "cacheReadTokens": r, "cacheCreationTokens": c, "cost": cost, "unpriced": u}
            for d, m, i, o, r, c, cost, u in rows}
    assert len(theirs) == 3 * len(GEMINI) and all(v["unpriced"] == 0 for v in mine.values())
    assert_parity(theirs, mine)
