"""The whole graph, for real: generated landing files -> Dagster run (ingest + dbt build) -> the
Zen marts in DuckDB, checked against what the generator says it wrote."""

from __future__ import annotations

import os
import shutil

import dagster as dg
import duckdb
import pytest

from analytics_assets.alerts.assets import alerts
from analytics_assets.copilot.assets import copilot_usage
from analytics_assets.definitions import defs
from analytics_assets.otlp.assets import OTLP


from .conftest import DEMO_DAYS, spans_line, span

DEMO_START = DEMO_DAYS["dagster/asset_partition_range_start"]
from .test_alerts import _Webhook


def run_graph(instance) -> dg.ExecuteInProcessResult:
    """Every unpartitioned asset (Copilot usage is daily-partitioned: see test_copilot_pipeline)."""
    return dg.materialize([*defs.assets, *defs.asset_checks], instance=instance, resources=defs.resources, raise_on_error=False,
                          selection=dg.AssetSelection.all() - dg.AssetSelection.assets(copilot_usage), tags=DEMO_DAYS)


@pytest.fixture
def landed(project_env, demo_landing):
    landing, manifest = demo_landing
    for source in ("otlp", "claude", "codex", "gemini", "opencode", "copilot_cli", "cursor", "anthropic"):
        shutil.copytree(landing / source, project_env["landing"] / source, dirs_exist_ok=True)
    os.environ["ANALYTICS_CONFIG"] = str(landing / "analytics.demo.yaml")  # restored by project_env's monkeypatch
    return project_env, manifest


