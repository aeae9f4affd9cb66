"""Demo OpenCode databases and GitHub Copilot CLI OTel file exports, shaped as the tools write them:
`<machine>/opencode.db` (table `message`: id, session_id, time_created, data as JSON, OpenCode 1.x) and
`<machine>/otel/copilot-otel-<day>.jsonl` (per turn a `chat <model>` span with the GenAI usage attributes, a metric
record, and the turn's `invoke_agent` span repeating the usage, which is not counted twice)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import defaultdict
from pathlib import Path

from .world import MACHINES, REPOS, Developer, at, day_volume, rng_for

# (provider, model) as OpenCode records them; Copilot CLI's model names carry dots in versions.
OPENCODE_MODELS = [("anthropic", "claude-sonnet-4-5"), ("openai", "gpt-5"), ("anthropic", "claude-haiku-4-5")]
COPILOT_CLI_MODELS = ["claude-sonnet-4.5", "gpt-5", "gpt-5-mini"]


def uses_opencode(dev: Developer) -> bool:
    return dev.index % 4 == 3


def uses_copilot_cli(dev: Developer) -> bool:
    return dev.index % 4 == 1


def _machine(dev: Developer) -> str:
    return f"{dev.login}-{MACHINES[dev.index % len(MACHINES)]}"


def write_opencode(out: Path, devs: list[Developer], days: list[dt.date], seed: int, scale: float) -> dict:
    rng = rng_for(seed, "opencode")
    totals = defaultdict(int)
    for dev in (d for d in devs if uses_opencode(d)):
        folder = out / _machine(dev)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "opencode.db").unlink(missing_ok=True)
        db = sqlite3.connect(folder / "opencode.db")
        db.execute("CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT NOT NULL, time_created INTEGER, data TEXT NOT NULL)")
        for day in days:
            for _ in range(day_volume(rng, 0.7, dev, day, 1.0)):
                provider, model = rng.choice(OPENCODE_MODELS)
                session = f"ses_{rng.getrandbits(96):024x}"
                root = f"/home/{dev.login}/src/{rng.choice(REPOS)}"
                moment = at(day, rng)
                for i in range(max(1, day_volume(rng, 3, dev, day, scale))):
                    user = {"id": f"msg_{rng.getrandbits(96):024x}", "sessionID": session, "role": "user",
                            "time": {"created": int(moment.timestamp() * 1000)}}
                    moment += dt.timedelta(seconds=rng.randint(2, 60))
                    tokens = {"input": int(rng.lognormvariate(7.0, 1.0)), "output": int(rng.lognormvariate(6.0, 1.0)),
                              "reasoning": int(rng.lognormvariate(5.0, 1.0)) if provider == "openai" else 0,
                              "cache": {"read": int(rng.lognormvariate(9.0, 0.8)) if i else 0,
                                        # only Anthropic bills cache writes: OpenCode reports 0 for the others
                                        "write": int(rng.lognormvariate(6.0, 1.0)) if provider == "anthropic" else 0}}
                    created = int(moment.timestamp() * 1000)
                    assistant = {"id": f"msg_{rng.getrandbits(96):024x}", "sessionID": session, "role": "assistant",
                                 "providerID": provider, "modelID": model, "mode": "build",
                                 "path": {"cwd": root, "root": root}, "time": {"created": created, "completed": created + 900},
                                 "cost": 0, "tokens": tokens}
                    for message in (user, assistant):
                        db.execute("INSERT INTO message VALUES (?, ?, ?, ?)", (message["id"], session, message["time"]["created"], json.dumps(message)))
                    totals["messages"] += 1
                    totals["input_tokens"] += tokens["input"]
                    totals["output_tokens"] += tokens["output"] + tokens["reasoning"]
                    totals["cache_read_tokens"] += tokens["cache"]["read"]
                    totals["cache_creation_tokens"] += tokens["cache"]["write"]
                    moment += dt.timedelta(seconds=rng.randint(5, 400))
        db.commit()
        db.close()
    return dict(totals)


def write_copilot_cli(out: Path, devs: list[Developer], days: list[dt.date], seed: int, scale: float) -> dict:
    rng = rng_for(seed, "copilot_cli")
    totals = defaultdict(int)
    for dev in (d for d in devs if uses_copilot_cli(d)):
        folder = out / _machine(dev) / "otel"
        folder.mkdir(parents=True, exist_ok=True)
        for day in days:
            lines = []
            for _ in range(day_volume(rng, 0.7, dev, day, 1.0)):
                model = rng.choice(COPILOT_CLI_MODELS)
                session = f"{rng.getrandbits(128):032x}"
                moment = at(day, rng)
                for _ in range(max(1, day_volume(rng, 3, dev, day, scale))):
                    trace = f"{rng.getrandbits(128):032x}"
                    moment += dt.timedelta(seconds=rng.randint(5, 400))
                    cache_read = int(rng.lognormvariate(9.0, 0.8))
                    fresh, output = int(rng.lognormvariate(7.0, 1.0)), int(rng.lognormvariate(6.0, 1.0))
                    usage = {"gen_ai.usage.input_tokens": cache_read + fresh, "gen_ai.usage.output_tokens": output,
                             "gen_ai.usage.cache_read.input_tokens": cache_read}
                    if model.startswith("gpt-5"):  # the reasoning models: a part of the output
                        usage["gen_ai.usage.reasoning.output_tokens"] = min(output, int(rng.lognormvariate(5.0, 1.0)))
                    end = [int(moment.timestamp()), rng.randint(0, 999_999_999)]
                    lines.append({"type": "span", "traceId": trace, "spanId": f"{rng.getrandbits(64):016x}", "name": f"chat {model}",
                                  "kind": 2, "startTime": [end[0] - 3, 0], "endTime": end,
                                  "attributes": {"gen_ai.operation.name": "chat", "gen_ai.request.model": model,
                                                 "gen_ai.response.model": model, "gen_ai.conversation.id": session,
                                                 "gen_ai.response.id": f"resp_{rng.getrandbits(64):016x}", **usage}})
                    lines.append({"type": "metric", "name": "gen_ai.client.token.usage"})
                    lines.append({"type": "span", "traceId": trace, "spanId": f"{rng.getrandbits(64):016x}",
                                  "name": "invoke_agent copilot", "kind": 0, "startTime": [end[0] - 4, 0], "endTime": [end[0] + 1, 0],
                                  "attributes": {"gen_ai.operation.name": "invoke_agent", "gen_ai.conversation.id": session, **usage}})
                    totals["calls"] += 1
                    totals["input_tokens"] += fresh
                    totals["cache_read_tokens"] += cache_read
                    totals["output_tokens"] += output
            if lines:
                (folder / f"copilot-otel-{day:%Y%m%d}.jsonl").write_text("".join(json.dumps(x, separators=(",", ":")) + "\n" for x in lines))
    return dict(totals)
