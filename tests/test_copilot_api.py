"""github3.py against a real local HTTP server playing back the public Copilot samples: links and
redirects, pagination, permission errors, rate limits, 5xx, expired links, NDJSON; values checked
against the sample files themselves."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from analytics_assets.copilot.fetch import ApiSource, Target
from analytics_assets.copilot.reports import parse_report, parse_seats
from analytics_assets.github_api import GitHubAccessError, GitHubClient, LegacyEndpointError, RetryPolicy, check_not_legacy

from .github_server import GitHubPlayback, Reply

ORG = Target("organization", "acme")
REPORTS = "/api/v3/orgs/acme/copilot/metrics/reports"


@pytest.fixture
def server():
    with GitHubPlayback() as playback:
        yield playback


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def client(server, sleeps, monkeypatch):
    monkeypatch.setenv("TEST_GH_TOKEN", "ghp_testtoken000000000000000000000")
    return GitHubClient(base_url=server.url, token_env="TEST_GH_TOKEN", policy=RetryPolicy(attempts=4, backoff=0.5, sleep=sleeps.append))


def links(*paths: str, day: str = "2026-04-25") -> str:
    return json.dumps({"download_links": [f"{{base}}{p}?sig=secret" for p in paths], "report_day": day})


def test_org_report_through_a_redirected_download_link(server, client, shared_fixtures):
    sample = (shared_fixtures / "copilot" / "organization-1-day-report.json").read_text()
    server.route(f"{REPORTS}/organization-1-day?day=2026-04-25", Reply(body=links("/dl/org-1")))
    server.route("/dl/org-1?sig=secret", Reply(302, headers={"Location": "{base}/blob/org-1.json"}))
    server.route("/blob/org-1.json", Reply(body=sample))
    files = ApiSource(client).report(ORG, "organization-1-day", dt.date(2026, 4, 25))
    assert len(files) == 1 and files[0].label.endswith("/dl/org-1")  # the signature is not kept
    parsed = parse_report(files[0].text, files[0].label, ORG.scope, ORG.name, "usage")
    expected = json.loads(sample)["day_totals"]
    total = parsed.usage.filter(breakdown="total").sort("report_day")
    assert total["daily_active_users"].to_list() == [d["daily_active_users"] for d in expected]
    assert total["loc_added_sum"].to_list() == [d.get("loc_added_sum") for d in expected]
    by_ide = parsed.usage.filter(breakdown="ide")
    assert by_ide["loc_added_sum"].sum() == sum(i["loc_added_sum"] for d in expected for i in d["totals_by_ide"])
    # What the client sent: the token and API version to the API, neither to the download host.
    api_headers = next(h for p, h in server.requests if p.startswith(REPORTS))
    assert api_headers["Authorization"].startswith("token ") and api_headers["X-GitHub-Api-Version"] == "2022-11-28"
    blob_headers = next(h for p, h in server.requests if p.startswith("/blob/"))
    assert "Authorization" not in blob_headers


def test_every_sample_report_parses_with_figures_equal_to_the_file(shared_fixtures):
    for name, kind in [("organization-28-day-report.json", "usage"), ("enterprise-28-day-report.json", "usage"),
                       ("organization-users-1-day-report.json", "users"), ("organization-users-28-day-report.json", "users"),
                       ("enterprise-users-1-day-report.json", "users"), ("enterprise-users-28-day-report.json", "users")]:
        text = (shared_fixtures / "copilot" / name).read_text()
        body = json.loads(text)
        records = body.get("day_totals") or body.get("user_totals")
        parsed = parse_report(text, name, "organization", "acme", kind)
        assert parsed.quarantine.height == 0 and parsed.records_in == len(records), name
        if kind == "usage":
            total = parsed.usage.filter(breakdown="total")
            assert total.height == len(records)
            assert total["daily_active_users"].sum() == sum(r["daily_active_users"] for r in records)
            assert total["loc_added_sum"].sum() == sum(r.get("loc_added_sum", 0) for r in records)
            assert parsed.usage.filter(breakdown="language_model").height == sum(len(r.get("totals_by_language_model", [])) for r in records)
        else:
            assert parsed.users.height == len(records)
            assert parsed.users["code_acceptance_activity_count"].sum() == sum(r["code_acceptance_activity_count"] for r in records)
            assert parsed.users["user_login"].null_count() == 0
            assert parsed.users["attr_errors"].null_count() == parsed.users.height
    window = parse_report((shared_fixtures / "copilot" / "enterprise-users-28-day-report.json").read_text(), "f", "enterprise", "e", "users")
    assert window.users["window_days"].unique().to_list() == [28]


def test_ndjson_users_file_with_bad_lines_loses_nothing(server, client, shared_fixtures):
    records = json.loads((shared_fixtures / "copilot" / "organization-users-1-day-report.json").read_text())["day_totals"]
    lines = [json.dumps(r) for r in records]
    lines.insert(1, lines[0][: len(lines[0]) // 2])                        # truncated
    lines.append(json.dumps({**records[0], "user_login": "numbers", "loc_added_sum": "17"}))  # number as string: fine
    lines.append(json.dumps({**records[0], "user_login": "words", "loc_added_sum": "many"}))  # wrong type: row error
    lines.append(json.dumps({**records[0], "day": None}))                   # missing day
    server.route(f"{REPORTS}/users-1-day?day=2026-04-25", Reply(body=links("/dl/users")))
    server.route("/dl/users?sig=secret", Reply(body="\n".join(lines) + "\n", headers={"Content-Type": "application/x-ndjson"}))
    files = ApiSource(client).report(ORG, "users-1-day", dt.date(2026, 4, 25))
    parsed = parse_report(files[0].text, files[0].label, ORG.scope, ORG.name, "users")
    assert parsed.records_in == len(lines)
    assert parsed.users.height + parsed.quarantine.height == len(lines)
    assert parsed.quarantine["reason"].to_list() == ["truncated line (does not end with '}')", "missing day"]
    users = {r["user_login"]: r for r in parsed.users.iter_rows(named=True)}
    assert users["numbers"]["loc_added_sum"] == 17 and users["numbers"]["attr_errors"] is None
    assert "loc_added_sum='many' is not int" in users["words"]["attr_errors"]


def test_seats_paginate_with_link_headers(server, client, shared_fixtures):
    seats = json.loads((shared_fixtures / "copilot" / "legacy_organization_seats_response_sample.json").read_text())["seats"]
    path = "/api/v3/orgs/acme/copilot/billing/seats"
    page = lambda chunk, nxt: Reply(body=json.dumps({"total_seats": len(seats), "seats": chunk}),  # noqa: E731
                                    headers={"Link": f'<{{base}}{path}?page={nxt}>; rel="next"'} if nxt else {})
    server.route(f"{path}?per_page=100", page(seats[:4], 2))
    server.route(f"{path}?page=2", page(seats[4:8], 3))
    server.route(f"{path}?page=3", page(seats[8:], None))
    [(day, _, got)] = ApiSource(client, today=dt.date(2026, 5, 2)).seats(ORG)
    assert day == dt.date(2026, 5, 2) and len(got) == len(seats) == 9
    frame, bad = parse_seats(got, day, ORG.scope, ORG.name, path)
    assert bad.height == 0 and frame.height == 9
    assert sorted(frame["assignee_login"].to_list()) == sorted(s["assignee"]["login"] for s in seats)
    assert frame.filter(frame["last_activity_at"].is_null()).height == sum(1 for s in seats if not s["last_activity_at"])
    assert len(server.paths(path)) == 3


def test_403_names_the_missing_permission(server, client):
    server.route(f"{REPORTS}/organization-1-day", Reply(403, json.dumps({
        "message": "Resource not accessible by personal access token",
        "documentation_url": "https://docs.github.com/rest/copilot/copilot-usage-metrics"})))
    with pytest.raises(GitHubAccessError) as err:
        ApiSource(client).report(ORG, "organization-1-day", dt.date(2026, 4, 25))
    message = str(err.value)
    assert "Organization Copilot metrics" in message and "read:org" in message and "TEST_GH_TOKEN" in message
    assert "ghp_testtoken" not in message  # the token itself is never echoed
    assert len(server.paths(REPORTS)) == 1  # a permission error is not retried


def test_seats_403_names_the_billing_scope(server, client):
    server.route("/api/v3/orgs/acme/copilot/billing/seats", Reply(401, '{"message": "Bad credentials"}'))
    with pytest.raises(GitHubAccessError, match="manage_billing:copilot"):
        ApiSource(client).seats(ORG)


def test_429_honours_retry_after_and_502_is_retried(server, client, sleeps, shared_fixtures):
    sample = (shared_fixtures / "copilot" / "organization-1-day-report.json").read_text()
    server.route(f"{REPORTS}/organization-1-day?day=2026-04-25",
                 Reply(429, '{"message": "API rate limit exceeded"}', {"Retry-After": "7"}),
                 Reply(502, "<html>Bad Gateway</html>", {"Content-Type": "text/html"}),
                 Reply(body=links("/dl/org")))
    server.route("/dl/org?sig=secret", Reply(503, "busy"), Reply(body=sample))
    files = ApiSource(client).report(ORG, "organization-1-day", dt.date(2026, 4, 25))
    assert json.loads(files[0].text) == json.loads(sample)
    assert sleeps[0] == 7.0          # Retry-After honoured
    assert sleeps[1:] == [1.0, 0.5]  # backoff for the 502 (second attempt) and the download's 503 (first)
    assert client.retries == 3


def test_rate_limit_reset_header_is_honoured(server, client, sleeps):
    now = 1_790_000_000
    client.session.policy.clock = lambda: now  # the reset time is read against a fixed clock: exact, however slow the run
    reset = now + 30
    server.route("/api/v3/orgs/acme/copilot/billing/seats?per_page=100",
                 Reply(403, '{"message": "API rate limit exceeded"}', {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}),
                 Reply(body='{"total_seats": 0, "seats": []}'))
    [(_, _, seats)] = ApiSource(client).seats(ORG)
    assert seats == [] and sleeps[0] == 30


def test_bounded_retries_then_a_clear_error(server, client, sleeps):
    server.route(f"{REPORTS}/organization-1-day", Reply(500, '{"message": "Server Error"}'))
    with pytest.raises(GitHubAccessError, match="could not answer"):
        ApiSource(client).report(ORG, "organization-1-day", dt.date(2026, 4, 25))
    assert len(server.paths(REPORTS)) == 4 and len(sleeps) == 3


def test_expired_download_link_is_requested_again(server, client, shared_fixtures):
    sample = (shared_fixtures / "copilot" / "organization-1-day-report.json").read_text()
    server.route(f"{REPORTS}/organization-1-day?day=2026-04-25", Reply(body=links("/dl/old")), Reply(body=links("/dl/new")))
    server.route("/dl/old?sig=secret", Reply(403, "<Error><Code>AuthenticationFailed</Code><Message>Signature not valid in the specified time frame</Message></Error>",
                                             {"Content-Type": "application/xml"}))
    server.route("/dl/new?sig=secret", Reply(body=sample))
    source = ApiSource(client)
    files = source.report(ORG, "organization-1-day", dt.date(2026, 4, 25))
    assert files[0].label.endswith("/dl/new") and source.links_requested == 2


def test_the_28_day_latest_and_enterprise_endpoints(server, client, shared_fixtures):
    envelope = json.loads((shared_fixtures / "copilot" / "download-links-enterprise-28-day.json").read_text())
    server.route("/api/v3/enterprises/bigcorp/copilot/metrics/reports/enterprise-28-day/latest", Reply(body=json.dumps(envelope)))
    server.route(envelope["download_links"][0], Reply(body=(shared_fixtures / "copilot" / "enterprise-28-day-report.json").read_text()))
    files = ApiSource(client).report(Target("enterprise", "bigcorp"), "enterprise-28-day/latest", None)
    parsed = parse_report(files[0].text, files[0].label, "enterprise", "bigcorp", "usage")
    report = json.loads((shared_fixtures / "copilot" / "enterprise-28-day-report.json").read_text())
    assert parsed.usage.filter(breakdown="total").height == len(report["day_totals"])  # the sample has 26 of its 28 days


def test_legacy_metrics_endpoint_is_refused_with_the_replacement():
    with pytest.raises(LegacyEndpointError, match="closed on 2026-04-02.*reports/organization-1-day"):
        check_not_legacy("/orgs/acme/copilot/metrics")
    check_not_legacy("/orgs/acme/copilot/metrics/reports/organization-1-day")
