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


# Gemini models both price tables list (LiteLLM 1.109.1 and ccusage 20.0.24's embedded one).
GEMINI = ["gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-3-flash-preview", "gemini-3.1-pro-preview"]


def write_gemini(root: Path, models: list[str], days: int = 3, per_day: int = 4, seed: int = 6,
                 start: dt.date = dt.date(2026, 10, 5)) -> int:
    """<root>/<project hash>/chats/session-*.json as Gemini CLI saves a chat (pretty-printed, user and gemini
    messages, thoughts, token counts whose total includes the cached part of input), and for one model a day
    the JSON-lines shape (a session header, then one message a line); returns the messages with tokens written."""
    rng = random.Random(seed)
    written = 0
    for m, model, d, day, session in _sessions(models, days, start, seed, "7000"):
        project = f"{rng.getrandbits(256):064x}"
        moment = dt.datetime.combine(day, dt.time(9, m), tzinfo=dt.timezone.utc)
        started = moment
        messages = []
        for i in range(per_day):
            moment += dt.timedelta(seconds=rng.randint(5, 300))
            messages.append({"id": f"{session}-u{i}", "timestamp": _ts(moment), "type": "user", "content": [{"text": "(prompt)"}]})
            moment += dt.timedelta(seconds=rng.randint(2, 60))
            prompt = int(rng.lognormvariate(9.5, 0.8))
            cached = int(prompt * rng.uniform(0.0, 0.9)) if i else 0
            out, thoughts, tool = int(rng.lognormvariate(5.5, 1.0)), int(rng.lognormvariate(6.0, 1.0)), rng.choice([0, 0, 7, 120])
            inclusive = rng.random() < 0.8  # most versions: total = input + output + thoughts + tool (cached inside input)
            total = prompt + out + thoughts + tool + (0 if inclusive else cached)
            messages.append({"id": f"{session}-g{i}", "timestamp": _ts(moment), "type": "gemini", "content": "(answer)",
                             "thoughts": [{"subject": "Planning", "description": "(thought)", "timestamp": _ts(moment)}],
                             "tokens": {"input": prompt, "output": out, "cached": cached, "thoughts": thoughts, "tool": tool, "total": total},
                             "model": model})
            written += 1
        folder = root / project[:64] / "chats"
        folder.mkdir(parents=True, exist_ok=True)
        name = f"session-{started:%Y-%m-%dT%H-%M}-{session[:8]}"
        if (m + d) % 3 == 2:  # the JSON-lines shape
            header = {"sessionId": session, "projectHash": project, "startTime": _ts(started), "lastUpdated": _ts(moment)}
            (folder / f"{name}.jsonl").write_text("".join(json.dumps(x, separators=(",", ":")) + "\n" for x in [header, *messages]))
        else:
            chat = {"sessionId": session, "projectHash": project, "startTime": _ts(started), "lastUpdated": _ts(moment),
                    "messages": messages}
            (folder / f"{name}.json").write_text(json.dumps(chat, indent=2))
    return written


# (providerID, modelID) as OpenCode stores them, priced by both tables.
OPENCODE = [("anthropic", "claude-sonnet-4-5-20250929"), ("anthropic", "claude-haiku-4-5-20251001"), ("openai", "gpt-5"),
            ("openai", "gpt-5-mini"), ("google", "gemini-2.5-pro")]


