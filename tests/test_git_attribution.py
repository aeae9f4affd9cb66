"""Agent-assisted commit attribution on a generated ground truth, through the real pipeline: real
git repositories (trailers, merges, a rewritten branch), Claude Code transcripts with sessions at
known times, the project config linking both to developers, a Dagster run (ingest + dbt)."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from analytics_assets.copilot.assets import copilot_usage
from analytics_assets.definitions import defs
from analytics_assets.git.assets import git_commits

from .conftest import DEMO_DAYS

DEVS = [f"dev{i}" for i in range(4)]
REPOS = ["alpha", "beta"]
START = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.timezone.utc)
# Exact composition, so the measured precision / recall are deterministic. The two noise kinds are
# cases no rule can get right (work done with an agent, committed long after; manual work
# committed right after an unrelated session) — they keep the measurement honest.
EPISODES = ["trailer"] * 30 + ["session"] * 30 + ["copilot"] * 6 + ["codex"] * 4 + ["manual"] * 35 + ["late"] * 10 \
    + ["noise_fn"] * 3 + ["noise_fp"] * 2
TRUTH = {"trailer": True, "session": True, "copilot": True, "codex": True, "manual": False, "late": False,
         "noise_fn": True, "noise_fp": False}


def _git(repo: Path, *args: str, when: dt.datetime | None = None, email: str = "", stdin: str | None = None) -> str:
    env = dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")
    if when:
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S+0000")
        env |= {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_NAME": email.split("@")[0],
                "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": email.split("@")[0], "GIT_COMMITTER_EMAIL": email}
    return subprocess.run(["git", "-C", str(repo), *args], env=env, input=stdin, text=True, check=True,
                          capture_output=True).stdout.strip()


def _commit(repo: Path, when: dt.datetime, email: str, message: str) -> str:
    path = repo / f"file-{when:%d%H%M}-{email.split('@')[0]}.txt"
    path.write_text(f"{message}\n" * 3)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-F", "-", when=when, email=email, stdin=message)
    return _git(repo, "rev-parse", "HEAD")


def _session(landing: Path, dev: str, repo: str, times: list[dt.datetime], rng: random.Random) -> str:
    session = f"{rng.getrandbits(128):032x}"
    cwd = f"/home/{dev}/src/{repo}"
    path = landing / "claude" / f"{dev}-laptop" / "projects" / cwd.replace("/", "-") / f"{session}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        for moment in times:
            f.write(json.dumps({
                "type": "assistant", "sessionId": session, "cwd": cwd, "gitBranch": "main", "version": "2.0.14",
                "uuid": f"{rng.getrandbits(128):032x}", "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "requestId": f"req_{rng.getrandbits(64):016x}",
                "message": {"id": f"msg_{rng.getrandbits(64):016x}", "model": "claude-sonnet-4-5-20250929", "role": "assistant",
                            "usage": {"input_tokens": 100, "output_tokens": 200, "cache_read_input_tokens": 1000,
                                      "cache_creation_input_tokens": 50}},
            }, separators=(",", ":")) + "\n")
    return session


def build_world(landing: Path, repos_dir: Path) -> dict[str, bool]:
    """Repositories, transcripts and the truth (sha → assisted). Every episode has its own 5-hour
    slot, so one episode's session never lies in another's window."""
    rng = random.Random(42)
    episodes = EPISODES[:]
    rng.shuffle(episodes)
    for repo in REPOS:
        (repos_dir / repo).mkdir(parents=True)
        _git(repos_dir / repo, "init", "-q", "-b", "main")
    truth: dict[str, bool] = {}
    for n, kind in enumerate(episodes):
        dev, repo = DEVS[n % len(DEVS)], REPOS[(n // len(DEVS)) % len(REPOS)]
        other = REPOS[1 - REPOS.index(repo)]
        email = f"{dev}@example.com"
        t0 = START + dt.timedelta(hours=5 * n)
        requests = [t0, t0 + dt.timedelta(minutes=10), t0 + dt.timedelta(minutes=20)]
        last = requests[-1]
        message = f"{kind} change {n}\n"
        if kind == "trailer":
            _session(landing, dev, repo, requests, rng)
            message += "\nCo-Authored-By: Claude <noreply@anthropic.com>\n"
            when = last + dt.timedelta(minutes=15)
        elif kind == "session":
            _session(landing, dev, repo, requests, rng)
            when = last + dt.timedelta(minutes=rng.randint(2, 110))
        elif kind == "copilot":
            message += "\nCo-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>\n"
            when = t0
        elif kind == "codex":
            message += "\nCo-authored-by: Codex <codex@openai.com>\n"
            when = t0
        elif kind == "manual":
            if n % 2:  # the same developer was in a session — on the other repository
                _session(landing, dev, other, requests, rng)
            else:  # another developer was in a session on this repository
                _session(landing, DEVS[(n + 1) % len(DEVS)], repo, requests, rng)
            when = last + dt.timedelta(minutes=10)
        elif kind == "late":
            _session(landing, dev, repo, requests, rng)
            when = last + dt.timedelta(minutes=240)
        elif kind == "noise_fn":
            _session(landing, dev, repo, requests, rng)
            when = last + dt.timedelta(minutes=150)
        else:  # noise_fp
            _session(landing, dev, repo, requests, rng)
            when = last + dt.timedelta(minutes=20)
        truth[_commit(repos_dir / repo, when, email, message)] = TRUTH[kind]
    # A feature branch merged with a merge commit: the merge is not agent work.
    alpha = repos_dir / "alpha"
    merge_at = START + dt.timedelta(hours=5 * len(episodes) + 1)
    _git(alpha, "checkout", "-q", "-b", "feature")
    truth[_commit(alpha, merge_at, "dev1@example.com", "feature work\n")] = False
    _git(alpha, "checkout", "-q", "main")
    _git(alpha, "merge", "-q", "--no-ff", "-m", "Merge feature", "feature", when=merge_at + dt.timedelta(minutes=5), email="dev1@example.com")
    truth[_git(alpha, "rev-parse", "HEAD")] = False
    return truth


def _config(path: Path, repos_dir: Path) -> None:
    path.write_text(yaml.safe_dump({
        "git": {"repos_dir": str(repos_dir), "session_window_minutes": 120},
        "roi": {"hours_saved_per_assisted_commit": 0.75, "hourly_rate_usd": 100},
        "developers": [{"name": d, "team": "core", "machines": [f"{d}-laptop"], "emails": [f"{d}@example.com"]} for d in DEVS],
    }))


def _materialize(instance, selection, tags=None) -> dg.ExecuteInProcessResult:
    result = dg.materialize([*defs.assets, *defs.asset_checks], instance=instance, resources=defs.resources, selection=selection,
                            tags=tags)
    assert result.success
    return result


def test_attribution_precision_and_recall_on_ground_truth(project_env, tmp_path):
    repos_dir = tmp_path / "repos"
    truth = build_world(project_env["landing"], repos_dir)
    _config(Path(os.environ["ANALYTICS_CONFIG"]), repos_dir)
    with dg.instance_for_test(temp_dir=str(project_env["dagster_home"])) as instance:
        _materialize(instance, dg.AssetSelection.all() - dg.AssetSelection.assets(copilot_usage), tags=DEMO_DAYS)
        con = duckdb.connect(str(project_env["duckdb"]), read_only=True)
        rows = con.execute("SELECT sha, is_agent_assisted, evidence, confidence, agent, minutes_since_session, developer_key "
                           "FROM marts.fct_git_commits").fetchall()
        daily = con.execute("SELECT sum(commits), sum(agent_assisted_commits), sum(agent_cost_usd) FROM marts.fct_commits_daily").fetchone()
        roi = con.execute("SELECT month, tool_cost_usd, commits, assisted_commits, hours_saved_per_assisted_commit, hourly_rate_usd, "
                          "estimated_hours_saved, roi_usd, cost_per_assisted_commit_usd FROM marts.fct_roi_monthly WHERE agent = 'all'").fetchall()
        by_agent = dict(con.execute("SELECT agent, sum(assisted_commits) FROM marts.fct_roi_monthly WHERE agent <> 'all' GROUP BY 1").fetchall())
        con.close()
    predicted = {r[0]: r[1] for r in rows}
    assert set(predicted) == set(truth)
    tp = sum(1 for sha, p in predicted.items() if p and truth[sha])
    fp = sum(1 for sha, p in predicted.items() if p and not truth[sha])
    fn = sum(1 for sha, p in predicted.items() if not p and truth[sha])
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(f"\nattribution on {len(truth)} commits: precision {precision:.3f}, recall {recall:.3f} (tp={tp} fp={fp} fn={fn})")
    assert precision >= 0.95 and recall >= 0.9
    by_sha = {r[0]: r for r in rows}
    agents = {r[4] for r in rows if r[2] in ("trailer", "trailer+session")}
    assert agents == {"claude_code", "copilot", "codex"}
    assert all(r[3] == "high" for r in rows if r[2] and r[2].startswith("trailer"))
    assert all(0 <= r[5] <= 120 for r in rows if r[2] == "session")
    assert all(r[6] is not None and len(r[6]) == 32 for r in rows)  # developers resolved (hashed) through the config
    assert len({r[6] for r in rows}) == len(DEVS)
    # Daily rollup: merges excluded, every non-merge commit counted once; spend of the sessions present.
    non_merge = len(truth) - 1
    assert daily[0] == non_merge and daily[1] == sum(1 for sha, p in predicted.items() if p and sha in by_sha)
    assert daily[2] > 0
    # ROI: the configured inputs shown next to the result, and the formula holds row by row.
    assert sum(r[2] for r in roi) == non_merge and sum(r[3] for r in roi) == daily[1]
    for month, cost, commits, assisted, hours, rate, saved, value, per_assisted in roi:
        assert (hours, rate) == (0.75, 100.0) and saved == assisted * 0.75
        assert value == pytest.approx(assisted * 0.75 * 100 - cost) and per_assisted == pytest.approx(cost / assisted)
    assert by_agent["copilot"] == 6 and by_agent["codex"] == 4  # trailer-only agents get their commits too


def test_incremental_reads_new_commits_and_flags_rewritten_history(project_env, tmp_path):
    repos_dir = tmp_path / "repos"
    repo = repos_dir / "alpha"
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    when = START
    for i in range(3):
        _commit(repo, when + dt.timedelta(hours=i), "dev0@example.com", f"base {i}\n")
    _git(repo, "checkout", "-q", "-b", "topic")
    old_tip = _commit(repo, when + dt.timedelta(hours=4), "dev0@example.com", "topic work\n")
    _git(repo, "checkout", "-q", "main")
    _config(Path(os.environ["ANALYTICS_CONFIG"]), repos_dir)
    only_git = dg.AssetSelection.assets(git_commits)

    def raw(con_query: str):
        con = duckdb.connect(str(project_env["duckdb"]), read_only=True)
        try:
            return con.execute(con_query).fetchall()
        finally:
            con.close()

    with dg.instance_for_test(temp_dir=str(project_env["dagster_home"])) as instance:
        first = _materialize(instance, only_git).asset_materializations_for_node("raw__git_commits")[0].metadata
        assert first["commits_loaded"].value == 4
        # Nothing new: nothing read.
        again = _materialize(instance, only_git).asset_materializations_for_node("raw__git_commits")[0].metadata
        assert again["commits_read"].value == 0 and again["commits_loaded"].value == 0
        # Two new commits on main: exactly those are read.
        _commit(repo, when + dt.timedelta(hours=6), "dev0@example.com", "more 1\n")
        _commit(repo, when + dt.timedelta(hours=7), "dev0@example.com", "more 2\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n")
        grown = _materialize(instance, only_git).asset_materializations_for_node("raw__git_commits")[0].metadata
        assert grown["commits_read"].value == 2 and grown["commits_loaded"].value == 2
        # Rewrite the topic branch (amend its tip): detected, re-read, the old tip flagged unreachable.
        _git(repo, "checkout", "-q", "topic")
        _git(repo, "commit", "-q", "--amend", "-m", "topic work, amended", when=when + dt.timedelta(hours=8), email="dev0@example.com")
        _git(repo, "checkout", "-q", "main")
        rewritten = _materialize(instance, only_git).asset_materializations_for_node("raw__git_commits")[0].metadata
        assert rewritten["rewritten_branches"].value == ["alpha: refs/heads/topic"]
        assert rewritten["commits_loaded"].value == 1 and rewritten["commits_flagged_unreachable"].value == 1
    rows = dict(raw("SELECT sha, is_reachable FROM raw.git_commits"))
    assert len(rows) == 7 and rows[old_tip] is False and sum(rows.values()) == 6
    [(trailers,)] = raw("SELECT count(*) FROM raw.git_commits WHERE agent_trailer = 'claude_code'")
    assert trailers == 1
    [(emails,)] = raw("SELECT count(DISTINCT author_email) FROM raw.git_commits WHERE author_email NOT LIKE '%@%'")
    assert emails == 1  # hashed, never the address


def test_git_sensor_fires_once_per_state_of_the_branch_tips(project_env, tmp_path):
    from analytics_assets.git.assets import git_sensor

    repos_dir = tmp_path / "repos"
    repo = repos_dir / "alpha"
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    _config(Path(os.environ["ANALYTICS_CONFIG"]), repos_dir)
    with dg.instance_for_test(temp_dir=str(project_env["dagster_home"])) as instance:
        empty = git_sensor(dg.build_sensor_context(instance=instance))  # a repository without commits is a state too
        assert isinstance(empty, dg.RunRequest)
        _commit(repo, START, "dev0@example.com", "first\n")
        first = git_sensor(dg.build_sensor_context(instance=instance, cursor=empty.run_key.removeprefix("git-")))
        assert isinstance(first, dg.RunRequest) and first.run_key.startswith("git-")
        cursor = first.run_key.removeprefix("git-")
        assert isinstance(git_sensor(dg.build_sensor_context(instance=instance, cursor=cursor)), dg.SkipReason)
        _commit(repo, START + dt.timedelta(hours=1), "dev0@example.com", "second\n")
        moved = git_sensor(dg.build_sensor_context(instance=instance, cursor=cursor))
        assert isinstance(moved, dg.RunRequest) and moved.run_key != first.run_key
