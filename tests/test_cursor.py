"""Cursor's Admin API through the real client and a real Dagster run, against a server on 127.0.0.1 that answers
with Cursor's documented response shapes (the demo's generator writes them): a 90-day backfill is one run split
into the API's windows, with pagination, a 429 with Retry-After and a window the server refuses as too old; a
re-run of a day changes nothing; a wrong key gets a 401 explained; bad records are quarantined with reasons."""

from __future__ import annotations

import datetime as dt
import functools
import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from analytics_assets import vendor_api
from analytics_assets.cursor import responses
from analytics_assets.cursor.assets import EVENTS_KEY, cursor_usage
from analytics_assets.cursor.client import CursorAccessError, CursorClient
from analytics_assets.demo.cursor_files import write_cursor
from analytics_assets.demo.world import developers
from analytics_assets.definitions import defs
from analytics_assets.github_api import RetryPolicy

from .conftest import days_tags
from .json_api import JsonApi, Request

END = dt.date(2026, 11, 20)
KEY = "key_test_0123456789"
PAGE = 40  # the server's page size, whatever the client asks: pagination is exercised


class CursorServer(JsonApi):
    """Serves the response files of a folder as the Admin API would: windows merged from the day files, events
    paginated, one 429 before the first events answer, 400 for a window starting before `oldest`."""

    def __init__(self, folder: Path, oldest: dt.date):
        self.folder, self.oldest, self.throttled = folder, oldest, False
        super().__init__(self.answer)

    def answer(self, request: Request):
        import base64

        if request.headers.get("Authorization") != "Basic " + base64.b64encode(f"{KEY}:".encode()).decode():
            return 401, {"error": "Invalid API key"}, {}
        if request.method == "GET":
            return 200, self.latest("members"), {}
        body = request.body
        if request.path == "/teams/spend":
            return 200, self.latest("spend"), {}
        start = dt.datetime.fromtimestamp(body["startDate"] / 1000, dt.timezone.utc).date()
        end = dt.datetime.fromtimestamp(body["endDate"] / 1000, dt.timezone.utc).date()
        if (end - start).days >= 30:
            return 400, {"error": "Date range cannot exceed 30 days"}, {}
        if start < self.oldest:
            return 400, {"error": "Date range is outside the data retention window"}, {}
        if request.path == "/teams/daily-usage-data":
            return 200, {"data": [r for d in self.days(start, end) for r in d.get("data", [])]}, {}
        if not self.throttled:
            self.throttled = True
            return 429, {"error": "rate limited"}, {"Retry-After": "2"}
        events = [e for d in self.days(start, end, "usage-events") for e in d.get("usageEvents", [])]
        page = body.get("page", 1)
        return 200, {"totalUsageEventsCount": len(events), "usageEvents": events[(page - 1) * PAGE: page * PAGE],
                     "pagination": {"currentPage": page, "pageSize": PAGE, "hasNextPage": page * PAGE < len(events)}}, {}

    def days(self, start, end, folder="daily-usage"):
        out, day = [], start
        while day <= end:
            path = self.folder / folder / f"{day}.json"
            if path.exists():
                out.append(json.loads(path.read_text()))
            day += dt.timedelta(days=1)
        return out

    def latest(self, folder):
        return json.loads(sorted((self.folder / folder).glob("*.json"))[-1].read_text())


def _query(path, sql):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _served(folder: Path, oldest: dt.date):
    """What the server holds from `oldest` on: lines accepted and Cursor's cents per day, event count."""
    lines, cents, events = {}, {}, 0
    for path in sorted((folder / "daily-usage").glob("*.json")):
        if dt.date.fromisoformat(path.stem) >= oldest:
            lines[path.stem] = sum(r["acceptedLinesAdded"] for r in json.loads(path.read_text())["data"])
    for path in sorted((folder / "usage-events").glob("*.json")):
        if dt.date.fromisoformat(path.stem) >= oldest:
            items = json.loads(path.read_text())["usageEvents"]
            events += len(items)
            if items:
                cents[path.stem] = sum(e["tokenUsage"]["totalCents"] for e in items)
    return lines, cents, events


