"""Demo Cursor Admin API responses, as `cursor.source: folder` reads them under landing/cursor/: per usage day a
daily-usage-data body and a filtered-usage-events body (documented shapes: epoch-ms dates, timestamps as text,
tokenUsage only on token-based calls, Cursor's cost in cents), and today's members and spend. One member never
uses Cursor (an idle seat for licence utilisation)."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from pathlib import Path

from .world import Developer, at, day_volume, is_workday, rng_for

CURSOR_MODELS = ["claude-4.5-sonnet", "gpt-5", "claude-4-opus-thinking"]
# Cursor's cost per million tokens (input, output, cache write, cache read) for the demo: near list prices.
RATES = {"claude-4.5-sonnet": (3, 15, 3.75, 0.3), "gpt-5": (1.25, 10, 0, 0.125), "claude-4-opus-thinking": (15, 75, 18.75, 1.5)}


def uses_cursor(dev: Developer) -> bool:
    return dev.index % 3 == 0


def _ms(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), dt.timezone.utc).timestamp() * 1000)


def write_cursor(out: Path, devs: list[Developer], days: list[dt.date], seed: int, scale: float) -> dict:
    rng = rng_for(seed, "cursor")
    users = [d for d in devs if uses_cursor(d)]
    idle = f"contractor{seed}@example.com"
    totals = defaultdict(int)
    totals["lines_accepted_by_day"] = {}
    totals["cents_by_day"] = {}
    for folder in ("daily-usage", "usage-events", "members", "spend"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    spend = defaultdict(float)
    for day in days:
        daily, events = [], []
        for dev in users:
            requests = day_volume(rng, 6, dev, day, scale) if is_workday(day) else 0  # an editor: office days only
            accepted = int(rng.lognormvariate(4.5, 0.8)) if requests else 0
            accepts, rejects = (rng.randint(1, 20), rng.randint(0, 6)) if requests else (0, 0)
            shown = rng.randint(20, 300) if requests else 0
            daily.append({"date": _ms(day), "isActive": requests > 0, "totalLinesAdded": accepted + rng.randint(0, 200) if requests else 0,
                          "totalLinesDeleted": rng.randint(0, 80) if requests else 0, "acceptedLinesAdded": accepted,
                          "acceptedLinesDeleted": accepted // 4, "totalApplies": accepts + rejects, "totalAccepts": accepts,
                          "totalRejects": rejects, "totalTabsShown": shown, "totalTabsAccepted": int(shown * rng.uniform(0.2, 0.6)),
                          "composerRequests": requests // 3, "chatRequests": requests // 3, "agentRequests": requests - 2 * (requests // 3),
                          "cmdkUsages": rng.randint(0, 5) if requests else 0, "subscriptionIncludedReqs": requests,
                          "apiKeyReqs": 0, "usageBasedReqs": 0, "bugbotUsages": 0,
                          "mostUsedModel": rng.choice(CURSOR_MODELS) if requests else "", "clientVersion": "1.7.44",
                          "email": dev.email})
            totals["lines_accepted_by_day"][day.isoformat()] = totals["lines_accepted_by_day"].get(day.isoformat(), 0) + accepted
            moment = at(day, rng)
            for _ in range(requests):
                moment += dt.timedelta(seconds=rng.randint(5, 240))
                model = rng.choice(CURSOR_MODELS)
                tokens = {"inputTokens": int(rng.lognormvariate(7.5, 1.0)), "outputTokens": int(rng.lognormvariate(6.0, 1.0)),
                          "cacheWriteTokens": int(rng.lognormvariate(7.0, 1.0)) if model.startswith("claude") else 0,
                          "cacheReadTokens": int(rng.lognormvariate(9.5, 0.8))}
                rate = RATES[model]
                cents = round(sum(n * r for n, r in zip(tokens.values(), rate)) / 1e6 * 100, 5)
                events.append({"timestamp": str(int(moment.timestamp() * 1000)), "model": model, "kind": "Included in Business",
                               "maxMode": model.endswith("thinking"), "requestsCosts": 1, "isTokenBasedCall": True,
                               "tokenUsage": {**tokens, "totalCents": cents}, "isFreeBugbot": False, "isChargeable": True,
                               "userEmail": dev.email})
                totals["events"] += 1
                totals["input_tokens"] += tokens["inputTokens"]
                totals["output_tokens"] += tokens["outputTokens"]
                totals["cache_write_tokens"] += tokens["cacheWriteTokens"]
                totals["cache_read_tokens"] += tokens["cacheReadTokens"]
                totals["cents_by_day"][day.isoformat()] = round(totals["cents_by_day"].get(day.isoformat(), 0) + cents, 5)
                spend[dev.email] += cents
        period = {"startDate": _ms(day), "endDate": _ms(day + dt.timedelta(days=1)) - 1}
        (out / "daily-usage" / f"{day}.json").write_text(json.dumps({"data": daily, "period": period}))
        (out / "usage-events" / f"{day}.json").write_text(json.dumps({
            "totalUsageEventsCount": len(events), "pagination": {"numPages": 1, "currentPage": 1, "pageSize": max(1, len(events)),
                                                                 "hasNextPage": False, "hasPreviousPage": False},
            "usageEvents": events, "period": period}))
    today = days[-1] + dt.timedelta(days=1)
    members = [{"name": d.name, "email": d.email, "role": "owner" if i == 0 else "member", "isRemoved": False} for i, d in enumerate(users)]
    members.append({"name": "Idle Contractor", "email": idle, "role": "member", "isRemoved": False})
    (out / "members" / f"{today}.json").write_text(json.dumps({"teamMembers": members}))
    (out / "spend" / f"{today}.json").write_text(json.dumps({
        "teamMemberSpend": [{"email": email, "spendCents": round(cents), "fastPremiumRequests": 0, "role": "member"}
                            for email, cents in sorted(spend.items())],
        "subscriptionCycleStart": _ms(days[-1].replace(day=1)), "totalMembers": len(members), "totalPages": 1}))
    totals["members"] = len(members)
    return dict(totals)
