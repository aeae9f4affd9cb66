"""Each alert rule fires on a constructed case and stays quiet on a quiet one; the alerts table
deduplicates, resolves and reopens; the webhook gets one message, retried once after a 500."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading

import duckdb
import polars as pl
import pytest

from analytics_assets.alerts import rules, store
from analytics_assets.privacy import keyed_hash

ASOF = dt.date(2026, 11, 18)  # a Wednesday
SALT = b"test-salt"


def spend(per_day: float = 10.0, spike: float | None = None, team="core", agent="claude_code", developer="Ada") -> pl.DataFrame:
    """Five weeks of workday spend (weekends a tenth), optionally a spike on ASOF."""
    rows = []
    for i in range(35):
        day = ASOF - dt.timedelta(days=i)
        value = per_day if day.weekday() < 5 else per_day / 10
        if i == 0 and spike is not None:
            value = spike
        rows.append((day, agent, team, keyed_hash(developer, SALT), value))
    return pl.DataFrame(rows, schema=["day", "agent", "team", "developer_key", "cost_usd"], orient="row")


def no_forecast() -> pl.DataFrame:
    return pl.DataFrame(schema={"series_kind": pl.String, "series_name": pl.String, "day": pl.Date, "yhat": pl.Float64})


def test_budget_thresholds_fire_by_severity_and_stay_quiet_under_budget(tmp_path):
    budgets_file = tmp_path / "budgets.yaml"
    budgets_file.write_text("""budgets:
  - {scope: organization, name: all, monthly_usd: 150, thresholds: [0.8, 1.0]}
  - {scope: team, name: core, monthly_usd: 160, thresholds: [0.8, 1.0]}
  - {scope: agent, name: codex, monthly_usd: 10}
  - {scope: developer, name: Ada, monthly_usd: 1000}
