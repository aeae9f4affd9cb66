"""Copilot through Dagster: a 30-day backfill with the `dagster` CLI (one run, 30 partitions), a
re-run of one day that changes no counts, the marts against the report files, and the API mode
against the local GitHub playback server."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import yaml

from analytics_assets.copilot.assets import USAGE_KEY, USERS_KEY, copilot_usage
from analytics_assets.demo import generate
from analytics_assets.definitions import defs

from .conftest import days_tags
from .github_server import GitHubPlayback, Reply

END = dt.date(2026, 11, 20)
DAGSTER = str(Path(sys.executable).parent / "dagster")
SELECTION = 'key:"raw/copilot_usage" or key:"raw/copilot_user_usage"'


def _cli(*args: str) -> None:
    result = subprocess.run([DAGSTER, "asset", "materialize", "-m", "analytics_assets.definitions", "--select", SELECTION, *args],
                            capture_output=True, text=True, env=os.environ.copy(), timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]


def _query(path, sql: str, params=None):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_backfill_30_days_rerun_one_day_and_marts_match_the_reports(project_env):
    landing = project_env["landing"]
    generate(landing, days_count=30, developer_count=5, seed=5, end=END, sources=("copilot",))
    os.environ["ANALYTICS_CONFIG"] = str(landing / "analytics.demo.yaml")  # restored by project_env's monkeypatch
    start = END - dt.timedelta(days=29)
    _cli("--partition-range", f"{start}...{END}")
    with dg.instance_for_test(temp_dir=str(project_env["dagster_home"])) as instance:
        done = instance.get_materialized_partitions(USAGE_KEY)
        assert len(done) == 30 and min(done) == str(start) and max(done) == str(END)
        assert instance.get_materialized_partitions(USERS_KEY) == done
        runs = instance.get_runs()
        assert len(runs) == 1  # single-run backfill policy: one run for the whole range
    counts = lambda: _query(project_env["duckdb"], "SELECT (SELECT count(*) FROM raw.copilot_usage), "  # noqa: E731
                            "(SELECT count(*) FROM raw.copilot_user_usage), (SELECT count(DISTINCT report_day) FROM raw.copilot_usage)")[0]
    before = counts()
    assert before[2] == 30
    _cli("--partition", str(END - dt.timedelta(days=3)))
    assert counts() == before  # the day was replaced, not appended

    # Marts: active users and lines added per day equal the report files' figures.
    with dg.instance_for_test(temp_dir=str(project_env["dagster_home"])) as instance:
        result = dg.materialize([*defs.assets, *defs.asset_checks], instance=instance, resources=defs.resources,
                                selection=dg.AssetSelection.all() - dg.AssetSelection.assets(copilot_usage), tags=days_tags(start, END))
        assert result.success
    reports = landing / "copilot" / "reports" / "demo-org"
    expected = {}
    for path in sorted((reports / "organization-1-day").glob("*.json")):
        [day] = json.loads(path.read_text())["day_totals"]
        expected[day["day"]] = (day["daily_active_users"], day.get("loc_added_sum"))  # absent on idle days: NULL, not 0
    got = {str(d): (u, a) for d, u, a in _query(
        project_env["duckdb"], "SELECT report_day, daily_active_users, lines_added FROM marts.fct_copilot_usage WHERE breakdown = 'total'")}
    assert got == expected
    by_ide = _query(project_env["duckdb"], "SELECT sum(lines_added) FROM marts.fct_copilot_usage WHERE breakdown = 'ide'")[0][0]
    assert by_ide == sum(a or 0 for _, a in expected.values())
    user_lines = sum(json.loads(line)["loc_added_sum"] for p in (reports / "users-1-day").glob("*.ndjson")
                     for line in p.read_text().splitlines())
    [(mart_user_lines, resolved, users)] = _query(
        project_env["duckdb"], "SELECT sum(lines_added), count(developer_key), count(*) FROM marts.fct_copilot_user_daily")
    assert mart_user_lines == user_lines and resolved == users  # every Copilot user resolves to a configured developer
    # Licence utilisation from the seat snapshot: the never-used seat is inactive and costs the seat price.
    seats = json.loads(next((landing / "copilot" / "seats" / "demo-org").glob("*.json")).read_text())["seats"]
    [(assigned, never, inactive, cost)] = _query(project_env["duckdb"], "SELECT sum(seats_assigned), sum(never_used), sum(inactive_28d), "
                                                 "sum(inactive_monthly_cost_usd) FROM marts.fct_license_utilisation")
    snapshot = dt.datetime.fromisoformat(END.isoformat() + "T00:00:00+00:00")
    stale = sum(1 for s in seats if not s["last_activity_at"]
                or dt.datetime.fromisoformat(s["last_activity_at"].replace("Z", "+00:00")) < snapshot - dt.timedelta(days=28))
    assert assigned == len(seats) and never == 1 and inactive == stale and cost == stale * 19.0


def test_api_mode_through_dagster_against_the_playback_server(project_env, shared_fixtures, monkeypatch):
    org = (shared_fixtures / "copilot" / "organization-1-day-report.json").read_text()
    users = json.loads((shared_fixtures / "copilot" / "organization-users-1-day-report.json").read_text())
    day = users["day_totals"][0]["day"]
    with GitHubPlayback() as server:
        base = "/api/v3/orgs/acme/copilot/metrics/reports"
        server.route(f"{base}/organization-1-day?day={day}", Reply(body=json.dumps({"download_links": ["{base}/dl/org"], "report_day": day})))
        server.route(f"{base}/users-1-day?day={day}", Reply(body=json.dumps({"download_links": ["{base}/dl/users"], "report_day": day})))
        server.route("/dl/org", Reply(body=org))
        server.route("/dl/users", Reply(body="\n".join(json.dumps(r) for r in users["day_totals"]) + "\n"))
        Path(os.environ["ANALYTICS_CONFIG"]).write_text(yaml.safe_dump({"copilot": {
            "org": "acme", "source": "api", "base_url": server.url, "token_env": "TEST_COPILOT_TOKEN"}}))
        monkeypatch.setenv("TEST_COPILOT_TOKEN", "ghp_pipeline_test_token_000000000000")
        with dg.instance_for_test(temp_dir=str(project_env["dagster_home"])) as instance:
            result = dg.materialize([*defs.assets, *defs.asset_checks], instance=instance, resources=defs.resources,
                                    selection=dg.AssetSelection.assets(copilot_usage), partition_key=day)
            assert result.success
            for event in result.get_asset_materialization_events():  # the token never reaches metadata
                assert "ghp_" not in str(event.event_specific_data.materialization.metadata)
    expected = [d for d in json.loads(org)["day_totals"] if d["day"] == day]
    [(dau, lines)] = _query(project_env["duckdb"], "SELECT daily_active_users, loc_added_sum FROM raw.copilot_usage WHERE breakdown = 'total'")
    assert (dau, lines) == (expected[0]["daily_active_users"], expected[0]["loc_added_sum"])
    [(n, logins)] = _query(project_env["duckdb"], "SELECT count(*), count(DISTINCT user_login) FROM raw.copilot_user_usage")
    assert n == len(users["day_totals"])
    hashed = _query(project_env["duckdb"], "SELECT user_login FROM raw.copilot_user_usage")
    assert all(len(h) == 32 and h != r["user_login"] for (h,), r in zip(hashed, users["day_totals"]))
