"""Cost parity with ccusage (the tool people use today) on the same transcripts.

ccusage's `daily --offline --json` reports per day and model the four token counts and a cost
(its default "auto" mode: the transcript's costUSD when present, else computed from its bundled
price table). We compute the same figures from our warehouse: tokens must match exactly, cost
within 0.1 %, for every day and model. Runs when ccusage is installed (`make install` puts it in
.tools/ with npm); the corpora are the public fixtures, a generated team history, and every model
spelling a bill carries (tests/parity_corpus.py): Anthropic models with 1-hour cache writes,
Bedrock regional ids, `converse/` ids, Codex's dashed and dated names.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from analytics_assets.config import DBT_PROJECT_DIR, PROJECT_ROOT
from analytics_assets.demo import generate
from analytics_assets.identities import write_identities
from analytics_assets.ingest.runner import run_ingest
from analytics_assets.project_config import ProjectConfig, identity_rows
from analytics_assets.transform.sources import ensure_sources
from analytics_assets.transcripts.load import ClaudeSource, CodexSource, claude_roots, codex_roots

from .parity_corpus import BEDROCK, CODEX, LEGACY_ANTHROPIC, anthropic_models, write_claude, write_codex

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


def _build(tmp_path: Path, landing: Path, codex: bool = False) -> Path:
    """Ingest landing/'s Claude Code (or Codex) transcripts into a new warehouse and build the agent marts."""
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    try:
        # The agent marts read Claude Code telemetry and both agents' transcripts: the tables must exist.
        ensure_sources(con, b"s")  # every raw table dbt reads
        write_identities(con, identity_rows(ProjectConfig(), b"s"))
        if codex:
            run_ingest(con, CodexSource(landing), codex_roots(landing))
        else:
            run_ingest(con, ClaudeSource(landing), claude_roots(landing))
    finally:
        con.close()
    dbt = str(Path(sys.executable).parent / "dbt")
    subprocess.run([dbt, "build", "--quiet", "--select", "+fct_agent_requests", "--exclude", "resource_type:test",
                    "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
                   env={**os.environ, "ANALYTICS_DUCKDB_PATH": str(db)}, check=True)
    return db


def ours(tmp_path: Path, landing: Path, config_dirs: list[Path]) -> dict[tuple[str, str], dict]:
    os.environ["CLAUDE_CONFIG_DIR"] = ",".join(map(str, config_dirs))
    db = _build(tmp_path, landing)
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


TOKENS = ("inputTokens", "outputTokens", "cacheReadTokens", "cacheCreationTokens")


def assert_parity(theirs: dict, mine: dict, tokens=TOKENS, deliberate=lambda model: None) -> None:
    """Tokens exact and cost within 0.1 % on every day and model; where `deliberate(model)` gives the
    ratio the README documents (ours / ccusage's), the cost must be that ratio instead."""
    assert set(mine) == set(theirs)
    for key, them in theirs.items():
        me = mine[key]
        for field in tokens:
            assert me[field] == them[field], (key, field, me[field], them[field])
        ratio = deliberate(key[1])
        if ratio is None:
            assert me["cost"] == pytest.approx(them["cost"], rel=1e-3), (key, me["cost"], them["cost"])
        elif ratio != "unpriced":
            assert me["cost"] == pytest.approx(them["cost"] * ratio, rel=1e-3), (key, me["cost"], them["cost"], ratio)
        else:  # ccusage's table does not know the model and prices it at $0; ours lists it
            assert them["cost"] == 0 and me["cost"] > 0, (key, me["cost"], them["cost"])


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


# Where we differ from ccusage 20.0.24 on purpose (README, "Costs"): its embedded table prices Bedrock's
# `apac.` profile of Claude Haiku 4.5 at the base model's price, LiteLLM 1.109.1 lists it 10 % above (as
# for every other regional profile); and it does not know the `-5-5` models yet ($0).
def _deliberate(model: str):
    if model.startswith("apac.anthropic.claude-haiku-4-5"):
        return 1.1
    if model.endswith("-5-5"):
        return "unpriced"
    return None


def test_parity_on_every_model_spelling_with_one_hour_cache_writes(tmp_path, monkeypatch):
    models = anthropic_models() + LEGACY_ANTHROPIC + BEDROCK
    corpus = tmp_path / "claude-home"
    written = write_claude(corpus, models)
    landing = tmp_path / "landing"
    landing.mkdir()
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(corpus))
    theirs = ccusage_daily([corpus])
    mine = ours(tmp_path, landing, [corpus])
    assert {m for _, m in theirs} == set(models) and len(theirs) == 3 * len(models)
    assert written == 3 * 6 * len(models)
    assert_parity(theirs, mine, deliberate=_deliberate)
    # Every request was priced from the table, regional ids by their regional entry (the premium kept).
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        matched = dict(con.execute("SELECT DISTINCT model, price_key FROM marts.fct_agent_requests").fetchall())
        assert con.execute("SELECT count(*) FROM marts.fct_agent_requests WHERE pricing_status <> 'priced'").fetchone()[0] == 0
    finally:
        con.close()
    assert matched["converse/jp.anthropic.claude-haiku-4-5-20251001-v1:0"] == "jp.anthropic.claude-haiku-4-5-20251001-v1:0"


def test_codex_parity_on_model_spellings(tmp_path, monkeypatch):
    """ccusage's Codex report gives tokens per day and model but cost per day only: one ccusage run per
    model (its own CODEX_HOME) gives each model's daily cost."""
    landing = tmp_path / "landing"
    theirs = {}
    for i, model in enumerate(CODEX):
        home = tmp_path / "homes" / str(i)
        write_codex(home, [model], seed=10 + i)
        write_codex(landing / "codex" / "dev-laptop", [model], seed=10 + i)
        out = subprocess.run([str(CCUSAGE), "codex", "daily", "--offline", "--json"], capture_output=True, text=True, check=True,
                             env={**os.environ, "CODEX_HOME": str(home), "TZ": "UTC"}).stdout
        for day in json.loads(out)["daily"]:
            ((name, tokens),) = day["models"].items()
            theirs[(day["date"], name)] = {**tokens, "cost": day["costUSD"]}
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "no-home"))
    db = _build(tmp_path, landing, codex=True)
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("""SELECT CAST(event_date AS VARCHAR), model, sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
                                     sum(reasoning_output_tokens), sum(computed_cost_usd), count(*) FILTER (WHERE pricing_status <> 'priced')
                              FROM marts.fct_agent_requests WHERE agent = 'codex' GROUP BY 1, 2""").fetchall()
    finally:
        con.close()
    mine = {(d, m): {"inputTokens": i, "outputTokens": o, "cacheReadTokens": r, "reasoningOutputTokens": x, "cost": c, "unpriced": u}
            for d, m, i, o, r, x, c, u in rows}
    assert len(theirs) == 3 * len(CODEX) and all(v["unpriced"] == 0 for v in mine.values())
    assert_parity(theirs, mine, tokens=("inputTokens", "outputTokens", "cacheReadTokens", "reasoningOutputTokens"))
