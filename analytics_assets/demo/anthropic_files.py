"""Demo Claude Code usage report (Anthropic's Admin API), as `anthropic.source: folder` reads it under
landing/anthropic/claude_code/: per UTC day one or more pages of `{data, has_more, next_page}` in the documented shape.

The report is what the organization's Claude Code really used: every session and request the demo's transcripts and
telemetry hold (told to a `ClaudeLedger` as they are written), plus what no machine collected — the first Claude
user's second laptop (it pushes nothing) on some days, and an API key used by a CI review bot. So the mart comparing
the report with what we saw shows a difference, and the manifest says exactly how much."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from pathlib import Path

from .world import Developer, cost, is_workday, pick_model, rng_for

PAGE_SIZE = 4  # records per page: the demo's days need several pages, so pagination is exercised
ORGANIZATION = "org-demo-0001"
CI_KEY = "ci-review-bot"


class ClaudeLedger:
    """Sessions and tokens per (email, UTC day, model), as the demo's writers produce them."""

    def __init__(self):
        self.sessions: dict[tuple[str, dt.date], int] = defaultdict(int)
        self.tokens: dict[tuple[str, dt.date, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])

    def session(self, email: str, moment: dt.datetime) -> None:
        self.sessions[(email, moment.astimezone(dt.timezone.utc).date())] += 1

    def request(self, email: str, moment: dt.datetime, model: str, t_in: int, t_out: int, t_read: int, t_create: int) -> None:
        acc = self.tokens[(email, moment.astimezone(dt.timezone.utc).date(), model)]
        acc[0] += t_in; acc[1] += t_out; acc[2] += t_read; acc[3] += t_create


def _cents(model: str, tokens: list[int]) -> float:
    return round(sum(cost(model, tokens[0], tokens[1], tokens[2], tokens[3])) * 100, 4)


def write_anthropic(out: Path, devs: list[Developer], days: list[dt.date], seed: int, ledger: ClaudeLedger) -> dict:
    rng = rng_for(seed, "anthropic")
    folder = out / "claude_code"
    folder.mkdir(parents=True, exist_ok=True)
    claude_users = [d for d in devs if d.uses_claude]
    second_laptop = claude_users[0].email if claude_users else None
    totals = defaultdict(int)
    totals["not_collected_tokens_by_day"], totals["org_tokens_by_day"] = {}, {}
    extra: dict[tuple[str, dt.date, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    extra_sessions: dict[tuple[str, dt.date], int] = defaultdict(int)
    for day in days:
        if not is_workday(day):
            continue
        if second_laptop and rng.random() < 0.3:
            extra_sessions[(second_laptop, day)] += 1
            extra[(second_laptop, day, pick_model(rng))] = [rng.randint(200, 2000), rng.randint(500, 5000),
                                                           rng.randint(10_000, 90_000), rng.randint(1000, 9000)]
        extra_sessions[(f"api:{CI_KEY}", day)] += rng.randint(1, 4)
        extra[(f"api:{CI_KEY}", day, "claude-sonnet-4-5-20250929")] = [rng.randint(1000, 8000), rng.randint(500, 4000),
                                                                      rng.randint(5000, 60_000), rng.randint(500, 6000)]
    by_day: dict[dt.date, dict[str, dict]] = defaultdict(dict)
    actor_of = lambda day, who: by_day[day].setdefault(who, {"sessions": 0, "models": defaultdict(lambda: [0, 0, 0, 0])})  # noqa: E731
    for source, sessions in ((ledger.tokens, ledger.sessions), (extra, extra_sessions)):
        for (who, day), n in sessions.items():
            actor_of(day, who)["sessions"] += n
        for (who, day, model), tokens in source.items():
            actor = actor_of(day, who)
            for i in range(4):
                actor["models"][model][i] += tokens[i]
            if source is extra:
                totals["not_collected_tokens_by_day"][day.isoformat()] = totals["not_collected_tokens_by_day"].get(day.isoformat(), 0) + sum(tokens)
    for day in sorted(d for d in by_day if days[0] <= d <= days[-1]):
        records = []
        for who in sorted(by_day[day]):
            actor = by_day[day][who]
            sessions = actor["sessions"]
            lines = rng.randint(0, 400) * max(1, sessions)
            tool = lambda: {"accepted": rng.randint(0, 30), "rejected": rng.randint(0, 4)}  # noqa: E731
            breakdown = [{"model": model, "tokens": {"input": t[0], "output": t[1], "cache_read": t[2], "cache_creation": t[3]},
                          "estimated_cost": {"amount": _cents(model, t), "currency": "USD"}}
                         for model, t in sorted(actor["models"].items())]
            records.append({
                "date": day.isoformat(),
                "actor": {"type": "api_actor", "api_key_name": who[4:]} if who.startswith("api:")
                else {"type": "user_actor", "email_address": who},
                "organization_id": ORGANIZATION, "customer_type": "api", "terminal_type": rng.choice(["vscode", "iTerm.app", "tmux"]),
                "core_metrics": {"num_sessions": sessions, "lines_of_code": {"added": lines, "removed": lines // 3},
                                 "commits_by_claude_code": rng.randint(0, sessions), "pull_requests_by_claude_code": rng.randint(0, 1)},
                "tool_actions": {"edit_tool": tool(), "multi_edit_tool": tool(), "write_tool": tool(), "notebook_edit_tool": tool()},
                "model_breakdown": breakdown,
            })
            totals["records"] += 1
            totals["sessions"] += sessions
            totals["lines_added"] += lines
            day_tokens = sum(sum(t) for t in actor["models"].values())
            totals["total_tokens"] += day_tokens
            totals["org_tokens_by_day"][day.isoformat()] = totals["org_tokens_by_day"].get(day.isoformat(), 0) + day_tokens
            totals["estimated_cents"] += sum(b["estimated_cost"]["amount"] for b in breakdown)
        pages = [records[i:i + PAGE_SIZE] for i in range(0, len(records), PAGE_SIZE)] or [[]]
        for number, page in enumerate(pages, 1):
            last = number == len(pages)
            body = {"data": page, "has_more": not last, "next_page": None if last else f"page_{number + 1:04d}"}
            name = f"{day.isoformat()}.json" if number == 1 else f"{day.isoformat()}-{number}.json"
            (folder / name).write_text(json.dumps(body, indent=1))
            totals["pages"] += 1
    totals["estimated_cents"] = round(totals["estimated_cents"], 4)
    return dict(totals)