""")
    budgets = rules.load_budgets(budgets_file)
    data = spend()  # November through the 18th: 13 workdays × 10 + 5 weekend days × 1 = 135
    alerts = {a.key: a for a in rules.budget_alerts(data, no_forecast(), budgets, ASOF, SALT, keep_names=False)}
    mtd = [a for a in alerts.values() if a.rule == "budget_month_to_date"]
    assert {(a.subject, a.severity, a.threshold) for a in mtd} == {("organization all", "WARN", 120.0), ("team core", "WARN", 128.0)}
    # Over 100 %: an error.
    over = rules.budget_alerts(spend(per_day=14), no_forecast(), budgets[:1], ASOF)
    assert [(a.rule, a.severity) for a in over if a.rule == "budget_month_to_date"] == [("budget_month_to_date", "ERROR")]
    # The month-end projection: month to date + the forecast of the days left.
    forecast = pl.DataFrame({"series_kind": ["total"] * 12, "series_name": ["all"] * 12,
                             "day": [ASOF + dt.timedelta(days=i) for i in range(1, 13)], "yhat": [10.0] * 12})
    projected = [a for a in rules.budget_alerts(data, forecast, budgets[:1], ASOF) if a.rule == "budget_forecast_month_end"]
    assert len(projected) == 1 and projected[0].value == 135 + 120  # only November's 12 remaining days count
    # Quiet: generous budgets, a quiet agent, a developer well under budget.
    quiet = rules.budget_alerts(data, no_forecast(), [rules.Budget("organization", "all", 10_000), budgets[2], budgets[3]], ASOF, SALT)
    assert quiet == []
    with pytest.raises(rules.BudgetError, match="scope must be one of"):
        (tmp_path / "bad.yaml").write_text("budgets: [{scope: galaxy, monthly_usd: 1}]")
        rules.load_budgets(tmp_path / "bad.yaml")


def test_spike_fires_on_a_spike_and_not_on_an_ordinary_day_or_cents():
    fired = rules.spike_alerts(spend(spike=60.0), ASOF)
    assert {a.subject for a in fired} == {"all agents", "agent claude_code"}
    assert all(a.value == 60.0 and a.threshold == 10.0 for a in fired)
    assert rules.spike_alerts(spend(spike=11.0), ASOF) == []                      # an ordinary day
    assert rules.spike_alerts(spend(per_day=0.01, spike=0.5), ASOF, min_usd=5) == []  # 50× but cents
    weekend = ASOF + dt.timedelta(days=3)  # Saturday: judged against Saturdays and Sundays, not workdays
    weekend_data = pl.concat([spend(), pl.DataFrame([(weekend, "claude_code", "core", "k", 9.0)],
                                                    schema=["day", "agent", "team", "developer_key", "cost_usd"], orient="row")])
    assert {a.subject for a in rules.spike_alerts(weekend_data, weekend)} == {"all agents", "agent claude_code"}


def test_unpriced_models_and_idle_seats():
    unpriced = pl.DataFrame({"model": ["mystery-1"], "agent": ["codex"], "requests": [3], "tokens": [1200]})
    [alert] = rules.unpriced_alerts(unpriced)
    assert alert.key == "unpriced_model|codex|mystery-1" and "model_price_overrides" in alert.message
    assert rules.unpriced_alerts(unpriced.head(0)) == []
    seats = pl.DataFrame({"scope_name": ["acme", "quiet-org"], "inactive_28d": [3, 0], "inactive_monthly_cost_usd": [57.0, 0.0]})
    [idle] = rules.inactive_seat_alerts(seats)
    assert idle.subject == "Copilot acme" and "$57.00 a month" in idle.message


def test_alerts_table_dedupes_resolves_and_reopens(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    a = rules.Alert("spend_spike|total|all|2026-11-18", "daily_spend_spike", "WARN", "all agents", "spike", 60.0, 10.0)
    b = rules.Alert("inactive_seats|acme", "inactive_copilot_seats", "WARN", "Copilot acme", "3 seats", 3.0, None)
    t0 = dt.datetime(2026, 11, 19, 6, tzinfo=dt.timezone.utc)
    assert store.record(con, [a, b], t0) == {"opened": 2, "still_open": 0, "resolved": 0}
    assert len(store.pending(con)) == 2
    store.mark_notified(con, [p["alert_id"] for p in store.pending(con)])
    # The same conditions an hour later, and every hour after: no new rows, nothing new to notify.
    for hour in range(1, 4):
        assert store.record(con, [a, b], t0 + dt.timedelta(hours=hour))["opened"] == 0
    assert store.pending(con) == []
    rows = con.execute("SELECT alert_key, occurrences, first_seen_at, last_seen_at FROM alerts.alerts ORDER BY 1").fetchall()
    assert [(r[0], r[1]) for r in rows] == [(b.key, 4), (a.key, 4)] and rows[0][3] - rows[0][2] == dt.timedelta(hours=3)
    # The spike passes: resolved. The seats condition comes back after being resolved: a new row, notified again.
    assert store.record(con, [b], t0 + dt.timedelta(hours=5))["resolved"] == 1
    assert store.record(con, [], t0 + dt.timedelta(hours=6))["resolved"] == 1
    assert store.record(con, [b], t0 + dt.timedelta(hours=7))["opened"] == 1
    assert [p["alert_key"] for p in store.pending(con)] == [b.key]
    assert con.execute("SELECT count(*), count(resolved_at) FROM alerts.alerts").fetchone() == (3, 2)


class _Webhook:
    """A local HTTP server that answers the given statuses in order and records the bodies."""

    def __init__(self, statuses):
        self.statuses, self.bodies = list(statuses), []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                outer.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                status = outer.statuses.pop(0) if len(outer.statuses) > 1 else outer.statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/T000/B000/secret"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_webhook_delivery_retries_once_after_a_500():
    hook = _Webhook([500, 200])
    sleeps = []
    alerts = [{"alert_id": "1", "alert_key": "k", "rule": "budget_month_to_date", "severity": "ERROR", "subject": "organization all",
               "message": "organization all: $160.00 spent", "first_seen_at": None}]
    try:
        attempts = store.post_webhook(hook.url, store.slack_payload(alerts), sleep=sleeps.append)
    finally:
        hook.close()
    assert attempts == 2 and len(hook.bodies) == 2 and sleeps == [1.0]
    body = hook.bodies[-1]
    assert body["text"].startswith("Agent Analytics: 1 new alert(s), 1 error(s)") and body["blocks"][0]["type"] == "header"
    assert "budget_month_to_date" in body["blocks"][1]["text"]["text"]


def test_webhook_gives_up_with_a_message_that_hides_the_url():
    hook = _Webhook([503])
    try:
        with pytest.raises(store.WebhookError) as err:
            store.post_webhook(hook.url, {"text": "x"}, attempts=3, sleep=lambda s: None)
    finally:
        hook.close()
    assert "after 3 attempts" in str(err.value) and "secret" not in str(err.value) and len(hook.bodies) == 3


def test_a_failed_run_becomes_one_alert(project_env):
    import dagster as dg

    from analytics_assets.alerts.assets import alerts as alerts_asset
    from analytics_assets.alerts.failures import run_failure_sensor
    from analytics_assets.definitions import defs

    with dg.instance_for_test(temp_dir=str(project_env["dagster_home"])) as instance:
        failed = dg.materialize([*defs.assets, *defs.asset_checks], instance=instance, resources=defs.resources, raise_on_error=False,
                                selection=dg.AssetSelection.assets(alerts_asset),
                                run_config={"ops": {"alerts__alerts": {"config": {"asof": "not-a-date"}}}})
        assert not failed.success
        run = instance.get_run_by_id(failed.run_id)
        failure = next(e for e in failed.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
        context = dg.build_run_status_sensor_context(sensor_name="run_failure_sensor", dagster_instance=instance, dagster_run=run,
                                                     dagster_event=failure).for_run_failure()
        request = run_failure_sensor(context)
        assert isinstance(request, dg.RunRequest) and request.run_key == failed.run_id
        recorder = defs.get_job_def("record_run_failure_job")
        for _ in range(2):  # the same failure recorded twice is one alert
            assert recorder.execute_in_process(run_config=request.run_config, instance=instance).success
    con = duckdb.connect(str(project_env["duckdb"]), read_only=True)
    rows = con.execute("SELECT rule, severity, subject, message FROM alerts.alerts").fetchall()
    con.close()
    assert len(rows) == 1 and rows[0][:3] == ("run_failure", "ERROR", f"job {run.job_name}")
    assert failed.run_id[:8] in rows[0][3]
    # Condition alerts evaluated later do not resolve the failure (it is an event, not a condition).
    con = duckdb.connect(str(project_env["duckdb"]))
    assert store.record(con, [], rules={"daily_spend_spike"})["resolved"] == 0
    con.close()