def test_whole_graph_matches_the_generator(landed, monkeypatch):
    env, manifest = landed
    zen = manifest["sources"]["zen"]
    hook = _Webhook([200])
    monkeypatch.setenv("ANALYTICS_ALERT_WEBHOOK_URL", hook.url)
    with dg.instance_for_test(temp_dir=str(env["dagster_home"])) as instance:
        result = run_graph(instance)
        assert result.success, [e.message for e in result.all_events if e.is_failure]
        checks = result.get_asset_check_evaluations()
        assert checks and all(c.passed for c in checks if c.check_name == "pandera_contract")
        priced = next(c for c in checks if c.check_name == "every_model_priced")
        assert priced.passed and priced.metadata["unpriced_tokens"].value == 0
        failed_dbt_tests = [c.check_name for c in checks if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR
                            and c.asset_key != dg.AssetKey(["alerts", "alerts"])]  # alerts are meant to fire on the demo
        assert failed_dbt_tests == []
        meta = {m.asset_key.to_user_string(): m.metadata for m in result.asset_materializations_for_node("ingest_otlp")}
        assert meta["raw/otlp_spans"]["rows_loaded"].value == zen["spans"]
        # The marts people read most carry their key numbers as markdown (the dashboard's figures).
        costs = next(e.event_specific_data.materialization.metadata for e in result.get_asset_materialization_events()
                     if e.asset_key == dg.AssetKey(["marts", "fct_agent_costs"]))
        assert costs["key_numbers"].value.startswith("**Spend by month and agent**") and "claude_code" in costs["key_numbers"].value
        # The forecast shows its backtest against the baseline; the alerts ran every rule as a check.
        forecast = result.asset_materializations_for_node("forecast__forecast_spend")[0].metadata
        # 19 days of spend (the demo's first two days are a weekend): too short for a backtest, and it says so.
        assert "history too short to backtest (19 days)" in forecast["status"].value
        assert forecast["total_model"].value == "SeasonalNaive" and "| total:all |" in forecast["backtest"].value
        alert_checks = {c.check_name: c for c in checks if c.asset_key == dg.AssetKey(["alerts", "alerts"])}
        assert set(alert_checks) == {"budget_month_to_date", "budget_forecast_month_end", "daily_spend_spike", "unpriced_model",
                                     "inactive_copilot_seats"}
        assert not alert_checks["budget_month_to_date"].passed  # the demo's small budgets are spent: ERROR past 100 %
        assert alert_checks["budget_month_to_date"].severity == dg.AssetCheckSeverity.ERROR
        assert alert_checks["unpriced_model"].passed
        # New alerts were posted once; evaluating again an hour later posts nothing new (deduplicated).
        assert len(hook.bodies) == 1 and "budget_month_to_date" in hook.bodies[0]["text"]
        again = dg.materialize([*defs.assets, *defs.asset_checks], instance=instance, resources=defs.resources,
                               selection=dg.AssetSelection.assets(alerts), raise_on_error=False)
        assert again.success and len(hook.bodies) == 1
        assert again.asset_materializations_for_node("alerts__alerts")[0].metadata["delivery"].value == "nothing new to post"
        assert meta["raw/otlp_spans"]["rows_quarantined"].value == 0
    hook.close()

    con = duckdb.connect(str(env["duckdb"]), read_only=True)
    try:
        count, tokens = con.execute("SELECT count(*), sum(tokens_total) FROM marts.fact_instance_usage").fetchone()
        assert count == zen["spans"] and tokens == zen["tokens_total"]
        daily = dict(con.execute("SELECT CAST(event_date AS VARCHAR), sum(cost_usd_total) FROM marts.fact_cost_daily GROUP BY 1").fetchall())
        assert daily.keys() == zen["cost_usd_total_by_day"].keys()
        for day, expected in zen["cost_usd_total_by_day"].items():
            assert daily[day] == pytest.approx(expected, rel=1e-9)
        tools = dict(con.execute("SELECT tool_name, sum(invocations) FROM marts.fact_tool_usage GROUP BY 1").fetchall())
        assert tools == zen["tool_invocations"]
        assert dict(con.execute("SELECT tool_name, invocations FROM marts.dim_tool").fetchall()) == zen["tool_invocations"]
        claude = manifest["sources"]["claude_code_otel"]
        requests, cost = con.execute("SELECT count(*), sum(reported_cost_usd) FROM staging.stg_claude_code_api_requests").fetchone()
        assert requests == claude["api_requests"] and cost == pytest.approx(claude["api_request_cost_usd"], rel=1e-9)
        assert con.execute("SELECT count(*) FROM staging.stg_claude_code_tool_results").fetchone()[0] == claude["tool_results"]
        assert con.execute("SELECT count(*) FROM raw.otlp_metric_points").fetchone()[0] == claude["points"]

        # Transcripts: streaming duplicates collapse to one request each; tokens and list-price cost
        # equal what the generator wrote.
        transcripts = manifest["sources"]["claude_transcripts"]
        # raw holds one row per request: of assistant_lines lines, streaming writes collapse to their largest.
        assert transcripts["assistant_lines"] > transcripts["requests"]
        assert con.execute("SELECT count(*) FROM raw.claude_requests").fetchone()[0] == transcripts["requests"]
        row = con.execute(
            "SELECT count(*), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_creation_tokens), sum(cost_usd) "
            "FROM marts.fct_agent_requests WHERE agent = 'claude_code' AND source = 'transcript'"
        ).fetchone()
        assert row[:5] == (transcripts["requests"], transcripts["input_tokens"], transcripts["output_tokens"],
                           transcripts["cache_read_tokens"], transcripts["cache_creation_tokens"])
        assert row[5] == pytest.approx(transcripts["list_price_cost_usd"], rel=1e-9)
        codex = manifest["sources"]["codex"]
        turns = con.execute(
            "SELECT count(*), sum(input_tokens + cache_read_tokens), sum(cache_read_tokens), sum(output_tokens) "
            "FROM marts.fct_agent_requests WHERE agent = 'codex'"
        ).fetchone()
        assert turns == (codex["turns"], codex["input_tokens"], codex["cached_input_tokens"], codex["output_tokens"])
        gemini = manifest["sources"]["gemini"]
        messages = con.execute(
            "SELECT count(*), sum(input_tokens), sum(cache_read_tokens), sum(output_tokens) FROM marts.fct_agent_requests WHERE agent = 'gemini_cli'"
        ).fetchone()
        assert messages == (gemini["messages"], gemini["input_tokens"], gemini["cached_tokens"], gemini["output_tokens"])
        opencode = manifest["sources"]["opencode"]
        assert con.execute(
            "SELECT count(*), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_creation_tokens) "
            "FROM marts.fct_agent_requests WHERE agent = 'opencode'"
        ).fetchone() == (opencode["messages"], opencode["input_tokens"], opencode["output_tokens"], opencode["cache_read_tokens"],
                         opencode["cache_creation_tokens"])
        copilot_cli = manifest["sources"]["copilot_cli"]
        assert con.execute(
            "SELECT count(*), sum(input_tokens), sum(cache_read_tokens), sum(output_tokens) FROM marts.fct_agent_requests WHERE agent = 'copilot_cli'"
        ).fetchone() == (copilot_cli["calls"], copilot_cli["input_tokens"], copilot_cli["cache_read_tokens"], copilot_cli["output_tokens"])
        # Cursor (Admin API responses as files): requests with Cursor's own cost beside the list price, its activity
        # mart's lines accepted per day, and the idle seat in licence utilisation.
        cursor = manifest["sources"]["cursor"]
        row = con.execute("SELECT count(*), sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens), sum(cache_read_tokens), "
                          "sum(reported_cost_usd), count(*) FILTER (WHERE cost_usd > 0) FROM marts.fct_agent_requests WHERE agent = 'cursor'").fetchone()
        assert row[:5] == (cursor["events"], cursor["input_tokens"], cursor["output_tokens"], cursor["cache_write_tokens"],
                           cursor["cache_read_tokens"])
        assert row[5] == pytest.approx(sum(cursor["cents_by_day"].values()) / 100, rel=1e-9) and row[6] == row[0]
        lines = dict(con.execute("SELECT CAST(activity_date AS VARCHAR), sum(accepted_lines_added) FROM marts.fct_cursor_activity GROUP BY 1").fetchall())
        assert lines == {d: n for d, n in cursor["lines_accepted_by_day"].items() if d >= DEMO_START}
        seats, never = con.execute("SELECT sum(seats_assigned), sum(never_used) FROM marts.fct_cursor_licence_utilisation").fetchone()
        assert (seats, never) == (cursor["members"], 1)
        # Anthropic's Claude Code report (the organization's totals) beside what transcripts and telemetry saw: the
        # report's tokens per day, and the difference is exactly what the demo's report holds that no machine
        # collected (the second laptop, the CI key); every other developer-day matches to the token.
        report = manifest["sources"]["anthropic"]
        window = "activity_date >= DATE '%s' AND activity_date <= DATE '%s'" % (DEMO_START, manifest["arguments"]["end"])
        org = dict(con.execute(f"SELECT CAST(activity_date AS VARCHAR), sum(org_total_tokens) FROM marts.fct_claude_code_org_usage "
                               f"WHERE {window} GROUP BY 1 HAVING sum(org_total_tokens) > 0").fetchall())
        assert org == {d: n for d, n in report["org_tokens_by_day"].items() if d >= DEMO_START}
        unseen = dict(con.execute(f"SELECT CAST(activity_date AS VARCHAR), sum(tokens_not_seen) FROM marts.fct_claude_code_org_usage "
                                  f"WHERE {window} GROUP BY 1 HAVING sum(tokens_not_seen) <> 0").fetchall())
        assert unseen == {d: n for d, n in report["not_collected_tokens_by_day"].items() if d >= DEMO_START}
        assert con.execute(f"SELECT count(DISTINCT developer_key) FROM marts.fct_claude_code_org_usage WHERE {window} "
                           "AND tokens_not_seen <> 0").fetchone()[0] == 2  # the second laptop's owner and the CI key
        assert con.execute(f"SELECT count(*) FROM marts.fct_claude_code_org_usage WHERE {window} AND seen_here AND NOT in_org_report").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM marts.fct_agent_requests WHERE pricing_status = 'unpriced'").fetchone()[0] == 0
        # One developer across sources: the demo config ties each machine, email and Claude account to
        # a person, so every request resolves to a configured developer (and a team).
        developers = con.execute("SELECT count(*), sum(CASE WHEN is_configured THEN 1 ELSE 0 END) FROM marts.dim_developers").fetchone()
        assert developers == (manifest["arguments"]["developers"], manifest["arguments"]["developers"])
        assert con.execute("SELECT count(*) FROM marts.fct_agent_requests WHERE team = 'unassigned'").fetchone()[0] == 0
        assert con.execute(
            "SELECT count(DISTINCT source) FROM marts.fct_agent_requests f JOIN marts.dim_developers d USING (developer_key) "
            "WHERE d.machines > 0 AND f.agent = 'claude_code'"
        ).fetchone()[0] == 2  # the same people seen in transcripts and in telemetry
        daily = con.execute("SELECT sum(requests), sum(cost_usd) FROM marts.fct_daily_agent_usage").fetchone()
        total = con.execute("SELECT count(*), sum(cost_usd) FROM marts.fct_agent_requests").fetchone()
        assert daily[0] == total[0] and daily[1] == pytest.approx(total[1], rel=1e-12)
    finally:
        con.close()


