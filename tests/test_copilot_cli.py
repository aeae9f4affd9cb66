"""GitHub Copilot CLI's OTel file export: one model call reported by a chat span and an invoke_agent summary counts
once; a summary alone counts; bad records quarantined. Tokens per day and model equal ccusage 20.0.24's (`ccusage
copilot daily --offline --json`) and cost within 0.1 %, through the real ingest and dbt."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from analytics_assets.config import DBT_PROJECT_DIR
from analytics_assets.copilot_cli.load import CopilotCliSource, copilot_cli_roots
from analytics_assets.identities import write_identities
from analytics_assets.ingest.runner import run_ingest
from analytics_assets.project_config import ProjectConfig, identity_rows
from analytics_assets.transform.sources import ensure_sources

from .parity_corpus import COPILOT_CLI, write_copilot_cli
from .test_ccusage_parity import CCUSAGE, assert_parity


def _build(tmp_path: Path, landing: Path) -> Path:
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    try:
        ensure_sources(con, b"s")
        write_identities(con, identity_rows(ProjectConfig(), b"s"))
        run_ingest(con, CopilotCliSource(landing), copilot_cli_roots(landing, ProjectConfig(include_home=False)))
    finally:
        con.close()
    subprocess.run([str(Path(sys.executable).parent / "dbt"), "build", "--quiet", "--select", "+fct_agent_requests", "--exclude",
                    "resource_type:test", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
                   env={**os.environ, "ANALYTICS_DUCKDB_PATH": str(db)}, check=True)
    return db


def test_one_call_counts_once_and_bad_records_are_quarantined(tmp_path):
    folder = tmp_path / "landing" / "copilot_cli" / "ada-laptop" / "otel"
    folder.mkdir(parents=True)
    usage = {"gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 50, "gen_ai.usage.cache_read.input_tokens": 400}
    span = lambda trace, name, operation, **extra: {"type": "span", "traceId": trace, "spanId": f"s-{trace}-{operation}", "name": name,  # noqa: E731
                                                    "endTime": [1_793_000_000, 0], "attributes": {"gen_ai.operation.name": operation,
                                                    "gen_ai.conversation.id": "conv", **usage, **extra}}
    records = [
        span("t1", "chat gpt-5", "chat", **{"gen_ai.response.model": "gpt-5"}),
        span("t1", "invoke_agent copilot", "invoke_agent"),           # the same call, summarised: not counted again
        span("t2", "invoke_agent copilot", "invoke_agent", **{"gen_ai.request.model": "gpt-5"}),  # a summary alone counts
        {"type": "span", "traceId": "t3", "spanId": "x", "name": "chat gpt-5", "attributes": {"gen_ai.operation.name": "chat", **usage}},
    ]
    (folder / "copilot-otel-1.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records) + '{"attributes": {torn\n')
    db = _build(tmp_path, tmp_path / "landing")
    con = duckdb.connect(str(db), read_only=True)
    try:
        calls = con.execute("SELECT model, input_tokens, cache_read_tokens, output_tokens, machine FROM marts.fct_agent_requests "
                            "WHERE agent = 'copilot_cli' ORDER BY ALL").fetchall()
        reasons = sorted(r for (r,) in con.execute("SELECT reason FROM raw.quarantine WHERE source = 'copilot_cli'").fetchall())
        loaded = con.execute("SELECT count(*) FROM raw.copilot_cli_usage").fetchone()[0]
    finally:
        con.close()
    assert calls == [("gpt-5", 600, 400, 50, "ada-laptop")] * 2
    # five lines in = three spans loaded + two quarantined: the span without a time by its schema, the torn last line
    # as not JSON (kept with its reason, not dropped)
    assert loaded == 3 and len(reasons) == 2
    assert reasons[0].startswith("attr_errors:") and "no timestamp" in reasons[0]
    assert reasons[1].startswith("not JSON")


@pytest.mark.skipif(not CCUSAGE.exists(), reason="ccusage not installed (make install puts it in .tools/)")
def test_copilot_cli_tokens_and_cost_equal_ccusage(tmp_path):
    home, landing = tmp_path / "home", tmp_path / "landing"
    assert write_copilot_cli(home / ".copilot" / "otel", COPILOT_CLI) == write_copilot_cli(
        landing / "copilot_cli" / "dev-laptop" / "otel", COPILOT_CLI)
    out = subprocess.run([str(CCUSAGE), "copilot", "daily", "--offline", "--json"], capture_output=True, text=True, check=True,
                         env={**os.environ, "HOME": str(home), "TZ": "UTC"}).stdout
    theirs = {(day["date"], m["modelName"]): m for day in json.loads(out)["daily"] for m in day["modelBreakdowns"]}
    db = _build(tmp_path, landing)
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("""SELECT CAST(event_date AS VARCHAR), model, sum(input_tokens), sum(output_tokens),
                                     sum(cache_read_tokens), sum(cache_creation_tokens), sum(computed_cost_usd),
                                     count(*) FILTER (WHERE pricing_status <> 'priced')
                              FROM marts.fct_agent_requests WHERE agent = 'copilot_cli' GROUP BY 1, 2""").fetchall()
    finally:
        con.close()
    # Reasoning is a part of the output count (as ccusage 20.0.24 reads it too: its cost does not add it again).
    mine = {(d, m): {"inputTokens": i, "outputTokens": o, "cacheReadTokens": r, "cacheCreationTokens": c, "cost": cost, "unpriced": u}
            for d, m, i, o, r, c, cost, u in rows}
    assert len(theirs) == 3 * len(COPILOT_CLI) and all(v["unpriced"] == 0 for v in mine.values())
    assert_parity(theirs, mine)
