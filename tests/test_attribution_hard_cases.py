"""Commit attribution on a generated ground truth of the cases the folder-name rule gets wrong, through the
real pipeline (real git repositories with remotes, Claude Code transcripts whose working folders exist on this
disk, one Dagster run of ingest + dbt): sessions in a repository's sub-folder and in monorepo packages, a clone
under another folder name, two repositories of different owners that share a name, author dates with UTC
offsets, rebased and cherry-picked commits (author date != commit date), a squash merge, two developers in one
repository in the same hour, a session whose cwd changes, sessions that end without a commit, a folder no git
saw (the name fallback), and the noise no rule can get right."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
from pathlib import Path

import dagster as dg
import duckdb
import yaml

from analytics_assets.copilot.assets import copilot_usage
from analytics_assets.definitions import defs

from .conftest import DEMO_DAYS

DEVS = [f"dev{i}" for i in range(4)]
START = dt.datetime(2026, 11, 2, 8, 0, tzinfo=dt.timezone.utc)
REMOTES = {"api-server": "git@github.com:acme/api-server.git", "acme/infra": "https://github.com/acme/infra",
           "other/infra": "https://github.com/other/infra.git"}
# Exact composition (deterministic precision and recall). kind -> (episodes, truth of each commit it makes).
EPISODES = {
    "subfolder": 12, "renamed_clone": 6, "same_name_right_owner": 6, "same_name_other_owner": 8, "utc_offset": 5,
    "utc_offset_late": 4, "rebased": 5, "cherry_pick": 3, "squash": 3, "two_devs": 6, "unresolved_subfolder": 4,
    "cwd_change": 3, "trailer": 6, "manual": 15, "late": 6, "no_commit": 10, "noise_fn": 2, "noise_fp": 1,
    "git_ai_note": 3, "agent_trace_note": 2, "commit_metric": 3,
}


def git(repo: Path, *args: str, author: dt.datetime | str | None = None, committer: dt.datetime | str | None = None,
        email: str = "dev0@example.com", stdin: str | None = None) -> str:
    env = dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME=email.split("@")[0],
               GIT_AUTHOR_EMAIL=email, GIT_COMMITTER_NAME=email.split("@")[0], GIT_COMMITTER_EMAIL=email)
    stamp = lambda t: t if isinstance(t, str) else t.strftime("%Y-%m-%dT%H:%M:%S+0000")  # noqa: E731
    if author:
        env["GIT_AUTHOR_DATE"] = stamp(author)
        env["GIT_COMMITTER_DATE"] = stamp(committer or author)
    return subprocess.run(["git", "-C", str(repo), *args], env=env, input=stdin, text=True, check=True,
                          capture_output=True).stdout.strip()


def make_repo(path: Path, remote: str) -> Path:
    (path / "packages" / "web").mkdir(parents=True)
    (path / "packages" / "api").mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "remote", "add", "origin", remote)
    return path


def commit(repo: Path, when, email: str, message: str, committer=None) -> str:
    name = f"f-{random.Random(message + str(when)).getrandbits(40):010x}.txt"
    (repo / name).write_text(message)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-F", "-", author=when, committer=committer, email=email, stdin=message)
    return git(repo, "rev-parse", "HEAD")


class World:
    def __init__(self, root: Path, landing: Path):
        self.root, self.landing, self.rng = root, landing, random.Random(23)
        self.followed = {name: make_repo(root / "followed" / name, url) for name, url in REMOTES.items()}
        self.truth: dict[str, bool] = {}
        self.kinds: dict[str, str] = {}
        for name in self.followed:  # every branch has a base (a day before the first session)
            self.commit("initial", name, START - dt.timedelta(days=1), "dev0", False)

    def folder(self, dev: str, name: str, remote: str | None) -> Path:
        """A developer's working clone (git init + its remote): where their sessions run."""
        path = self.root / "work" / dev / name
        if not path.exists():
            make_repo(path, remote) if remote else path.mkdir(parents=True)
        return path

    def session(self, dev: str, requests: list[tuple[dt.datetime, Path | str]]) -> None:
        session = f"{self.rng.getrandbits(128):032x}"
        path = self.landing / "claude" / f"{dev}-laptop" / "projects" / f"p{self.rng.getrandbits(32):08x}" / f"{session}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as f:
            for moment, cwd in requests:
                f.write(json.dumps({
                    "type": "assistant", "sessionId": session, "cwd": str(cwd), "gitBranch": "main", "version": "2.0.14",
                    "uuid": f"{self.rng.getrandbits(128):032x}", "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "requestId": f"req_{self.rng.getrandbits(64):016x}",
                    "message": {"id": f"msg_{self.rng.getrandbits(64):016x}", "model": "claude-sonnet-4-5-20250929",
                                "role": "assistant", "usage": {"input_tokens": 100, "output_tokens": 200,
                                                               "cache_read_input_tokens": 1000, "cache_creation_input_tokens": 50}},
                }, separators=(",", ":")) + "\n")

    def metric(self, dev: str, when: dt.datetime) -> None:
        """Claude Code's telemetry counting one commit in the minute around `when` (OTLP metrics, as the
        collector's file exporter writes them)."""
        nanos = lambda t: str(int(t.timestamp()) * 10**9)  # noqa: E731
        attributes = [{"key": "session.id", "value": {"stringValue": f"otel-{self.rng.getrandbits(64):016x}"}},
                      {"key": "user.account_uuid", "value": {"stringValue": f"acct-{dev}"}}]
        line = {"resourceMetrics": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "claude-code"}}]},
                "scopeMetrics": [{"scope": {"name": "com.anthropic.claude_code"}, "metrics": [{
                    "name": "claude_code.commit.count", "unit": "count",
                    "sum": {"aggregationTemporality": 1, "isMonotonic": True, "dataPoints": [{
                        "startTimeUnixNano": nanos(when - dt.timedelta(seconds=30)), "timeUnixNano": nanos(when + dt.timedelta(seconds=30)),
                        "asInt": "1", "attributes": attributes}]}}]}]}]}
        with (self.landing / "otlp" / "claude-code-metrics-truth.jsonl").open("a") as f:
            f.write(json.dumps(line) + "\n")

    def commit(self, kind: str, repo: str, when, dev: str, truth: bool, message: str = "", committer=None) -> str:
        sha = commit(self.followed[repo], when, f"{dev}@example.com", f"{kind} {len(self.truth)}\n{message}", committer)
        self.truth[sha], self.kinds[sha] = truth, kind
        return sha


