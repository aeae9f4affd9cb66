"""Deterministic demo data for every source the design names (see `python -m analytics_assets.demo -h`).

`generate()` writes into a landing folder and returns a manifest of what it wrote (counts and
sums per source); the manifest is saved as `demo_manifest.json` so tests and `make run` can
check the warehouse against what the generator wrote.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from .anthropic_files import ClaudeLedger, write_anthropic
from .cli_agent_files import write_copilot_cli, write_opencode
from .cursor_files import write_cursor
from .gemini_files import write_gemini_chats
from .github_files import ORG, write_copilot, write_git_repos
from .otlp_files import write_claude_code_otel, write_zen_spans
from .places import Places
from .transcripts import write_claude_transcripts, write_codex_sessions
from .world import MACHINES, REPOS, days, developers

MANIFEST = "demo_manifest.json"
DEMO_CONFIG = "analytics.demo.yaml"  # `make run` uses it when the project has no analytics.yaml
DEMO_BUDGETS = "budgets.demo.yaml"
SOURCES = ("zen", "claude_code_otel", "claude_transcripts", "codex", "gemini", "opencode", "copilot_cli", "cursor", "anthropic", "copilot",
           "git")


def _clear(landing: Path, sources: tuple[str, ...]) -> None:
    """Remove what an earlier demo run wrote for these sources (only its own files), so a run replaces, never
    appends; the other sources' files stay (`--sources git` rewrites the repositories alone)."""
    patterns = {"zen": ("zen-traces-*.jsonl",), "claude_code_otel": ("claude-code-logs-*.jsonl", "claude-code-metrics-*.jsonl")}
    for source in sources:
        for pattern in patterns.get(source, ()):
            for path in (landing / "otlp").glob(pattern):
                path.unlink()
    machine_folders = {"claude_transcripts": "claude", "codex": "codex", "gemini": "gemini", "opencode": "opencode",
                       "copilot_cli": "copilot_cli"}
    for folder in [machine_folders[s] for s in sources if s in machine_folders] + ["folders"]:
        for machine in (landing / folder).glob("*"):
            if machine.is_dir() and machine.name.endswith(tuple(f"-{m}" for m in MACHINES)):
                shutil.rmtree(machine)
    trees = {"cursor": [landing / "cursor"], "anthropic": [landing / "anthropic"],
             "copilot": [landing / "copilot" / "reports" / ORG, landing / "copilot" / "seats" / ORG],
             "git": [landing / "git" / r for r in REPOS]}
    for folder in (f for s in sources for f in trees.get(s, ())):
        shutil.rmtree(folder, ignore_errors=True)


def generate(
    landing: Path,
    days_count: int = 90,
    developer_count: int = 12,
    seed: int = 7,
    scale: float = 1.0,
    end: dt.date | None = None,
    sources: tuple[str, ...] = SOURCES,
) -> dict:
    landing = Path(landing)
    end = end or dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1)
    _clear(landing, sources)
    devs = developers(developer_count, seed)
    span = days(end, days_count)
    places = Places(seed)  # where the sessions run (shared by both agents: one map per machine)
    ledger = ClaudeLedger()  # Claude Code's sessions and tokens as written: the organization's report derives from them
    writers = {
        "zen": lambda: write_zen_spans(landing / "otlp", devs, span, seed, scale),
        "claude_code_otel": lambda: write_claude_code_otel(landing / "otlp", devs, span, seed, scale, ledger),
        "claude_transcripts": lambda: write_claude_transcripts(landing / "claude", devs, span, seed, scale, places, ledger),
        "codex": lambda: write_codex_sessions(landing / "codex", devs, span, seed, scale, places),
        "gemini": lambda: write_gemini_chats(landing / "gemini", devs, span, seed, scale),
        "opencode": lambda: write_opencode(landing / "opencode", devs, span, seed, scale),
        "copilot_cli": lambda: write_copilot_cli(landing / "copilot_cli", devs, span, seed, scale),
        "cursor": lambda: write_cursor(landing / "cursor", devs, span, seed, scale),
        "anthropic": lambda: write_anthropic(landing / "anthropic", devs, span, seed, ledger),  # after both Claude writers
        "copilot": lambda: write_copilot(landing / "copilot", devs, span, seed, scale),
        "git": lambda: write_git_repos(landing / "git", devs, span, seed, scale),
    }
    manifest = {
        "arguments": {"days": days_count, "developers": developer_count, "seed": seed, "scale": scale,
                      "start": span[0].isoformat(), "end": end.isoformat()},
        "sources": {name: writers[name]() for name in sources},
    }
    if set(sources) != set(SOURCES) and (landing / MANIFEST).exists():  # a subset keeps the other sources' figures
        manifest["sources"] = {**json.loads((landing / MANIFEST).read_text())["sources"], **manifest["sources"]}
    # The machines' folder maps, as `push` sends them; the first developer's machine sends none (the fallback).
    manifest["folders"] = places.write_maps(landing, skip=f"{devs[0].login}-{MACHINES[0]}")
    (landing / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    (landing / DEMO_CONFIG).write_text(demo_config(devs))
    (landing / DEMO_BUDGETS).write_text(DEMO_BUDGET_TEXT)
    return manifest


# Small on purpose, so the demo shows budget alerts firing (thresholds are shares of the budget).
DEMO_BUDGET_TEXT = """budgets:
  - {scope: organization, name: all, monthly_usd: 30, thresholds: [0.8, 1.0]}
  - {scope: team, name: platform, monthly_usd: 15, thresholds: [0.8, 1.0]}
  - {scope: agent, name: codex, monthly_usd: 1, thresholds: [0.5, 1.0]}
"""


def demo_config(devs) -> str:
    """A project config for the demo team: who owns which machine, email and login."""
    import yaml

    return yaml.safe_dump({
        # The demo's Copilot reports are files (no GitHub here); a real deployment says source: api.
        "copilot": {"org": ORG, "source": "folder", "seat_price_usd": 19},
        "cursor": {"source": "folder", "seat_price_usd": 40},  # Cursor's Admin API responses, as files
        "anthropic": {"source": "folder"},  # Anthropic's Claude Code usage report, as files
        # The demo is the demo's 12 developers only: this machine's own ~/.claude and ~/.codex stay out
        # (`make mine` reads them).
        "transcripts": {"include_home": False},
        "git": {"repos_dir": "git", "session_window_minutes": 120},
        "budgets_file": DEMO_BUDGETS,
        "roi": {"hours_saved_per_assisted_commit": 0.5, "hourly_rate_usd": 80},
        "developers": [
            {"name": d.name, "team": d.team, "machines": [f"{d.login}-{m}" for m in MACHINES],
             "emails": [d.email], "accounts": [d.account_uuid], "logins": [d.login]}
            for d in devs
        ]
    }, sort_keys=False)
