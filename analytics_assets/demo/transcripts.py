"""Demo agent transcripts: Claude Code projects/<project>/<session>.jsonl and Codex rollouts.

Written the way the agents write them: compact JSON lines; Claude Code streams the same
assistant response several times with growing output tokens (same message.id + requestId);
Codex reports cumulative `token_count` totals.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import orjson

from .world import MACHINES, REPOS, Developer, at, cost, day_volume, pick_model, rng_for, stable_uuid
from .places import Places

CODEX_MODELS = ["gpt-5-codex", "gpt-5.1-codex", "gpt-5.1-codex-mini"]


def _ts(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def write_claude_transcripts(out: Path, devs: list[Developer], days: list[dt.date], seed: int, scale: float,
                             places: Places | None = None, ledger=None) -> dict:
    """`ledger` (anthropic_files.ClaudeLedger), when given, is told every session and request written."""
    rng = rng_for(seed, "claude-transcripts")
    places = places or Places(seed)
    totals = defaultdict(int)
    cost_total = 0.0
    for dev in (d for d in devs if d.uses_claude):
        machine = f"{dev.login}-{MACHINES[dev.index % len(MACHINES)]}"
        for day in days:
            for _ in range(day_volume(rng, 1.5, dev, day, 1.0)):
                repo = rng.choice(REPOS)
                cwd = places.folder(dev, machine, repo)
                project = cwd.replace("/", "-")
                session = stable_uuid(rng)
                number = rng.randint(100, 999)
                branch = places.branch(dev, rng.choice(["main", f"feature/{number}"]), number)
                path = out / machine / "projects" / project / f"{session}.jsonl"
                path.parent.mkdir(parents=True, exist_ok=True)
                moment = at(day, rng)
                if ledger is not None:
                    ledger.session(dev.email, moment)
                lines = []
                parent = None
                for turn in range(max(1, int(day_volume(rng, 8, dev, day, scale) / 2))):
                    user_uuid = stable_uuid(rng)
                    lines.append({"parentUuid": parent, "isSidechain": False, "userType": "external", "cwd": cwd,
                                  "sessionId": session, "version": "2.0.14", "gitBranch": branch, "type": "user",
                                  "message": {"role": "user", "content": "(prompt text omitted in demo)"},
                                  "uuid": user_uuid, "timestamp": _ts(moment)})
                    moment += dt.timedelta(seconds=rng.randint(3, 90))
                    model = pick_model(rng)
                    message_id = f"msg_{rng.getrandbits(96):024x}"
                    request_id = f"req_{rng.getrandbits(96):024x}"
                    t_in, t_out = int(rng.lognormvariate(5.0, 1.0)), int(rng.lognormvariate(6.0, 1.0))
                    t_read, t_create = int(rng.lognormvariate(9.5, 0.8)), int(rng.lognormvariate(7.0, 1.0))
                    sidechain = rng.random() < 0.1
                    # Streaming: the same response written 1-3 times; only the last has the final count.
                    writes = rng.randint(1, 3)
                    for w in range(writes):
                        partial_out = t_out if w == writes - 1 else max(1, t_out * (w + 1) // (writes + 1))
                        usage = {"input_tokens": t_in, "cache_creation_input_tokens": t_create,
                                 "cache_read_input_tokens": t_read, "output_tokens": partial_out,
                                 "cache_creation": {"ephemeral_5m_input_tokens": t_create, "ephemeral_1h_input_tokens": 0},
                                 "service_tier": "standard"}
                        assistant_uuid = stable_uuid(rng)
                        lines.append({"parentUuid": user_uuid, "isSidechain": sidechain, "userType": "external", "cwd": cwd,
                                      "sessionId": session, "version": "2.0.14", "gitBranch": branch,
                                      "message": {"id": message_id, "type": "message", "role": "assistant", "model": model,
                                                  "content": [{"type": "text", "text": "(omitted)"}], "stop_reason": None,
                                                  "usage": usage},
                                      "requestId": request_id, "type": "assistant", "uuid": assistant_uuid,
                                      "timestamp": _ts(moment)})
                        totals["assistant_lines"] += 1
                    parent = assistant_uuid
                    totals["requests"] += 1
                    totals["input_tokens"] += t_in
                    totals["output_tokens"] += t_out
                    totals["cache_read_tokens"] += t_read
                    totals["cache_creation_tokens"] += t_create
                    cost_total += sum(cost(model, t_in, t_out, t_read, t_create))
                    if ledger is not None:
                        ledger.request(dev.email, moment, model, t_in, t_out, t_read, t_create)
                    moment += dt.timedelta(seconds=rng.randint(5, 300))
                with path.open("ab") as f:
                    for line in lines:
                        f.write(orjson.dumps(line) + b"\n")
                totals["sessions"] += 1
    return {**totals, "list_price_cost_usd": round(cost_total, 8)}


def write_codex_sessions(out: Path, devs: list[Developer], days: list[dt.date], seed: int, scale: float,
                         places: Places | None = None) -> dict:
    rng = rng_for(seed, "codex")
    places = places or Places(seed)
    totals = defaultdict(int)
    for dev in (d for d in devs if d.uses_codex):
        machine = f"{dev.login}-{MACHINES[dev.index % len(MACHINES)]}"
        for day in days:
            for _ in range(day_volume(rng, 1.0, dev, day, 1.0)):
                session = stable_uuid(rng)
                moment = at(day, rng)
                folder = out / machine / "sessions" / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}"
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f"rollout-{moment:%Y-%m-%dT%H-%M-%S}-{session}.jsonl"
                model = rng.choice(CODEX_MODELS)
                cwd = places.folder(dev, machine, rng.choice(REPOS))
                lines = [
                    {"timestamp": _ts(moment), "type": "session_meta",
                     "payload": {"id": session, "timestamp": _ts(moment), "cwd": cwd, "originator": "codex_cli_rs", "cli_version": "0.46.0"}},
                    {"timestamp": _ts(moment), "type": "turn_context", "payload": {"cwd": cwd, "model": model}},
                ]
                cumulative = {"input_tokens": 0, "cached_input_tokens": 0, "output_tokens": 0, "reasoning_output_tokens": 0, "total_tokens": 0}
                for _ in range(max(1, int(day_volume(rng, 6, dev, day, scale) / 2))):
                    moment += dt.timedelta(seconds=rng.randint(10, 400))
                    t_in = int(rng.lognormvariate(9.0, 0.7))
                    cached = int(t_in * rng.uniform(0.2, 0.8))  # cached input is part of input
                    t_out = int(rng.lognormvariate(6.5, 0.8))
                    reasoning = int(t_out * rng.uniform(0.1, 0.6))
                    last = {"input_tokens": t_in, "cached_input_tokens": cached, "output_tokens": t_out,
                            "reasoning_output_tokens": reasoning, "total_tokens": t_in + t_out}
                    for k in cumulative:
                        cumulative[k] += last[k]
                    lines.append({"timestamp": _ts(moment), "type": "event_msg",
                                  "payload": {"type": "token_count", "info": {"total_token_usage": dict(cumulative),
                                                                              "last_token_usage": last, "model_context_window": 272000}}})
                    totals["turns"] += 1
                    totals["input_tokens"] += t_in
                    totals["cached_input_tokens"] += cached
                    totals["output_tokens"] += t_out
                with path.open("wb") as f:
                    for line in lines:
                        f.write(orjson.dumps(line) + b"\n")
                totals["sessions"] += 1
    return dict(totals)