def test_a_format_break_fails_the_blocking_check_and_spares_the_marts(project_env):
    otlp = project_env["landing"] / "otlp"
    good = spans_line(span("0123456789abcdef0123456789abcdef", "0000000000000001"))
    (otlp / "broken.jsonl").write_bytes(good + b"\n" + b"{not json\n" * 5)
    with dg.instance_for_test(temp_dir=str(project_env["dagster_home"])) as instance:
        result = run_graph(instance)
        assert not result.success
        checks = {c.asset_key.to_user_string(): c for c in result.get_asset_check_evaluations() if c.check_name == "pandera_contract"}
        assert not checks["raw/otlp_spans"].passed
        assert checks["raw/otlp_spans"].metadata["quarantined_share"].value == pytest.approx(5 / 6, rel=1e-3)
        materialized = {e.asset_key.path[0] for e in result.get_asset_materialization_events()}
        assert "raw" in materialized and "marts" not in materialized and "staging" not in materialized
    con = duckdb.connect(str(project_env["duckdb"]), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM raw.otlp_spans").fetchone()[0] == 1  # good rows still loaded
        assert con.execute("SELECT count(*) FROM raw.quarantine").fetchone()[0] == 5
        marts = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'marts'").fetchone()[0]
        assert marts == 0
    finally:
        con.close()


def test_empty_landing_materializes_empty_with_a_message(project_env):
    with dg.instance_for_test(temp_dir=str(project_env["dagster_home"])) as instance:
        result = run_graph(instance)
        assert result.success
        meta = {m.asset_key.to_user_string(): m.metadata for m in result.asset_materializations_for_node("ingest_otlp")}
        assert "nothing to ingest" in meta["raw/otlp_spans"]["status"].value
        assert meta["raw/otlp_spans"]["dagster/row_count"].value == 0


def test_sensor_requests_one_run_per_landing_state(project_env):
    otlp = project_env["landing"] / "otlp"
    sensor = defs.get_sensor_def("landing_sensor")

    def evaluate(instance, cursor=None):
        context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
        return sensor(context), context.cursor

    with dg.instance_for_test(temp_dir=str(project_env["dagster_home"])) as instance:
        assert isinstance(evaluate(instance)[0], dg.SkipReason)  # nothing landed yet
        (otlp / "a.jsonl").write_bytes(spans_line(span("0123456789abcdef0123456789abcdef", "0000000000000001")) + b"\n")
        first, seen = evaluate(instance)
        assert isinstance(first, dg.RunRequest) and first.run_key.startswith("landing-") and first.tags["landing_sources"] == "otlp"
        # Same bytes seen again (the cursor carried over): no new request.
        assert isinstance(evaluate(instance, seen)[0], dg.SkipReason)
        with (otlp / "a.jsonl").open("ab") as f:
            f.write(spans_line(span("0123456789abcdef0123456789abcdef", "0000000000000002")) + b"\n")
        grown, _ = evaluate(instance, seen)
        assert isinstance(grown, dg.RunRequest) and grown.run_key != first.run_key