def build(root: Path, landing: Path) -> World:
    """Every episode in its own 5-hour slot, so one episode's sessions never fall in another's window."""
    world = World(root, landing)
    episodes = [kind for kind, count in EPISODES.items() for _ in range(count)]
    random.Random(5).shuffle(episodes)
    api, acme_infra, other_infra = REMOTES["api-server"], REMOTES["acme/infra"], REMOTES["other/infra"]
    for n, kind in enumerate(episodes):
        dev, other_dev = DEVS[n % 4], DEVS[(n + 1) % 4]
        t0 = START + dt.timedelta(hours=5 * n)
        ticks = [t0 + dt.timedelta(minutes=m) for m in (0, 10, 20)]
        after = lambda minutes: ticks[-1] + dt.timedelta(minutes=minutes)  # noqa: E731
        clone = world.folder(dev, "api-server", api)
        if kind == "subfolder":  # a monorepo package: packages/web or packages/api
            package = clone / "packages" / ("web" if n % 2 else "api")
            world.session(dev, [(t, package) for t in ticks])
            world.commit(kind, "api-server", after(world.rng.randint(2, 100)), dev, True)
        elif kind == "renamed_clone":
            renamed = world.folder(dev, "my-api", api.replace("git@github.com:acme/", "https://github.com/Acme/"))
            world.session(dev, [(t, renamed / "packages" / "web") for t in ticks])
            world.commit(kind, "api-server", after(25), dev, True)
        elif kind == "same_name_right_owner":
            world.session(dev, [(t, world.folder(dev, "acme/infra", acme_infra)) for t in ticks])
            world.commit(kind, "acme/infra", after(30), dev, True)
        elif kind == "same_name_other_owner":  # worked on other/infra, then committed by hand to acme/infra
            world.session(dev, [(t, world.folder(dev, "infra", other_infra)) for t in ticks])
            world.commit(kind, "acme/infra", after(15), dev, False)
        elif kind == "utc_offset":  # 20 minutes after the session, written in UTC+2
            local = after(20).astimezone(dt.timezone(dt.timedelta(hours=2)))
            world.session(dev, [(t, clone) for t in ticks])
            world.commit(kind, "api-server", local.strftime("%Y-%m-%dT%H:%M:%S+0200"), dev, True)
        elif kind == "utc_offset_late":  # "30 minutes after" on a wall clock in UTC-5: 5.5 hours after in UTC
            wall = after(30).replace(tzinfo=None)
            world.session(dev, [(t, clone) for t in ticks])
            world.commit(kind, "api-server", wall.strftime("%Y-%m-%dT%H:%M:%S-0500"), dev, False)
        elif kind == "rebased":  # authored 20 minutes after the session, rebased two days later
            world.session(dev, [(t, clone) for t in ticks])
            world.commit(kind, "api-server", after(20), dev, True, committer=after(20) + dt.timedelta(days=2))
        elif kind == "cherry_pick":  # the same change on main and, cherry-picked a day later, on a release branch
            world.session(dev, [(t, clone) for t in ticks])
            sha = world.commit(kind, "api-server", after(20), dev, True)
            repo = world.followed["api-server"]
            git(repo, "checkout", "-q", "-B", f"release-{n}", f"{sha}~1" if git(repo, "rev-list", "--count", sha) != "1" else sha)
            git(repo, "cherry-pick", "-x", "--allow-empty", "--keep-redundant-commits", sha, author=after(20),
                committer=after(20) + dt.timedelta(days=1), email=f"{dev}@example.com")
            picked = git(repo, "rev-parse", "HEAD")
            git(repo, "checkout", "-q", "main")
            if picked != sha:
                world.truth[picked], world.kinds[picked] = True, kind
        elif kind == "squash":  # feature work squashed into main days later; GitHub keeps the co-author trailer
            repo = world.followed["api-server"]
            world.session(dev, [(t, clone) for t in ticks])
            git(repo, "checkout", "-q", "-b", f"feature-{n}")
            commit(repo, after(10), f"{dev}@example.com", f"wip {n}\n")
            git(repo, "checkout", "-q", "main")
            git(repo, "merge", "--squash", "-q", f"feature-{n}")
            git(repo, "branch", "-q", "-D", f"feature-{n}")
            world.commit(kind, "api-server", after(60 * 72), dev, True, "\nCo-authored-by: Claude <noreply@anthropic.com>\n")
        elif kind == "two_devs":  # dev in a session; other_dev commits by hand in the same repository, same hour
            world.session(dev, [(t, clone) for t in ticks])
            world.commit(kind, "api-server", after(10), other_dev, False)
            world.commit(kind, "api-server", after(30), dev, True)
        elif kind == "unresolved_subfolder":  # a folder no git saw (not on this disk): the name fallback
            gone = f"/nonexistent/{dev}/src/api-server/packages/web"
            world.session(dev, [(t, gone) for t in ticks])
            world.commit(kind, "api-server", after(15), dev, True)
        elif kind == "cwd_change":  # other/infra, then api-server: nothing of acme/infra
            world.session(dev, [(ticks[0], world.folder(dev, "infra", other_infra)), (ticks[1], world.folder(dev, "infra", other_infra)),
                                (ticks[2], clone)])
            world.commit(kind, "acme/infra", after(20), dev, False)
        elif kind == "git_ai_note":  # Git AI's authorship log on the commit (refs/notes/ai), no trailer, no session
            sha = world.commit(kind, "acme/infra", t0, dev, True)
            note = ("f-x.txt\n  s_0a1b2c3d4e5f60::t_99 1-3\n  h_1a2b3c 4\n---\n"
                    + json.dumps({"schema_version": "authorship/3.0.0", "base_commit_sha": sha, "prompts": {},
                                  "sessions": {"s_0a1b2c3d4e5f60": {"agent_id": {"tool": "claude", "id": "x", "model": "claude-sonnet-4-5"}}}}))
            git(world.followed["acme/infra"], "notes", "--ref=ai", "add", "-f", "-F", "-", sha, stdin=note)
        elif kind == "agent_trace_note":  # an Agent Trace record (refs/notes/agent-trace)
            sha = world.commit(kind, "api-server", t0, dev, True)
            record = {"version": "0.1.0", "id": f"{n}", "timestamp": t0.isoformat(), "vcs": {"type": "git", "revision": sha},
                      "tool": {"name": "cursor"}, "files": [{"path": "f.txt", "conversations": [
                          {"contributor": {"type": "ai", "model_id": "openai/gpt-5-codex"}, "ranges": [{"start_line": 1, "end_line": 5}]},
                          {"contributor": {"type": "human"}, "ranges": [{"start_line": 6, "end_line": 9}]}]}]}
            git(world.followed["api-server"], "notes", "--ref=agent-trace", "add", "-f", "-F", "-", sha, stdin=json.dumps(record))
        elif kind == "commit_metric":  # no transcript here: Claude Code's telemetry counted the commit
            world.metric(dev, after(30))
            world.commit(kind, "api-server", after(30), dev, True)
        elif kind == "trailer":
            world.commit(kind, "acme/infra", t0, dev, True, "\nCo-Authored-By: Claude <noreply@anthropic.com>\n")
        elif kind == "manual":
            world.commit(kind, "acme/infra" if n % 2 else "api-server", t0, dev, False)
        elif kind == "late":
            world.session(dev, [(t, clone) for t in ticks])
            world.commit(kind, "api-server", after(240), dev, False)
        elif kind == "no_commit":
            world.session(dev, [(t, clone / "packages" / "api") for t in ticks])
        elif kind == "noise_fn":  # agent work committed after the window: no rule sees it
            world.session(dev, [(t, clone) for t in ticks])
            world.commit(kind, "api-server", after(150), dev, True)
        else:  # noise_fp: manual work committed right after an unrelated session on the same repository
            world.session(dev, [(t, clone) for t in ticks])
            world.commit(kind, "api-server", after(20), dev, False)
    return world


