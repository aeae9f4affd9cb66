"""Cost parity with ccusage (the tool people use today) on the same transcripts.

ccusage's `daily --offline --json` reports per day and model the four token counts and a cost
(its default "auto" mode: the transcript's costUSD when present, else computed from its bundled
price table). We compute the same figures from our warehouse: tokens must match exactly, cost
within 0.1 %, for every day and model. Runs when ccusage is installed (`make install` puts it in
.tools/ with npm); the corpora are the public fixtures and a generated team history.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from analytics_assets.config import DBT_PROJECT_DIR, PROJECT_ROOT
from analytics_assets.demo import generate
from analytics_assets.identities import write_identities
from analytics_assets.ingest.runner import ensure_tables, run_ingest
from analytics_assets.project_config import ProjectConfig, identity_rows
from analytics_assets.otlp.load import OtlpSource
from analytics_assets.transcripts.load import ClaudeSource, CodexSource, claude_roots

CCUSAGE = PROJECT_ROOT / ".tools" / "node_modules" / ".bin" / "ccusage"

pytestmark = pytest.mark.skipif(not CCUSAGE.exists(), reason="ccusage not installed (make install puts it in .tools/)")


def ccusage_daily(config_dirs: list[Path]) -> dict[tuple[str, str], dict]:
    env = {**os.environ, "CLAUDE_CONFIG_DIR": ",".join(map(str, config_dirs)), "TZ": "UTC"}
    out = subprocess.run([str(CCUSAGE), "daily", "--offline", "--json"], env=env, capture_output=True, text=True, check=True).stdout
    rows = {}
    for day in json.loads(out)["daily"]:
        for m in day["modelBreakdowns"]:
            rows[(day["period"], m["modelName"])] = m
    return rows


def ours(tmp_path: Path, landing: Path, config_dirs: list[Path]) -> dict[tuple[str, str], dict]:
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    try:
        # The agent marts also read Claude Code telemetry and Codex sessions (none here).
        ensure_tables(con, OtlpSource(b"s"))
        ensure_tables(con, CodexSource(landing))
        write_identities(con, identity_rows(ProjectConfig(), b"s"))
        os.environ["CLAUDE_CONFIG_DIR"] = ",".join(map(str, config_dirs))
        run_ingest(con, ClaudeSource(landing), claude_roots(landing))
    finally:
        con.close()
    dbt = str(Path(sys.executable).parent / "dbt")
    subprocess.run([dbt, "build", "--quiet", "--select", "+fct_agent_requests", "--exclude", "resource_type:test",
                    "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
                   env={**os.environ, "ANALYTICS_DUCKDB_PATH": str(db)}, check=True)
    con = duckdb.connect(str(db), read_only=True)
    try:
        # ccusage names fast-mode requests "<model>-fast" and, in its auto mode, prefers the
        # transcript's own costUSD: the same view of our rows, for comparison.
        rows = con.execute(
            """SELECT CAST(event_date AS VARCHAR), model || CASE WHEN speed = 'fast' THEN '-fast' ELSE '' END,
                      sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_creation_tokens),
                      sum(coalesce(reported_cost_usd, computed_cost_usd))
               FROM marts.fct_agent_requests WHERE agent = 'claude_code' AND model <> '<synthetic>'
               GROUP BY 1, 2"""
        ).fetchall()
    finally:
        con.close()
    return {(d, m): {"inputTokens": i, "outputTokens": o, "cacheReadTokens": r, "cacheCreationTokens": c, "cost": cost}
            for d, m, i, o, r, c, cost in rows}


def assert_parity(theirs: dict, mine: dict) -> None:
    assert set(mine) == set(theirs)
    for key, them in theirs.items():
        me = mine[key]
        for tokens in ("inputTokens", "outputTokens", "cacheReadTokens", "cacheCreationTokens"):
            assert me[tokens] == them[tokens], (key, tokens, me[tokens], them[tokens])
        assert me["cost"] == pytest.approx(them["cost"], rel=1e-3), (key, me["cost"], them["cost"])


def test_parity_on_the_public_fixtures(tmp_path, shared_fixtures, monkeypatch):
    claude = shared_fixtures / "claude"
    landing = tmp_path / "landing"
    landing.mkdir()
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(claude))
    assert_parity(ccusage_daily([claude]), ours(tmp_path, landing, [claude]))


def test_parity_on_a_generated_team_history(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    generate(landing, days_count=14, developer_count=6, seed=5, end=dt.date(2026, 11, 1), sources=("claude_transcripts",))
    machines = sorted(p for p in (landing / "claude").iterdir())
    empty = tmp_path / "no-home"
    (empty / "projects").mkdir(parents=True)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(empty))
    theirs = ccusage_daily(machines)
    mine = ours(tmp_path, landing, [empty])
    assert len(theirs) > 20
    assert_parity(theirs, mine)
