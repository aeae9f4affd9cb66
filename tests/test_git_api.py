"""GitHub repository commits through github3.py against the local playback server: trailers and
stats mapped like local git, incremental by `since`, duplicates dropped by key."""

from __future__ import annotations

import json

import duckdb

from analytics_assets.git.load import ingest_github
from analytics_assets.github_api import GitHubClient, RetryPolicy

from .github_server import GitHubPlayback, Reply

BASE = "/api/v3/repos/acme/widgets/commits"


def _commit(sha: str, when: str, message: str, email: str = "Dev0@Example.com") -> dict:
    person = {"name": "dev0", "email": email, "date": when}
    return {"sha": sha, "parents": [{"sha": "f" * 40}], "commit": {"author": person, "committer": person, "message": message}}


def test_api_commits_incremental_by_since(tmp_path, monkeypatch):
    a, b, c = "a" * 40, "b" * 40, "c" * 40
    first = [_commit(b, "2026-11-02T10:00:00Z", "Add b\n\nCo-Authored-By: Claude <noreply@anthropic.com>"),
             _commit(a, "2026-11-01T09:00:00Z", "Add a")]
    monkeypatch.setenv("T_GH", "ghp_x")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    with GitHubPlayback() as server:
        server.route(f"{BASE}?per_page=100", Reply(body=json.dumps(first)))
        for sha, added in ((a, 3), (b, 5), (c, 7)):
            server.route(f"{BASE}/{sha}", Reply(body=json.dumps({"sha": sha, "stats": {"additions": added, "deletions": 1, "total": added + 1},
                                                                 "files": [{"filename": "x.py"}]})))
        pulls = [{"number": 2, "state": "open", "draft": False, "user": {"login": "Dev0", "type": "User"},
                  "created_at": "2026-11-02T11:00:00Z", "updated_at": "2026-11-02T12:00:00Z", "title": "Secret plans",
                  "head": {"ref": "feature"}, "base": {"ref": "main"}},
                 {"number": 1, "state": "closed", "user": {"login": "copilot-swe-agent[bot]", "type": "Bot"},
                  "created_at": "2026-11-01T10:00:00Z", "updated_at": "2026-11-01T12:00:00Z", "merged_at": "2026-11-01T12:00:00Z",
                  "merge_commit_sha": a, "title": "Fix", "head": {"ref": "copilot/fix"}, "base": {"ref": "main"}}]
        server.route("/api/v3/repos/acme/widgets/pulls", Reply(body=json.dumps(pulls)))
        client = GitHubClient(base_url=server.url, token_env="T_GH", policy=RetryPolicy(sleep=lambda s: None))
        stats = ingest_github(con, client, ["acme/widgets"], b"salt", keep_names=False)
        assert stats.loaded == 2 and stats.quarantined == 0
        # The next run asks only for commits since the newest stored (minus an hour of clock slack).
        server.route("/api/v3/repos/acme/widgets/commits?since=2026-11-02T09%3A00%3A00Z&per_page=100",
                     Reply(body=json.dumps([_commit(c, "2026-11-03T08:00:00Z", "Add c"), first[0]])))
        again = ingest_github(con, client, ["acme/widgets"], b"salt", keep_names=False)
        assert again.loaded == 1 and again.duplicates == 1
        assert stats.pull_requests == 2 and again.pull_requests == 1  # only #2 was updated since the newest stored
        assert any("since=" in p for p in server.paths(BASE))
    rows = con.execute("SELECT sha, lines_added, agent_trailer, author_email, origin FROM raw.git_commits ORDER BY sha").fetchall()
    assert [r[:3] for r in rows] == [(a, 3, None), (b, 5, "claude_code"), (c, 7, None)]
    assert all(r[3] and "@" not in r[3] and r[4] == "github_api" for r in rows)
    assert len({r[3] for r in rows}) == 1  # one author, one (case-insensitive) hash
    pulls = con.execute("SELECT number, state, merged_at IS NOT NULL, author_is_bot, title_length, author_login "
                        "FROM raw.github_pull_requests ORDER BY number").fetchall()
    assert [p[:5] for p in pulls] == [(1, "closed", True, True, 3), (2, "open", False, False, 12)]
    assert len(pulls[1][5]) == 32 and pulls[1][5] != "dev0"  # logins hashed like everywhere else
