"""Strings from data are hostile: developer and team names (the config), a model name (a transcript
line), a Zen tool and command (telemetry), a budget's name go through the real pipeline (landing ->
marts -> dashboard and exports). In headless Chromium, on every view, no injected script runs (the
title unchanged, no element made from data, nothing the CSP refused, no error) and every string is
visible as text; CSV cells that would be formulas are neutralised."""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
import re
import shutil

import dagster as dg
import duckdb
import pytest
import yaml

from analytics_assets.copilot.assets import copilot_usage
from analytics_assets.dashboard.page import VIEWS
from analytics_assets.definitions import defs
from analytics_assets.demo import generate

from .appended import append_request
from .conftest import DEMO_END, days_tags
from .test_outputs import CHROMIUM, _chromium

PWN = "document.title='pwned';document.documentElement.dataset.pwned=1"
HOSTILE = {
    "developer": f'<img src=x onerror="{PWN}">',
    "team": f'</script><script>{PWN}</script>',
    "developer2": f'"\'><svg onload="{PWN}">x',
    "developer3": '=HYPERLINK("http://evil.invalid","click")',
    "developer4": "Ünïcødé 名前 🚀 \u2028" * 60,
    "model": f"<img src=y onerror=\"{PWN}\">-model",
    "tool": f"<b onmouseover=\"{PWN}\">tool</b>",
    "command": f"zen '); {PWN}; ('",
    "budget": "+cmd|' /C calc'!A0",
    "branch": f"feature/PAY-1-<img src=z onerror=\"{PWN}\">",
    "api_key": f"ci-<svg onload=\"{PWN}\">-key",
}


def _hostile_landing(landing) -> dict:
    manifest = generate(landing, days_count=7, developer_count=5, seed=13, scale=0.5, end=DEMO_END)
    config_path = landing / "analytics.demo.yaml"
    config = yaml.safe_load(config_path.read_text())
    config["privacy"] = {"keep_names": True}
    devs = config["developers"]
    devs[0]["name"], devs[0]["team"] = HOSTILE["developer"], HOSTILE["team"]
    devs[1]["name"] = HOSTILE["developer2"]
    devs[2]["name"] = HOSTILE["developer3"]
    devs[3]["name"] = HOSTILE["developer4"]
    config_path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    budgets = landing / config["budgets_file"]
    budgets.write_text(yaml.safe_dump({"budgets": [{"scope": "team", "name": HOSTILE["team"], "monthly_usd": 0.01, "thresholds": [0.5]},
                                                   {"scope": "agent", "name": HOSTILE["budget"], "monthly_usd": 1, "thresholds": [1.0]},
                                                   {"scope": "organization", "name": "all", "monthly_usd": 1, "thresholds": [0.5]}]},
                                      allow_unicode=True))
    # A Claude Code request with a model nobody prices: it reaches the alerts table through its message.
    append_request(sorted((landing / "claude").rglob("*.jsonl"))[0], "hostile", model=HOSTILE["model"])
    # A branch name (the most expensive request, so the top-branches table lists it).
    append_request(sorted((landing / "claude").rglob("*.jsonl"))[0], "hostile-branch", model="claude-opus-4-1-20250805",
                   usage={"output_tokens": 2_000_000}, gitBranch=HOSTILE["branch"])
    # Zen telemetry: a tool and a command of hostile names.
    for path in (landing / "otlp").glob("zen-traces-*.jsonl"):
        lines = [json.loads(x) for x in path.read_text().splitlines()]
        for request in lines:
            for resource in request["resourceSpans"]:
                for scope in resource["scopeSpans"]:
                    for span in scope["spans"]:
                        for attr in span["attributes"]:
                            if attr["key"] == "zen.instance.command":
                                attr["value"] = {"stringValue": HOSTILE["command"]}
                            elif attr["key"].startswith("zen.tools.") and attr["key"].endswith(".Read"):
                                attr["key"] = attr["key"][: -len("Read")] + HOSTILE["tool"]
        path.write_text("".join(json.dumps(x, separators=(",", ":")) + "\n" for x in lines))
    # Anthropic's report: an API key of a hostile name (it is shown as a developer of its own).
    for path in (landing / "anthropic" / "claude_code").glob("*.json"):
        path.write_text(path.read_text().replace('"api_key_name": "ci-review-bot"', json.dumps({"api_key_name": HOSTILE["api_key"]})[1:-1]))
    return manifest


