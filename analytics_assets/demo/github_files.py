"""Demo GitHub data: Copilot usage-metrics report files, seat snapshots, and real git repositories.

Copilot report files follow the shapes of the public samples (`download_links` envelopes and the
organization / users 1-day reports behind them); users reports are NDJSON, org reports JSON,
since the API serves both. Git repositories are real, built with `git fast-import` (fast and
deterministic), with `Co-Authored-By: Claude` and `Claude-Session:` trailers on agent-assisted
commits.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections import defaultdict
from pathlib import Path

from .world import REPOS, Developer, at, day_volume, is_workday, rng_for

ORG = "demo-org"
IDES = ["vscode", "jetbrains", "visualstudio"]
FEATURES = ["code_completion", "chat_panel_ask_mode", "chat_panel_agent_mode", "copilot_cli"]
LANGUAGES = ["python", "typescript", "go", "markdown"]
COPILOT_MODELS = ["gpt-4.1", "claude-sonnet-4.5", "gpt-5-mini"]


def _counts(rng, scale: float) -> dict:
    generated = int(rng.randint(5, 60) * scale)
    accepted = int(generated * rng.uniform(0.2, 0.6))
    suggested = generated * rng.randint(3, 12)
    return {
        "user_initiated_interaction_count": rng.randint(0, 20),
        "code_generation_activity_count": generated,
        "code_acceptance_activity_count": accepted,
        "loc_suggested_to_add_sum": suggested,
        "loc_suggested_to_delete_sum": suggested // 10,
        "loc_added_sum": int(suggested * rng.uniform(0.2, 0.5)),
        "loc_deleted_sum": suggested // 20,
    }


def _add(total: dict, part: dict) -> None:
    for k, v in part.items():
        total[k] = total.get(k, 0) + v


def write_copilot(out: Path, devs: list[Developer], days: list[dt.date], seed: int, scale: float) -> dict:
    rng = rng_for(seed, "copilot")
    users = [d for d in devs if d.uses_copilot]
    reports = out / "reports" / ORG
    totals = defaultdict(int)
    for day in days:
        user_rows, org_total = [], {}
        by_ide, by_feature, by_lang, by_model = defaultdict(dict), defaultdict(dict), defaultdict(dict), defaultdict(dict)
        active = [u for u in users if rng.random() < (0.85 if is_workday(day) else 0.1)]
        for user in active:
            ide, feature = rng.choice(IDES), rng.choice(FEATURES)
            language, model = rng.choice(LANGUAGES), rng.choice(COPILOT_MODELS)
            counts = _counts(rng, scale)
            row = {
                "user_id": 1000 + user.index, "user_login": user.login, "day": day.isoformat(),
                "organization_id": "100000001", "enterprise_id": None, **counts,
                "totals_by_ide": [{"ide": ide, **counts}],
                "totals_by_feature": [{"feature": feature, **counts}],
                "totals_by_language_feature": [{"language": language, "feature": feature, **{k: v for k, v in counts.items() if k != "user_initiated_interaction_count"}}],
                "totals_by_model_feature": [{"model": model, "feature": feature, **counts}],
                "used_agent": feature == "chat_panel_agent_mode", "used_chat": feature.startswith("chat"),
                "used_cli": feature == "copilot_cli", "used_copilot_coding_agent": False,
                "ai_credits_used": round(rng.uniform(0, 5), 2),
            }
            user_rows.append(row)
            _add(org_total, counts)
            _add(by_ide[ide], counts)
            _add(by_feature[feature], counts)
            _add(by_lang[(language, feature)], {k: v for k, v in counts.items() if k != "user_initiated_interaction_count"})
            _add(by_model[(model, feature)], counts)
            totals["user_days"] += 1
            totals["code_generation_activity_count"] += counts["code_generation_activity_count"]
            totals["code_acceptance_activity_count"] += counts["code_acceptance_activity_count"]
        org_day = {
            "day": day.isoformat(), "organization_id": "100000001", "enterprise_id": None,
            "daily_active_users": len(active), **org_total,
            "totals_by_ide": [{"ide": k, **v} for k, v in sorted(by_ide.items())],
            "totals_by_feature": [{"feature": k, **v} for k, v in sorted(by_feature.items())],
            "totals_by_language_feature": [{"language": k[0], "feature": k[1], **v} for k, v in sorted(by_lang.items())],
            "totals_by_model_feature": [{"model": k[0], "feature": k[1], **v} for k, v in sorted(by_model.items())],
        }
        org_dir, users_dir = reports / "organization-1-day", reports / "users-1-day"
        org_dir.mkdir(parents=True, exist_ok=True)
        users_dir.mkdir(parents=True, exist_ok=True)
        envelope = {"report_start_day": day.isoformat(), "report_end_day": day.isoformat(), "organization_id": "100000001",
                    "created_at": f"{day + dt.timedelta(days=1)}T03:00:00Z", "day_totals": [org_day]}
        (org_dir / f"{day.isoformat()}.json").write_text(json.dumps(envelope, indent=2))
        (users_dir / f"{day.isoformat()}.ndjson").write_text("".join(json.dumps(r) + "\n" for r in user_rows))
        totals["report_days"] += 1
    seats = []
    last_day = days[-1]
    for user in users:
        last = at(last_day - dt.timedelta(days=rng.choice([0, 1, 2, 5, 40])), rng)
        seats.append({
            "created_at": f"{days[0]}T09:00:00Z", "updated_at": f"{days[0]}T09:00:00Z", "pending_cancellation_date": None,
            "last_activity_at": last.strftime("%Y-%m-%dT%H:%M:%SZ"), "last_activity_editor": "vscode/1.99.0/copilot/1.308.0",
            "plan_type": "business",
            "assignee": {"login": user.login, "id": 1000 + user.index, "type": "User"},
            "assigning_team": {"id": 1, "name": user.team, "slug": user.team},
        })
    # A seat assigned to someone who never used it: the licence-utilisation case.
    seats.append({"created_at": f"{days[0]}T09:00:00Z", "updated_at": f"{days[0]}T09:00:00Z", "pending_cancellation_date": None,
                  "last_activity_at": None, "last_activity_editor": None, "plan_type": "business",
                  "assignee": {"login": "idle-contractor", "id": 999, "type": "User"}, "assigning_team": None})
    seats_dir = out / "seats" / ORG
    seats_dir.mkdir(parents=True, exist_ok=True)
    (seats_dir / f"{last_day.isoformat()}.json").write_text(json.dumps({"total_seats": len(seats), "seats": seats}, indent=2))
    totals["seats"] = len(seats)
    return dict(totals)


SPLIT_AT_LINES = 400


def write_git_repos(out: Path, devs: list[Developer], days: list[dt.date], seed: int, scale: float) -> dict:
    rng = rng_for(seed, "git")
    totals = defaultdict(int)
    for repo in REPOS:
        path = out / repo
        if (path / ".git").exists() or (path / "HEAD").exists():
            continue  # repositories are only created once; re-running keeps them stable
        path.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
        # The team's repositories on GitHub: sessions in clones of them (any folder name) attribute by this remote.
        subprocess.run(["git", "-C", str(path), "remote", "add", "origin", f"https://github.com/{ORG}/{repo}.git"], check=True)
        files: dict[str, list[str]] = {}
        part: dict[str, int] = {}
        stream: list[bytes] = []
        mark = 0
        for day in days:
            for dev in devs:
                for _ in range(day_volume(rng, 1.2, dev, day, scale) if rng.random() < 0.5 else 0):
                    mark += 1
                    moment = at(day, rng)
                    stamp = f"{int(moment.timestamp())} +0000"
                    assisted = dev.uses_claude and rng.random() < 0.4
                    subject = rng.choice(["Fix", "Add", "Refactor", "Update", "Remove"]) + " " + rng.choice(
                        ["parser", "handler", "tests", "docs", "config", "client", "cache"]) + f" ({mark})"
                    message = subject + "\n"
                    if assisted:
                        message += f"\nClaude-Session: {rng.getrandbits(128):032x}\nCo-Authored-By: Claude <noreply@anthropic.com>\n"
                        totals["claude_coauthored_commits"] += 1
                    module = f"src/{rng.choice(['core', 'api', 'util'])}/{rng.choice(['a', 'b', 'c', 'd'])}"
                    # A module past a few hundred lines continues in a new file, as real code is split: a file that
                    # only grew would make every later commit's diff (git log --numstat) read and compare megabytes.
                    while len(files.get(name := f"{module}{part.get(module, '')}.py", ())) >= SPLIT_AT_LINES:
                        part[module] = part.get(module, 0) + 1
                    lines = files.setdefault(name, [])
                    removed = min(len(lines), rng.randint(0, 5))
                    for _ in range(removed):
                        lines.pop(rng.randrange(len(lines)))
                    added = rng.randint(1, 40)
                    lines.extend(f"value_{mark}_{i} = {rng.randint(0, 10**6)}" for i in range(added))
                    content = ("\n".join(lines) + "\n").encode()
                    msg = message.encode()
                    author = f"{dev.name} <{dev.email}> {stamp}".encode()
                    stream.append(b"commit refs/heads/main\nmark :%d\nauthor %s\ncommitter %s\ndata %d\n%s\n" % (mark, author, author, len(msg), msg))
                    if mark > 1:
                        stream.append(b"from :%d\n" % (mark - 1))
                    stream.append(b"M 100644 inline %s\ndata %d\n%s\n" % (name.encode(), len(content), content))
                    totals["commits"] += 1
        subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=b"".join(stream), check=True)
        subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=path, check=True)
        totals["repos"] += 1
    return dict(totals)
