"""Transcripts written for the cost parity tests: every model name spelling a bill can carry.

Claude Code: every Anthropic model in the price table, the older models LiteLLM now lists only
under Bedrock names, Bedrock regional and cross-region ids, and `converse/` ids as Claude Code
writes them through Bedrock; a third of the requests split their cache writes into 5-minute and
1-hour tokens. Codex: model names in the spellings Codex sessions carry (dashes in versions,
dated suffixes). No line carries a costUSD, so ccusage computes every cost from its table.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from pathlib import Path

from analytics_assets.config import DBT_PROJECT_DIR

SEED = DBT_PROJECT_DIR / "seeds" / "model_prices.csv"  # LiteLLM's table as the project prices it

# Named by LiteLLM 1.109.1 only as Bedrock entries, which list no 1-hour rate.
LEGACY_ANTHROPIC = ["claude-opus-4-20250514", "claude-sonnet-4-20250514", "claude-3-5-haiku-20241022", "claude-opus-4-1-20250805"]
BEDROCK = [
    "us.anthropic.claude-haiku-4-5-20251001-v1:0",
    "eu.anthropic.claude-haiku-4-5-20251001-v1:0",
    "apac.anthropic.claude-haiku-4-5-20251001-v1:0",
    "au.anthropic.claude-haiku-4-5-20251001-v1:0",
    "global.anthropic.claude-haiku-4-5-20251001-v1:0",
    "anthropic.claude-haiku-4-5-20251001-v1:0",
    "converse/jp.anthropic.claude-haiku-4-5-20251001-v1:0",
    "converse/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "converse/global.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "us.anthropic.claude-opus-4-20250514-v1:0",
]
CODEX = ["gpt-5-1-codex-2025-11-13", "gpt-5.1-codex", "gpt-5-codex", "gpt-5-1-codex-mini", "gpt-5.1-codex-max", "gpt-5"]


def anthropic_models() -> list[str]:
    """Every Anthropic-listed chat model of the price table (the seed keeps priced models only)."""
    with SEED.open(newline="") as f:
        return sorted(r["price_key"] for r in csv.DictReader(f) if r["provider"] == "anthropic" and r["mode"] == "chat")


def _ts(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _sessions(models: list[str], days: int, start: dt.date, seed: int, kind: str):
    """(model index, model, day index, day, session id): one session a model a day."""
    for m, model in enumerate(models):
        for d in range(days):
            yield m, model, d, start + dt.timedelta(days=d), f"{seed:04x}{m:04x}-0000-4000-{kind}-{d:012x}"


def write_claude(root: Path, models: list[str], days: int = 3, per_day: int = 6, seed: int = 3,
                 start: dt.date = dt.date(2026, 10, 5)) -> int:
    """<root>/projects/<project>/<session>.jsonl; returns the number of requests written."""
    rng = random.Random(seed)
    written = 0
    for m, model, d, day, session in _sessions(models, days, start, seed, "8000"):
        path = root / "projects" / f"-home-dev-src-repo{m % 3}" / f"{session}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        moment = dt.datetime.combine(day, dt.time(9), tzinfo=dt.timezone.utc)
        with path.open("a") as f:
            for i in range(per_day):
                moment += dt.timedelta(minutes=rng.randint(1, 50))
                create = int(rng.lognormvariate(8.0, 1.0))
                usage = {"input_tokens": int(rng.lognormvariate(5.0, 1.0)), "cache_creation_input_tokens": create,
                         "cache_read_input_tokens": int(rng.lognormvariate(9.5, 0.8)),
                         "output_tokens": int(rng.lognormvariate(6.0, 1.0))}
                if i % 3 == 0:  # a third split into 5-minute and 1-hour writes
                    hour = rng.randint(0, create)
                    usage["cache_creation"] = {"ephemeral_5m_input_tokens": create - hour, "ephemeral_1h_input_tokens": hour}
                line = {"parentUuid": None, "isSidechain": False, "userType": "external", "cwd": f"/home/dev/src/repo{m % 3}",
                        "sessionId": session, "version": "2.0.14", "gitBranch": "main", "type": "assistant",
                        "message": {"id": f"msg_{seed:02x}{m:04x}{d:04x}{i:06x}", "type": "message", "role": "assistant",
                                    "model": model, "content": [{"type": "text", "text": "."}], "usage": usage},
                        "requestId": f"req_{seed:02x}{m:04x}{d:04x}{i:06x}", "uuid": f"{session[:24]}{i:012x}",
                        "timestamp": _ts(moment)}
                f.write(json.dumps(line, separators=(",", ":")) + "\n")
                written += 1
    return written


def write_codex(root: Path, models: list[str], days: int = 3, turns: int = 5, seed: int = 4,
                start: dt.date = dt.date(2026, 10, 5)) -> int:
    """<root>/sessions/YYYY/MM/DD/rollout-*.jsonl with cumulative token_count events; returns turns written."""
    rng = random.Random(seed)
    written = 0
    for m, model, d, day, session in _sessions(models, days, start, seed, "9000"):
        moment = dt.datetime.combine(day, dt.time(10, m), tzinfo=dt.timezone.utc)
        folder = root / "sessions" / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}"
        folder.mkdir(parents=True, exist_ok=True)
        lines = [{"timestamp": _ts(moment), "type": "session_meta",
                  "payload": {"id": session, "timestamp": _ts(moment), "cwd": "/home/dev/src/repo", "originator": "codex_cli_rs",
                              "cli_version": "0.46.0"}},
                 {"timestamp": _ts(moment), "type": "turn_context", "payload": {"cwd": "/home/dev/src/repo", "model": model}}]
        total = {"input_tokens": 0, "cached_input_tokens": 0, "output_tokens": 0, "reasoning_output_tokens": 0, "total_tokens": 0}
        for _ in range(turns):
            moment += dt.timedelta(seconds=rng.randint(10, 400))
            t_in = int(rng.lognormvariate(9.0, 0.7))
            t_out = int(rng.lognormvariate(6.5, 0.8))
            last = {"input_tokens": t_in, "cached_input_tokens": int(t_in * rng.uniform(0.2, 0.8)), "output_tokens": t_out,
                    "reasoning_output_tokens": int(t_out * rng.uniform(0.1, 0.6)), "total_tokens": t_in + t_out}
            for k in total:
                total[k] += last[k]
            lines.append({"timestamp": _ts(moment), "type": "event_msg",
                          "payload": {"type": "token_count", "info": {"total_token_usage": dict(total), "last_token_usage": last,
                                                                      "model_context_window": 272000}}})
            written += 1
        (folder / f"rollout-{moment:%Y-%m-%dT%H-%M-%S}-{session}.jsonl").write_text(
            "".join(json.dumps(x, separators=(",", ":")) + "\n" for x in lines))
    return written
