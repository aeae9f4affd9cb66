"""The simulated team the demo data describes: developers, their days, their agents.

Deterministic: every source draws from its own `random.Random` seeded from (seed, source), so
adding a source never changes the bytes another source writes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import uuid
from dataclasses import dataclass

FIRST = ["Ada", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Radia", "Guido", "Frances",
         "Edsger", "Hedy", "Tim", "Katherine", "Bjarne", "Sophie", "Alan", "Joan", "Niklaus", "Anita"]
LAST = ["Lovelace", "Hopper", "Torvalds", "Liskov", "Thompson", "Hamilton", "Ritchie", "Perlman", "Rossum",
        "Allen", "Dijkstra", "Lamarr", "Berners", "Johnson", "Stroustrup", "Wilson", "Turing", "Clarke", "Wirth", "Borg"]
TEAMS = ["platform", "payments", "mobile"]
MACHINES = ["laptop", "workstation"]
REPOS = ["api-server", "web-app", "infra"]

# Demo list prices (USD per token) used to write Zen's reported costs and Claude Code's cost_usd.
# They match LiteLLM's table for these models, so later price checks agree with the demo.
MODEL_PRICES = {
    "claude-sonnet-4-5-20250929": (3e-6, 15e-6, 0.3e-6, 3.75e-6),
    "claude-opus-4-1-20250805": (15e-6, 75e-6, 1.5e-6, 18.75e-6),
    "claude-haiku-4-5-20251001": (1e-6, 5e-6, 0.1e-6, 1.25e-6),
}


@dataclass(frozen=True)
class Developer:
    index: int
    name: str
    email: str
    login: str
    team: str
    account_uuid: str
    uses_claude: bool
    uses_codex: bool
    uses_copilot: bool
    activity: float  # relative busyness


def rng_for(seed: int, source: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}:{source}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def stable_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def developers(count: int, seed: int) -> list[Developer]:
    rng = rng_for(seed, "developers")
    out = []
    for i in range(count):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
        suffix = "" if i < len(FIRST) else str(i // len(FIRST))
        out.append(
            Developer(
                index=i,
                name=f"{first} {last}{suffix}",
                email=f"{first.lower()}.{last.lower()}{suffix}@example.com",
                login=f"{first.lower()}-{last.lower()}{suffix}",
                team=TEAMS[i % len(TEAMS)],
                account_uuid=stable_uuid(rng),
                uses_claude=i % 6 != 5,  # most of the team
                uses_codex=i % 3 == 1,
                uses_copilot=i % 4 != 3,
                activity=0.5 + rng.random(),
            )
        )
    return out


def days(end: dt.date, count: int) -> list[dt.date]:
    return [end - dt.timedelta(days=count - 1 - i) for i in range(count)]


def is_workday(day: dt.date) -> bool:
    return day.weekday() < 5


def day_volume(rng: random.Random, base: float, dev: Developer, day: dt.date, scale: float) -> int:
    """Events a developer makes on a day: weekdays busy, weekends rare, slow upward trend."""
    factor = 1.0 if is_workday(day) else 0.08
    mean = base * dev.activity * factor * scale
    return max(0, int(rng.gauss(mean, mean * 0.3) + 0.5))


def at(day: dt.date, rng: random.Random) -> dt.datetime:
    """A moment within working hours (UTC) on `day`."""
    seconds = int(rng.triangular(7 * 3600, 19 * 3600, 13 * 3600))
    return dt.datetime.combine(day, dt.time(), dt.timezone.utc) + dt.timedelta(seconds=seconds, microseconds=rng.randrange(1_000_000))


def nanos(moment: dt.datetime) -> int:
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


def cost(model: str, input_tokens: int, output_tokens: int, cache_read: int, cache_creation: int) -> tuple[float, float, float, float]:
    p_in, p_out, p_read, p_create = MODEL_PRICES[model]
    return (input_tokens * p_in, output_tokens * p_out, cache_read * p_read, cache_creation * p_create)


def pick_model(rng: random.Random) -> str:
    return rng.choices(list(MODEL_PRICES), weights=[70, 10, 20])[0]
