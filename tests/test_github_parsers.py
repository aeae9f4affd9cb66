"""Bad input for the Copilot report and git log parsers: duplicates, huge lines, wrong fields —
every record is loaded, dropped as a duplicate, or quarantined with a reason."""

from __future__ import annotations

import datetime as dt
import json

import duckdb

from analytics_assets.copilot.fetch import Target
from analytics_assets.copilot.load import CopilotStats, store
from analytics_assets.copilot.reports import parse_report
from analytics_assets.git import log

DAY = dt.date(2026, 11, 2)
TARGET = Target("organization", "acme")


def _user(login: str, **extra) -> dict:
    return {"user_id": 7, "user_login": login, "day": DAY.isoformat(), "code_generation_activity_count": 4,
            "code_acceptance_activity_count": 2, "loc_added_sum": 10, "used_chat": True, **extra}


def test_copilot_duplicates_huge_lines_and_counts_add_up(tmp_path):
    lines = [json.dumps(_user("Ada")), json.dumps(_user("Ada")),                       # the same user-day twice
             json.dumps(_user("Bob", user_id=8, note="x" * 5000)),                    # big but allowed
             json.dumps(_user("Cy", user_id=9, note="y" * 300_000)),                  # over the (test) bound
             json.dumps(_user("Di", user_id=10, used_chat="yes")),                    # wrong type
             json.dumps(_user("Ed", user_id=11, loc_added_sum=-5))]                   # contract: counts are >= 0
    parsed = parse_report("\n".join(lines), "users.ndjson", TARGET.scope, TARGET.name, "users", max_line_bytes=100_000)
    assert parsed.quarantine["reason"].to_list()[0].startswith("oversize line")
    stats = CopilotStats()
    stats.records["users"] = parsed.records_in
    stats.quarantined["users"] = parsed.quarantine.height
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    frames = {"users": parsed.users, "quarantine": parsed.quarantine}
    store(con, frames, [DAY], [TARGET], b"salt", keep_names=True, stats=stats)
    assert stats.records["users"] == len(lines)
    assert stats.loaded["users"] + stats.quarantined["users"] + stats.duplicates["users"] == len(lines)
    assert (stats.loaded["users"], stats.duplicates["users"], stats.quarantined["users"]) == (2, 1, 3)
    assert con.execute("SELECT list(user_login ORDER BY user_login) FROM raw.copilot_user_usage").fetchone()[0] == ["ada", "bob"]
    reasons = [r[0] for r in con.execute("SELECT reason FROM raw.quarantine ORDER BY reason").fetchall()]
    assert any("used_chat='yes' is not bool" in r for r in reasons)
    assert any(r.startswith("loc_added_sum") and "greater_than_or_equal_to" in r for r in reasons)
    # The same day stored again replaces it.
    store(con, frames, [DAY], [TARGET], b"salt", keep_names=True, stats=CopilotStats())
    assert con.execute("SELECT count(*) FROM raw.copilot_user_usage").fetchone()[0] == 2


def test_copilot_missing_and_string_numbers_in_org_report():
    day = {"day": DAY.isoformat(), "daily_active_users": "12", "loc_added_sum": 40.0,
           "totals_by_ide": [{"ide": "vscode", "loc_added_sum": "40"}, "garbage"]}
    parsed = parse_report(json.dumps({"day_totals": [day, {"daily_active_users": 3}]}), "org.json", "organization", "acme", "usage")
    total = parsed.usage.filter(breakdown="total").row(0, named=True)
    assert total["daily_active_users"] == 12 and total["loc_added_sum"] == 40
    assert "totals_by_ide holds a non-object" in total["attr_errors"]  # the whole day goes to quarantine at load
    assert parsed.quarantine["reason"].to_list() == ["missing day"]


def test_git_log_records_that_do_not_fit_are_quarantined():
    good = log.RS + log.US.join(["a" * 40, "", "dev", "d@x.org", "2026-11-02T10:00:00+01:00", "d@x.org",
                                 "2026-11-02T10:05:00+01:00", "refs/heads/main", "Add x" + "!" * 100_000,
                                 "Co-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>\nClaude-Session: abc\n"]) \
        + log.US + "\n3\t1\tx.py\n-\t-\timg.png\n"
    short = log.RS + log.US.join(["b" * 40, "", "dev"])
    bad_date = good.replace("a" * 40, "c" * 40).replace("2026-11-02T10:00:00+01:00", "yesterday")
    rows, bad = log.parse_log(good + short + bad_date, "repo", "/src/repo")
    assert bad["reason"].to_list() == ["git log record with 3 fields (expected 11)"]
    first = rows.row(0, named=True)
    assert (first["lines_added"], first["lines_deleted"], first["files_changed"], first["binary_files"]) == (3, 1, 2, 1)
    assert first["authored_at"] == dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone.utc)
    assert first["agent_trailer"] == "copilot" and first["claude_session_id"] == "abc"  # the first trailer naming an agent wins
    assert json.loads(first["co_authors"]) == ["Copilot <175728472+Copilot@users.noreply.github.com>"]
    assert rows.row(1, named=True)["attr_errors"] == "authored_at='yesterday' is not a timestamp"