@pytest.fixture
def hostile(project_env, tmp_path, monkeypatch):
    landing = tmp_path / "generated"
    manifest = _hostile_landing(landing)
    for source in ("otlp", "claude", "codex", "copilot", "git", "anthropic"):
        if (landing / source).exists():
            shutil.copytree(landing / source, project_env["landing"] / source, dirs_exist_ok=True)
    for name in ("analytics.demo.yaml", "budgets.demo.yaml"):
        shutil.copy(landing / name, project_env["landing"] / name)
    config = project_env["landing"] / "analytics.demo.yaml"
    text = yaml.safe_load(config.read_text())
    text["git"]["repos_dir"] = str(project_env["landing"] / "git")
    text["budgets_file"] = str(project_env["landing"] / "budgets.demo.yaml")
    config.write_text(yaml.safe_dump(text, sort_keys=False, allow_unicode=True))
    monkeypatch.setenv("ANALYTICS_CONFIG", str(config))
    start = dt.date.fromisoformat(manifest["arguments"]["start"])
    with dg.instance_for_test(temp_dir=str(project_env["dagster_home"])) as instance:
        assert dg.materialize([*defs.assets], instance=instance, resources=defs.resources,
                              selection=dg.AssetSelection.assets(copilot_usage), tags=days_tags(start)).success
        assert dg.materialize([*defs.assets, *defs.asset_checks], instance=instance, resources=defs.resources,
                              selection=dg.AssetSelection.all() - dg.AssetSelection.assets(copilot_usage), tags=days_tags(start)).success
    return project_env


def _as_text(value: str) -> str:
    """How a text node holding `value` is serialised in the dumped DOM."""
    return html.escape(value, quote=False)


# Where each string must be visible as text, by view (the filters' options are on every view).
SHOWN = {"exec": ["team"], "team": ["developer", "developer2", "developer3"], "cost": ["model", "developer", "team", "budget", "api_key"],
         "compare": ["tool"], "usage": ["command", "tool"], "money": ["branch"]}


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make test installs Debian's package)")
def test_hostile_strings_render_as_text_on_every_view(hostile):
    page = hostile["output"] / "reports" / "dashboard.html"
    text = page.read_text()
    assert 'http-equiv="Content-Security-Policy"' in text and "'unsafe-inline'" not in text.split("script-src")[1].split(";")[0]
    con = duckdb.connect(str(hostile["duckdb"]), read_only=True)
    try:
        agents = [a for (a,) in con.execute("SELECT DISTINCT agent FROM marts.fct_agent_requests").fetchall()]
        spend_days = con.execute("SELECT count(DISTINCT (event_date, agent)) FROM marts.fct_agent_requests").fetchone()[0]
    finally:
        con.close()
    for view, _, _ in VIEWS:
        dom = _chromium("--virtual-time-budget=30000", "--dump-dom", f"{page.as_uri()}#view={view}")
        assert "<title>Agent Analytics</title>" in dom, view
        assert "data-pwned" not in dom, (view, "an injected script ran")
        shown = re.sub(r"<script\b.*?</script>", "", dom, flags=re.S)  # the page, not plotly's own code
        assert "[object HTML" not in shown, (view, "a node written as its text")
        made = re.findall(r"<img[\s>]|<svg[^>]*onload|<b onmouseover|<script>document", dom)
        assert made == [], (view, "elements made from data", made)
        status = json.loads(html.unescape(re.search(r'<div id="status"[^>]*>(.*?)</div>', dom, re.S).group(1)))
        assert status["errors"] == [], (view, status["errors"])
        if view == "cost":  # the demo's weekend has no agent requests: its days are drawn as zero, not skipped
            daily = next(c for c in status["charts"] if c["id"] == "cost-daily")
            assert daily["points"] == 7 * len(agents) > spend_days, (daily, agents, spend_days)
        for field in SHOWN.get(view, []) + ["team"]:
            assert _as_text(HOSTILE[field]) in dom, (view, field)
    assert _as_text(HOSTILE["developer4"][:200]) in _chromium("--virtual-time-budget=30000", "--dump-dom", f"{page.as_uri()}#view=team")

    # CSV exports: a cell a spreadsheet would evaluate starts with an apostrophe; Parquet keeps the text.
    [folder] = list((hostile["output"] / "exports").iterdir())
    with (folder / "dim_developers.csv").open(newline="", encoding="utf-8") as f:
        names = [row["developer_name"] for row in csv.DictReader(f)]
    assert "'" + HOSTILE["developer3"] in names and HOSTILE["developer3"] not in names
    assert not [n for n in names if n and n[0] in "=+-@\t\r"]
    assert HOSTILE["developer"] in names  # text that is not a formula is left as it is
