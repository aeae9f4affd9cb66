"""Demo Gemini CLI saved chats: `<machine>/tmp/<project hash>/chats/session-*.json`, pretty-printed as Gemini CLI
writes them (user and gemini messages, thoughts, token counts whose total includes the cached part of the prompt)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from pathlib import Path

from .world import MACHINES, REPOS, Developer, at, day_volume, rng_for, stable_uuid

GEMINI_MODELS = ["gemini-2.5-pro", "gemini-2.5-flash", "gemini-3-flash-preview"]


def _ts(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def uses_gemini(dev: Developer) -> bool:
    return dev.index % 4 == 2


def write_gemini_chats(out: Path, devs: list[Developer], days: list[dt.date], seed: int, scale: float) -> dict:
    rng = rng_for(seed, "gemini")
    totals = defaultdict(int)
    for dev in (d for d in devs if uses_gemini(d)):
        machine = f"{dev.login}-{MACHINES[dev.index % len(MACHINES)]}"
        for day in days:
            for _ in range(day_volume(rng, 0.8, dev, day, 1.0)):
                repo = rng.choice(REPOS)
                project = hashlib.sha256(f"/home/{dev.login}/src/{repo}".encode()).hexdigest()  # Gemini CLI hashes the folder
                session = stable_uuid(rng)
                started = moment = at(day, rng)
                model = rng.choice(GEMINI_MODELS)
                messages = []
                for i in range(max(1, int(day_volume(rng, 6, dev, day, scale) / 2))):
                    messages.append({"id": stable_uuid(rng), "timestamp": _ts(moment), "type": "user",
                                     "content": [{"text": "(prompt text omitted in demo)"}]})
                    moment += dt.timedelta(seconds=rng.randint(3, 90))
                    prompt = int(rng.lognormvariate(9.3, 0.8))
                    cached = int(prompt * rng.uniform(0.2, 0.8)) if i else 0
                    output, thoughts, tool = int(rng.lognormvariate(5.8, 1.0)), int(rng.lognormvariate(6.0, 1.0)), rng.choice([0, 0, 40])
                    messages.append({"id": stable_uuid(rng), "timestamp": _ts(moment), "type": "gemini", "content": "(omitted)",
                                     "thoughts": [{"subject": "Planning", "description": "(omitted)", "timestamp": _ts(moment)}],
                                     "tokens": {"input": prompt, "output": output, "cached": cached, "thoughts": thoughts,
                                                "tool": tool, "total": prompt + output + thoughts + tool},
                                     "model": model})
                    totals["messages"] += 1
                    totals["input_tokens"] += prompt - cached + tool
                    totals["cached_tokens"] += cached
                    totals["output_tokens"] += output + thoughts
                    moment += dt.timedelta(seconds=rng.randint(5, 300))
                folder = out / machine / "tmp" / project / "chats"
                folder.mkdir(parents=True, exist_ok=True)
                chat = {"sessionId": session, "projectHash": project, "startTime": _ts(started), "lastUpdated": _ts(moment),
                        "messages": messages}
                (folder / f"session-{started:%Y-%m-%dT%H-%M}-{session[:8]}.json").write_text(json.dumps(chat, indent=2))
                totals["sessions"] += 1
    return dict(totals)