def write_opencode(root: Path, models: list[tuple[str, str]], days: int = 3, per_day: int = 4, seed: int = 8,
                   start: dt.date = dt.date(2026, 10, 5)) -> int:
    """<root>/opencode.db (table `message`: id, session_id, data) as OpenCode 1.x keeps its messages, and, for one
    model, the legacy files <root>/storage/message/<session>/msg_<id>.json; half the messages carry OpenCode's own
    cost, the rest 0 (priced from the table then). Returns the assistant messages with tokens written."""
    import sqlite3

    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(root / "opencode.db")
    db.execute("CREATE TABLE IF NOT EXISTS message (id TEXT PRIMARY KEY, session_id TEXT NOT NULL, time_created INTEGER, data TEXT NOT NULL)")
    written = 0
    for m, (provider, model), d, day, session in ((m, pm, d, day, s) for m, pm, d, day, s in _sessions(models, days, start, seed, "8000")):
        moment = dt.datetime.combine(day, dt.time(11, m), tzinfo=dt.timezone.utc)
        session = f"ses_{session.replace('-', '')[:24]}"
        for i in range(per_day):
            moment += dt.timedelta(seconds=rng.randint(5, 400))
            user = {"id": f"msg_{rng.getrandbits(96):024x}", "sessionID": session, "role": "user",
                    "time": {"created": int(moment.timestamp() * 1000)}}
            moment += dt.timedelta(seconds=rng.randint(2, 60))
            tokens = {"input": int(rng.lognormvariate(7.0, 1.0)), "output": int(rng.lognormvariate(6.0, 1.0)), "reasoning": 0,
                      "cache": {"read": int(rng.lognormvariate(9.0, 0.8)),
                                # only Anthropic bills cache writes: OpenCode reports 0 for the others
                                "write": int(rng.lognormvariate(6.0, 1.0)) if provider == "anthropic" else 0}}
            assistant = {"id": f"msg_{rng.getrandbits(96):024x}", "sessionID": session, "role": "assistant", "providerID": provider,
                         "modelID": model, "mode": "build", "path": {"cwd": "/home/dev/src/repo/app", "root": "/home/dev/src/repo"},
                         "time": {"created": int(moment.timestamp() * 1000), "completed": int(moment.timestamp() * 1000) + 900},
                         "cost": round(rng.uniform(0.001, 0.2), 6) if i % 2 else 0, "tokens": tokens}
            if m == len(models) - 1:  # the legacy layout
                folder = root / "storage" / "message" / session
                folder.mkdir(parents=True, exist_ok=True)
                for message in (user, assistant):
                    (folder / f"{message['id']}.json").write_text(json.dumps(message, indent=2))
            else:
                for message in (user, assistant):
                    db.execute("INSERT INTO message VALUES (?, ?, ?, ?)", (message["id"], session, message["time"]["created"], json.dumps(message)))
            written += 1
    db.commit()
    db.close()
    return written


# Models as Copilot CLI names them in gen_ai.response.model (dots in versions), priced by both tables.
COPILOT_CLI = ["claude-sonnet-4.5", "claude-haiku-4.5", "gpt-5", "gpt-5-mini", "gpt-4.1"]


def write_copilot_cli(folder: Path, models: list[str], days: int = 3, turns: int = 4, seed: int = 9,
                      start: dt.date = dt.date(2026, 10, 5)) -> int:
    """<folder>/copilot-otel-<stamp>.jsonl as Copilot CLI's file exporter writes it: per turn an invoke_agent span
    and one chat span per model call (the summary repeats the call's usage), metric records between them, token
    attributes as numbers (reasoning for the gpt-5 models). Returns the model calls written."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for m, model, d, day, session in _sessions(models, days, start, seed, "6000"):
        moment = dt.datetime.combine(day, dt.time(13, m), tzinfo=dt.timezone.utc)
        lines = []
        for t in range(turns):
            trace = f"{rng.getrandbits(128):032x}"
            moment += dt.timedelta(seconds=rng.randint(5, 400))
            cache_read = int(rng.lognormvariate(9.0, 0.8))
            usage = {"gen_ai.usage.input_tokens": cache_read + int(rng.lognormvariate(7.0, 1.0)),
                     "gen_ai.usage.output_tokens": int(rng.lognormvariate(6.0, 1.0)),
                     "gen_ai.usage.cache_read.input_tokens": cache_read}
            if model.startswith("claude"):
                usage["gen_ai.usage.cache_creation.input_tokens"] = int(rng.lognormvariate(6.0, 1.0))
            elif model.startswith("gpt-5"):  # the reasoning models
                usage["gen_ai.usage.reasoning.output_tokens"] = int(rng.lognormvariate(5.0, 1.0))
            end = [int(moment.timestamp()), rng.randint(0, 999_999_999)]
            lines.append({"type": "span", "traceId": trace, "spanId": f"{rng.getrandbits(64):016x}", "name": f"chat {model}",
                          "kind": 2, "startTime": [end[0] - 3, 0], "endTime": end,
                          "attributes": {"gen_ai.operation.name": "chat", "gen_ai.request.model": model,
                                         "gen_ai.response.model": model, "gen_ai.conversation.id": session,
                                         "gen_ai.response.id": f"resp_{rng.getrandbits(64):016x}", **usage}})
            lines.append({"type": "metric", "name": "gen_ai.client.token.usage"})
            lines.append({"type": "span", "traceId": trace, "spanId": f"{rng.getrandbits(64):016x}", "name": "invoke_agent copilot",
                          "kind": 0, "startTime": [end[0] - 4, 0], "endTime": [end[0] + 1, 0],
                          "attributes": {"gen_ai.operation.name": "invoke_agent", "gen_ai.conversation.id": session, **usage}})
            written += 1
        (folder / f"copilot-otel-{day:%Y%m%d}-{m:02d}.jsonl").write_text("".join(json.dumps(x, separators=(",", ":")) + "\n" for x in lines))
    return written
