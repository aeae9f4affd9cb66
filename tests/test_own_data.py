"""`make run` is the demo and only the demo; `make mine` (the README's "use your own data") is this
machine's own history, equal to what ccusage reports for it."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from analytics_assets import project_config
from analytics_assets.config import PROJECT_ROOT
from analytics_assets.transcripts.load import claude_roots, codex_roots
from tests.parity_corpus import CODEX, anthropic_models, write_claude, write_codex

CCUSAGE = PROJECT_ROOT / ".tools" / "node_modules" / ".bin" / "ccusage"


def test_the_demo_leaves_this_machines_history_out(demo_landing, tmp_path, monkeypatch):
    landing, _ = demo_landing
    mine = tmp_path / "me"
    write_claude(mine / ".claude", anthropic_models()[:1], days=1, per_day=2, seed=8)
    write_codex(mine / ".codex", CODEX[:1], days=1, turns=2, seed=9)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(mine / ".claude"))
    monkeypatch.setenv("CODEX_HOME", str(mine / ".codex"))
    demo = project_config.load(landing / "analytics.demo.yaml")
    assert not demo.include_home
    roots = claude_roots(landing, demo) + codex_roots(landing, demo)
    assert roots and all(landing in r.parents for r in roots)
    default = project_config.ProjectConfig()  # no config of one's own: the machine's folders are read
    assert mine / ".claude" / "projects" in claude_roots(landing, default)


@pytest.mark.skipif(not CCUSAGE.exists(), reason="ccusage not installed (make install puts it in .tools/)")
def test_make_mine_gives_this_machines_numbers_as_ccusage_does(tmp_path):
    home = tmp_path / "home"
    start = dt.date.today() - dt.timedelta(days=4)
    write_claude(home / ".claude", anthropic_models()[:2], days=2, per_day=4, seed=31, start=start)
    write_codex(home / ".codex", ["gpt-5-codex"], days=2, turns=3, seed=32, start=start)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANALYTICS_", "CLAUDE_CONFIG_DIR", "CODEX_HOME", "DAGSTER_HOME",
                                                                    "MAKE"))}
    env.update(HOME=str(home), ANALYTICS_CONFIG=str(tmp_path / "no-config.yaml"), ANALYTICS_HASH_SALT="s", TZ="UTC")
    run = subprocess.run(["make", "-s", "mine", f"MINE_DIR={tmp_path / 'mine'}", f"MINE_OUTPUT={tmp_path / 'out'}"],
                         cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]

    con = duckdb.connect(str(tmp_path / "mine" / "warehouse.duckdb"), read_only=True)
    try:
        ours = {(agent, day, model): (i, o, r, c) for agent, day, model, i, o, r, c in con.execute(
            """SELECT agent, CAST(event_date AS VARCHAR), model, sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
                      sum(cache_creation_tokens) FROM marts.fct_agent_requests GROUP BY ALL""").fetchall()}
    finally:
        con.close()
    theirs = {}
    for agent, command in (("claude_code", "claude"), ("codex", "codex")):
        out = subprocess.run([str(CCUSAGE), command, "daily", "--offline", "--json"], capture_output=True, text=True, check=True,
                             env={**env, "CLAUDE_CONFIG_DIR": str(home / ".claude"), "CODEX_HOME": str(home / ".codex")}).stdout
        for day in json.loads(out)["daily"]:
            if agent == "claude_code":
                for m in day["modelBreakdowns"]:
                    theirs[(agent, day.get("period") or day["date"], m["modelName"])] = (m["inputTokens"], m["outputTokens"], m["cacheReadTokens"],
                                                                      m["cacheCreationTokens"])
            else:
                for name, m in day["models"].items():
                    theirs[(agent, day["date"], name)] = (m["inputTokens"], m["outputTokens"], m["cacheReadTokens"], 0)
    assert len(theirs) == 2 * 2 + 2 and ours == theirs