def test_hard_cases_precision_and_recall(project_env, tmp_path):
    world = build(tmp_path / "src", project_env["landing"])
    Path(os.environ["ANALYTICS_CONFIG"]).write_text(yaml.safe_dump({
        "git": {"repos": [str(p) for p in world.followed.values()], "session_window_minutes": 120},
        "developers": [{"name": d, "team": "core", "machines": [f"{d}-laptop"], "emails": [f"{d}@example.com"],
                        "accounts": [f"acct-{d}"]} for d in DEVS],
    }))
    with dg.instance_for_test(temp_dir=str(project_env["dagster_home"])) as instance:
        result = dg.materialize([*defs.assets, *defs.asset_checks], instance=instance, resources=defs.resources,
                                selection=dg.AssetSelection.all() - dg.AssetSelection.assets(copilot_usage), tags=DEMO_DAYS)
        assert result.success
        folders = result.asset_materializations_for_node("raw__repo_folders")[0].metadata
    con = duckdb.connect(str(project_env["duckdb"]), read_only=True)
    try:
        rows = {r[0]: r[1:] for r in con.execute(
            "SELECT sha, is_agent_assisted, evidence, session_match, repo, repo_id, agent, ai_note_lines FROM marts.fct_git_commits").fetchall()}
        # The folder-name rule alone, as it was: a request's project (last folder of cwd) = the commit's folder name.
        old = dict(con.execute("""
            SELECT c.sha, c.agent_trailer IS NOT NULL OR EXISTS (
                SELECT 1 FROM marts.fct_agent_requests r
                WHERE r.developer_key = c.developer_key AND lower(r.project) = lower(regexp_replace(c.repo, '^.*/', ''))
                  AND r.event_at <= c.authored_at AND r.event_at >= c.authored_at - INTERVAL 120 MINUTE AND NOT c.is_merge)
            FROM marts.fct_git_commits c""").fetchall())
        rules = dict(con.execute("SELECT repository_rule, count(*) FROM marts.fct_agent_requests GROUP BY 1").fetchall())
    finally:
        con.close()
    assert set(rows) == set(world.truth)

    def score(predicted: dict[str, bool]) -> tuple[float, float, list[str]]:
        tp = sum(1 for s, p in predicted.items() if p and world.truth[s])
        fp = sum(1 for s, p in predicted.items() if p and not world.truth[s])
        fn = sum(1 for s, p in predicted.items() if not p and world.truth[s])
        wrong = sorted(f"{world.kinds[s]}:{'fp' if p else 'fn'}" for s, p in predicted.items() if p != world.truth[s])
        return tp / (tp + fp), tp / (tp + fn), wrong

    precision, recall, wrong = score({s: r[0] for s, r in rows.items()})
    old_precision, old_recall, _ = score(old)
    print(f"\nhard cases, {len(world.truth)} commits: precision {precision:.3f}, recall {recall:.3f} "
          f"(folder-name rule alone: precision {old_precision:.3f}, recall {old_recall:.3f}); wrong: {wrong}")
    assert precision >= 0.95 and recall >= 0.9
    # Only the noise episodes (no rule can get them right) are wrong.
    assert set(wrong) <= {"noise_fn:fn", "noise_fp:fp"}, wrong
    assert old_recall < recall and old_precision < precision
    # The repository identity is what linked them: commits carry their clone's remote, requests their folder's.
    assert {r[4] for r in rows.values()} == {"github.com/acme/api-server", "github.com/acme/infra", "github.com/other/infra"}
    assert {r[2] for s, r in rows.items() if world.kinds[s] in ("subfolder", "renamed_clone", "same_name_right_owner")} == {"repository"}
    assert {r[2] for s, r in rows.items() if world.kinds[s] == "unresolved_subfolder"} == {"path"}
    notes = {world.kinds[s]: (r[1], r[5], r[6]) for s, r in rows.items() if world.kinds[s] in ("git_ai_note", "agent_trace_note", "commit_metric")}
    assert notes == {"git_ai_note": ("ai_note", "claude_code", 3), "agent_trace_note": ("ai_note", "codex", 5),
                     "commit_metric": ("commit_metric", "claude_code", None)}, notes
    assert rules.get("git_remote", 0) > 0 and rules.get("folder_name", 0) == EPISODES["unresolved_subfolder"] * 3
    assert folders["folders_unresolved"].value > 0 and folders["folders_in_repositories"].value > 0
