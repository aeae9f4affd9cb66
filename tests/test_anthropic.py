"""Anthropic's Claude Code usage report through the real client and a real Dagster run, against a server on 127.0.0.1
that answers with the report's documented shape (the demo's generator writes it): a 30-day backfill is one run, one
request per day and page, with a 429 and Retry-After, and days the server refuses as too old; a re-run of a day
changes nothing; a wrong key gets a 401 explained; bad records are quarantined with reasons."""

from __future__ import annotations

import datetime as dt
import functools
import json
import random
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from analytics_assets import vendor_api
from analytics_assets.anthropic import responses
from analytics_assets.anthropic.assets import USAGE_KEY, anthropic_claude_code
from analytics_assets.anthropic.client import REPORT, AnthropicAccessError, AnthropicClient
from analytics_assets.demo.anthropic_files import ClaudeLedger, write_anthropic
from analytics_assets.demo.world import MODEL_PRICES, developers
from analytics_assets.definitions import defs
from analytics_assets.github_api import RetryPolicy

from .conftest import days_tags
from .json_api import JsonApi, Request

END = dt.date(2026, 11, 20)
KEY = "sk-ant-admin01-test-0123456789"
PAGE = 3  # the server's page size, whatever the client asks: pagination is exercised


class ReportServer(JsonApi):
    """Serves a folder of report pages as the Admin API would: a day's records re-paginated by `PAGE` behind opaque
    cursors, one 429 before the first answer, 400 for a day before `oldest`, 401 without the key and version."""

    def __init__(self, folder: Path, oldest: dt.date):
        self.folder, self.oldest, self.throttled = folder, oldest, False
        super().__init__(self.answer)

    def answer(self, request: Request):
        error = lambda status, kind, message: (status, {"type": "error", "error": {"type": kind, "message": message}}, {})  # noqa: E731
        headers = {k.lower(): v for k, v in request.headers.items()}
        if headers.get("x-api-key") != KEY or headers.get("anthropic-version") != "2023-06-01":
            return error(401, "authentication_error", "invalid x-api-key")
        if request.path != REPORT:
            return error(404, "not_found_error", "no such path")
        if not self.throttled:
            self.throttled = True
            return 429, {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}, {"Retry-After": "3"}
        day = dt.date.fromisoformat(request.query["starting_at"])
        if day < self.oldest:
            return error(400, "invalid_request_error", "starting_at is outside the retention window")
        records = self.records(day)
        offset = int(request.query.get("page", "c0")[1:])
        more = offset + PAGE < len(records)
        return 200, {"data": records[offset:offset + PAGE], "has_more": more, "next_page": f"c{offset + PAGE}" if more else None}, {}

    def records(self, day: dt.date) -> list:
        return [r for p in sorted((self.folder / "claude_code").glob(f"{day}*.json")) for r in json.loads(p.read_text())["data"]]


def _ledger(days: list[dt.date], seed: int = 5) -> ClaudeLedger:
    rng, ledger = random.Random(seed), ClaudeLedger()
    for dev in developers(6, seed):
        for day in days:
            for _ in range(rng.randint(0, 3)):
                moment = dt.datetime.combine(day, dt.time(9), dt.timezone.utc) + dt.timedelta(minutes=rng.randint(0, 600))
                ledger.session(dev.email, moment)
                ledger.request(dev.email, moment, rng.choice(sorted(MODEL_PRICES)), *(rng.randint(1, 50_000) for _ in range(4)))
    return ledger


def _query(path, sql):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_a_30_day_backfill_is_one_run_and_a_rerun_changes_nothing(project_env, tmp_path, monkeypatch):
    served = tmp_path / "served"
    start = END - dt.timedelta(days=29)
    oldest = start + dt.timedelta(days=4)  # the server keeps 26 of the 30 days: 4 are refused, reported, not fatal
    days = [start + dt.timedelta(days=i) for i in range(30)]
    write_anthropic(served, developers(6, 5), days, seed=5, ledger=_ledger(days))
    monkeypatch.setenv(KEY_ENV := "ANTHROPIC_TEST_ADMIN_KEY", KEY)
    waits: list[float] = []  # the client's waits, recorded instead of slept (the fault point: its retry policy)
    monkeypatch.setattr(vendor_api, "RetryPolicy", functools.partial(RetryPolicy, sleep=waits.append))
    with ReportServer(served, oldest) as server:
        (project_env["landing"].parent / "analytics.yaml").write_text(yaml.safe_dump({
            "transcripts": {"include_home": False},
            "anthropic": {"source": "api", "base_url": server.url, "admin_key_env": KEY_ENV}}))
        expected = {d: server.records(d) for d in days if d >= oldest}
        with dg.instance_for_test(temp_dir=str(project_env["dagster_home"])) as instance:
            run = lambda tags: dg.materialize([*defs.assets, *defs.asset_checks], instance=instance,  # noqa: E731
                                              resources=defs.resources, selection=dg.AssetSelection.assets(anthropic_claude_code),
                                              tags=tags)
            result = run(days_tags(start, END))
            assert result.success and len(instance.get_runs()) == 1
            meta = result.asset_materializations_for_node("anthropic_claude_code")[0].metadata
            assert meta["retries"].value == 1 and waits == [3.0]
            assert meta["days_refused"].value == [str(start + dt.timedelta(days=i)) for i in range(4)]
            assert all(c.passed for c in result.get_asset_check_evaluations())
            assert len(instance.get_materialized_partitions(USAGE_KEY)) == 30
            pages = [c.query for c in server.calls if "page" in c.query]
            assert pages and all(int(c.query["limit"]) == 1000 for c in server.calls)  # cursors followed, the largest page asked

            db = project_env["duckdb"]
            want_tokens = {str(d): sum(sum(m["tokens"].values()) for r in rs for m in r["model_breakdown"]) for d, rs in expected.items()}
            want_cents = {str(d): sum(m["estimated_cost"]["amount"] for r in rs for m in r["model_breakdown"]) for d, rs in expected.items()}
            want_sessions = {str(d): sum(r["core_metrics"]["num_sessions"] for r in rs) for d, rs in expected.items()}
            got = {str(d): (t, c) for d, t, c in _query(db, "SELECT usage_day, sum(input_tokens + output_tokens + cache_read_tokens "
                                                            "+ cache_creation_tokens), sum(estimated_cost_minor) "
                                                            "FROM raw.anthropic_claude_code_models GROUP BY 1")}
            assert {d: t for d, (t, _) in got.items()} == want_tokens
            assert all(got[d][1] == pytest.approx(want_cents[d], rel=1e-12) for d in want_cents)
            assert dict((str(d), n) for d, n in _query(db, "SELECT usage_day, sum(sessions) FROM raw.anthropic_claude_code_usage "
                                                           "GROUP BY 1")) == want_sessions
            # emails are hashed; API keys keep their name (not a person's)
            assert _query(db, "SELECT count(*) FROM raw.anthropic_claude_code_usage WHERE user_email LIKE '%@%'")[0][0] == 0
            assert _query(db, "SELECT DISTINCT api_key_name FROM raw.anthropic_claude_code_usage WHERE actor_type = 'api_key'") == [("ci-review-bot",)]

            before = _query(db, "SELECT count(*), sum(input_tokens), sum(estimated_cost_minor) FROM raw.anthropic_claude_code_models")[0]
            day = END - dt.timedelta(days=5)
            again = run(days_tags(day, day))
            assert again.success
            assert _query(db, "SELECT count(*), sum(input_tokens), sum(estimated_cost_minor) FROM raw.anthropic_claude_code_models")[0] == pytest.approx(before)
            replaced = again.asset_materializations_for_node("anthropic_claude_code")[0].metadata["rows_replaced"].value
            assert replaced == len(expected[day])