def test_a_90_day_backfill_is_one_run_and_a_rerun_changes_nothing(project_env, tmp_path, monkeypatch):
    served = tmp_path / "served"
    start = END - dt.timedelta(days=89)
    oldest = start + dt.timedelta(days=10)  # the server keeps 80 of the 90 days: the first window is refused
    write_cursor(served, developers(6, 3), [start + dt.timedelta(days=i) for i in range(90)], seed=3, scale=0.5)
    (project_env["landing"].parent / "analytics.yaml").write_text(yaml.safe_dump({"transcripts": {"include_home": False}}))
    monkeypatch.setenv(KEY_ENV := "CURSOR_TEST_KEY", KEY)
    waits: list[float] = []  # the client's waits, recorded instead of slept (the fault point: its retry policy)
    monkeypatch.setattr(vendor_api, "RetryPolicy", functools.partial(RetryPolicy, sleep=waits.append))
    with CursorServer(served, oldest) as server:
        (project_env["landing"].parent / "analytics.yaml").write_text(yaml.safe_dump({
            "transcripts": {"include_home": False},
            "cursor": {"source": "api", "base_url": server.url, "key_env": KEY_ENV}}))
        with dg.instance_for_test(temp_dir=str(project_env["dagster_home"])) as instance:
            run = lambda tags: dg.materialize([*defs.assets, *defs.asset_checks], instance=instance,  # noqa: E731
                                              resources=defs.resources, selection=dg.AssetSelection.assets(cursor_usage), tags=tags)
            result = run(days_tags(start, END))
            assert result.success and len(instance.get_runs()) == 1
            meta = result.asset_materializations_for_node("cursor_usage")[0].metadata
            assert meta["api_windows"].value == 3 and meta["retries"].value == 1 and waits == [2.0]
            assert meta["days_refused"].value == [f"{start}..{start + dt.timedelta(days=29)}"]
            assert all(c.passed for c in result.get_asset_check_evaluations())
            assert len(instance.get_materialized_partitions(EVENTS_KEY)) == 90  # the refused days are done: empty
            pages = [c for c in server.calls if c.path == "/teams/filtered-usage-events"]
            assert max(c.body["page"] for c in pages) > 1  # pagination followed
            assert all((dt.datetime.fromtimestamp(c.body["endDate"] / 1000) - dt.datetime.fromtimestamp(c.body["startDate"] / 1000)).days < 30
                       for c in server.calls if c.body and "startDate" in c.body)

            db = project_env["duckdb"]
            # the refused window is the whole first one (30 days: it starts before what the server keeps)
            lines, cents, events = _served(served, start + dt.timedelta(days=30))
            got_lines = dict((str(d), n) for d, n in _query(db, "SELECT usage_day, sum(accepted_lines_added) FROM raw.cursor_daily_usage GROUP BY 1"))
            got_cents = dict((str(d), c) for d, c in _query(db, "SELECT usage_day, sum(total_cents) FROM raw.cursor_usage_events GROUP BY 1"))
            assert got_lines == lines and got_cents.keys() == cents.keys()
            assert all(got_cents[d] == pytest.approx(cents[d], rel=1e-12) for d in cents)
            before = _query(db, "SELECT count(*), sum(input_tokens), sum(total_cents) FROM raw.cursor_usage_events")[0]
            assert before[0] == events

            day = END - dt.timedelta(days=5)
            again = run(days_tags(day, day))
            assert again.success
            assert _query(db, "SELECT count(*), sum(input_tokens), sum(total_cents) FROM raw.cursor_usage_events")[0] == pytest.approx(before)
            replaced = again.asset_materializations_for_node("cursor_usage")[0].metadata["rows_replaced"].value
            assert replaced == sum(1 for e in json.loads((served / "usage-events" / f"{day}.json").read_text())["usageEvents"])


def test_a_wrong_key_is_answered_with_what_to_grant_and_never_shown(tmp_path, monkeypatch):
    served = tmp_path / "served"
    write_cursor(served, developers(3, 1), [END], seed=1, scale=1.0)
    monkeypatch.setenv("CURSOR_API_KEY", "key_wrong_secret_value")
    with CursorServer(served, END) as server:
        client = CursorClient(base_url=server.url, policy=RetryPolicy(sleep=lambda s: None))
        with pytest.raises(CursorAccessError) as caught:
            client.members()
    message = str(caught.value)
    assert "401" in message and "Admin API key" in message and "CURSOR_API_KEY" in message
    assert "key_wrong_secret_value" not in message
    monkeypatch.delenv("CURSOR_API_KEY")
    with pytest.raises(CursorAccessError, match="CURSOR_API_KEY is not set"):
        CursorClient(base_url="http://127.0.0.1:9")


def test_bad_records_are_quarantined_with_reasons_and_nothing_is_lost():
    ok = {"date": 1763596800000, "email": "Ada@Example.com", "isActive": True, **{k: 1 for k in responses.DAILY_COUNTS}}
    body = {"data": [ok, {**ok, "email": None}, {**ok, "totalAccepts": "7"}, {**ok, "acceptedLinesAdded": -3}, "not a record"]}
    rows, bad, seen = responses.daily_usage(body, "daily.json")
    assert seen == 5 and rows.height + bad.height == seen
    assert rows["user_email"].to_list() == ["ada@example.com"]
    assert bad["reason"].to_list() == ["email is missing", "totalAccepts is str '7', not a number",
                                       "acceptedLinesAdded is negative (-3)", "the record is not an object"]
    usage = {"inputTokens": 10, "outputTokens": 5, "cacheWriteTokens": 0, "cacheReadTokens": 100, "totalCents": 0.5}
    event = {"timestamp": "1763600000000", "model": "gpt-5", "kind": "Usage-based", "isTokenBasedCall": True,
             "tokenUsage": usage, "userEmail": "ada@example.com"}
    body = {"usageEvents": [event, {**event, "model": None}, {**event, "tokenUsage": {**usage, "outputTokens": "5"}},
                            {**event, "timestamp": "yesterday"}, {**event, "isTokenBasedCall": False, "tokenUsage": None}]}
    rows, bad, seen = responses.usage_events(body, "events.json")
    assert seen == 5 and rows.height == 2 and bad.height == 3
    assert rows["is_token_based"].to_list() == [True, False] and rows["input_tokens"].to_list() == [10, None]
    assert [r.split(" ")[0] for r in bad["reason"].to_list()] == ["model", "outputTokens", "timestamp"]
    rows, bad, seen = responses.usage_events({"error": "gateway"}, "events.json")
    assert (rows.height, bad.height, seen) == (0, 1, 1) and bad["reason"][0] == "the response has no usageEvents list"