def test_a_wrong_key_is_answered_with_what_to_grant_and_never_shown(tmp_path, monkeypatch):
    served = tmp_path / "served"
    write_anthropic(served, developers(3, 1), [END], seed=1, ledger=_ledger([END], 1))
    monkeypatch.setenv("ANTHROPIC_ADMIN_KEY", "sk-ant-api03-not-an-admin-key")
    with ReportServer(served, END) as server:
        server.throttled = True
        client = AnthropicClient(base_url=server.url, policy=RetryPolicy(sleep=lambda s: None))
        with pytest.raises(AnthropicAccessError) as caught:
            client.claude_code_day(END)
    message = str(caught.value)
    assert "401" in message and "Admin API key" in message and "ANTHROPIC_ADMIN_KEY" in message and "invalid x-api-key" in message
    assert "sk-ant-api03" not in message
    monkeypatch.delenv("ANTHROPIC_ADMIN_KEY")
    with pytest.raises(AnthropicAccessError, match="ANTHROPIC_ADMIN_KEY is not set"):
        AnthropicClient(base_url="http://127.0.0.1:9")


def test_bad_records_are_quarantined_with_reasons_and_nothing_is_lost():
    model = {"model": "claude-sonnet-4-5-20250929", "tokens": {"input": 10, "output": 5, "cache_read": 100, "cache_creation": 20},
             "estimated_cost": {"amount": 12.5, "currency": "USD"}}
    ok = {"date": "2026-11-20", "actor": {"type": "user_actor", "email_address": "Ada@Example.com"}, "customer_type": "api",
          "terminal_type": "vscode", "core_metrics": {"num_sessions": 2, "lines_of_code": {"added": 7, "removed": 1},
                                                      "commits_by_claude_code": 1, "pull_requests_by_claude_code": 0},
          "tool_actions": {"edit_tool": {"accepted": 3, "rejected": 1}}, "model_breakdown": [model, {**model, "model": "claude-haiku-4-5"}]}
    body = {"data": [
        ok,
        {**ok, "actor": {"type": "api_actor", "api_key_name": "ci<script>"}},
        {**ok, "actor": {"type": "user_actor"}},
        {**ok, "actor": {"type": "robot"}},
        {**ok, "core_metrics": {**ok["core_metrics"], "num_sessions": "2"}},
        {**ok, "model_breakdown": [{**model, "tokens": {**model["tokens"], "output": -5}}]},
        {**ok, "date": "yesterday"},
        "not a record",
    ], "has_more": False, "next_page": None}
    usage, models, bad, seen = responses.claude_code_usage(body, "2026-11-20.json")
    assert seen == 8 and usage.height + bad.height == seen
    assert usage["user_email"].to_list() == ["ada@example.com", None] and usage["api_key_name"].to_list() == [None, "ci<script>"]
    assert usage["edit_tool_accepted"].to_list() == [3, 3] and usage["write_tool_accepted"].to_list() == [0, 0]
    assert models.height == 4 and models["estimated_cost_minor"].sum() == 50.0  # a quarantined record takes its models with it
    assert bad["reason"].to_list() == ["email_address is missing", "actor.type is 'robot', not user_actor or api_actor",
                                       "num_sessions is str '2', not a number", "output is negative (-5)",
                                       "date is not a date ('yesterday')", "the record is not an object"]
    usage, models, bad, seen = responses.claude_code_usage({"type": "error"}, "page.json")
    assert (usage.height, models.height, bad.height, seen) == (0, 0, 1, 1) and bad["reason"][0] == "the response has no data list"
