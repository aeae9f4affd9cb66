"""Dagster wiring for alerts: one asset evaluates every rule on the marts and the forecast,
records the conditions in `alerts.alerts` (deduplicated), posts new ones to the webhook when one
is configured, and reports each rule as a non-blocking asset check (the alerts in the UI)."""

import datetime as dt
import os

import dagster as dg
import polars as pl

from .. import project_config
from ..config import hash_salt, settings
from ..forecast.assets import FORECAST_KEY, last_complete_day
from ..resources import WarehouseResource, mart_reader, retried_on_lake_conflict
from ..warehouse import table_exists
from . import rules, store

ALERTS_KEY = dg.AssetKey(["alerts", "alerts"])
CHECKS = {  # rule -> (check description, severity when it fires)
    "budget_month_to_date": ("Month-to-date spend over a budget threshold (ERROR at 100 % and above, WARN below).", None),
    "budget_forecast_month_end": ("Projected month-end spend (month to date + forecast) over a budget.", dg.AssetCheckSeverity.WARN),
    "daily_spend_spike": ("Yesterday's spend far above the trailing four weeks (robust z-score, in total and per agent).",
                          dg.AssetCheckSeverity.WARN),
    "unpriced_model": ("A model in use with no price (its cost is unknown, never a silent $0).", dg.AssetCheckSeverity.WARN),
    "inactive_copilot_seats": ("Copilot seats unused for 28+ days in the latest seat snapshot, with their monthly cost.",
                               dg.AssetCheckSeverity.WARN),
}


class AlertRunConfig(dg.Config):
    asof: str = ""  # YYYY-MM-DD: evaluate as of this day (default: the last complete day with data)


def _asof(con, requested: str) -> dt.date | None:
    if requested:
        return dt.date.fromisoformat(requested)
    return last_complete_day(con.execute("SELECT max(event_date) FROM marts.fct_agent_requests").fetchone()[0])


def evaluate(con, config: project_config.ProjectConfig, salt: bytes, asof: dt.date | None) -> list[rules.Alert]:
    """Every rule on the warehouse as of `asof`."""
    unpriced = con.execute("""SELECT coalesce(model, '(none)') AS model, agent, count(*) AS requests, sum(total_tokens) AS tokens
                              FROM marts.fct_agent_requests WHERE pricing_status = 'unpriced' GROUP BY ALL""").pl()
    seats = con.execute("""SELECT scope_name, sum(inactive_28d) AS inactive_28d, sum(inactive_monthly_cost_usd) AS inactive_monthly_cost_usd
                           FROM marts.fct_license_utilisation
                           WHERE snapshot_day = (SELECT max(snapshot_day) FROM marts.fct_license_utilisation) GROUP BY ALL""").pl()
    alerts = rules.unpriced_alerts(unpriced) + rules.inactive_seat_alerts(seats)
    if asof is None:
        return alerts
    spend = con.execute("""SELECT event_date AS day, agent, team, developer_key, sum(cost_usd) AS cost_usd
                           FROM marts.fct_agent_requests WHERE event_date IS NOT NULL AND cost_usd IS NOT NULL GROUP BY ALL""").pl()
    forecast = (con.execute("SELECT series_kind, series_name, day, yhat FROM forecast.forecast_spend").pl()
                if table_exists(con, "forecast.forecast_spend")
                else pl.DataFrame(schema={"series_kind": pl.String, "series_name": pl.String, "day": pl.Date, "yhat": pl.Float64}))
    budgets = rules.load_budgets(config.alerts.budgets_file)
    alerts += rules.budget_alerts(spend, forecast, budgets, asof, salt, config.keep_names)
    alerts += rules.spike_alerts(spend, asof, config.alerts.spike_z, config.alerts.spike_min_usd)
    return alerts


@dg.asset(
    key=ALERTS_KEY,
    deps=[FORECAST_KEY, dg.AssetKey(["marts", "fct_agent_requests"]), dg.AssetKey(["marts", "fct_license_utilisation"])],
    **mart_reader("alerts"),
    group_name="alerts",
    kinds={"duckdb", "slack"},
    check_specs=[dg.AssetCheckSpec(rule, asset=ALERTS_KEY, description=desc, blocking=False) for rule, (desc, _) in CHECKS.items()],
    description="Budget, forecast, spike, unpriced-model and idle-seat alerts: history in alerts.alerts (first seen, last seen, "
    f"resolved; one open row per condition), new ones posted to the webhook in {store.WEBHOOK_ENV} (Slack-compatible) when it "
    "is set. Each rule is an asset check here; none blocks the marts.",
)
@retried_on_lake_conflict
def alerts(context: dg.AssetExecutionContext, config: AlertRunConfig, warehouse: WarehouseResource):
    project = project_config.load(settings().config_path)
    with warehouse.connect() as con:
        asof = _asof(con, config.asof)
        current = evaluate(con, project, hash_salt(warehouse.path), asof)
        counts = store.record(con, current, rules=set(CHECKS))
        delivery = "no webhook configured: alerts are in alerts.alerts and the UI"
        url = os.environ.get(store.WEBHOOK_ENV)
        waiting = store.pending(con)
        if url and waiting:
            try:
                attempts = store.post_webhook(url, store.slack_payload(waiting))
                store.mark_notified(con, [a["alert_id"] for a in waiting])
                delivery = f"{len(waiting)} alert(s) posted to the webhook ({attempts} attempt(s))"
            except store.WebhookError as exc:  # the run still records the alerts; delivery retries next run
                delivery = str(exc)
                context.log.error(delivery)
        elif url:
            delivery = "nothing new to post"
        open_rows = con.execute(f"SELECT rule, severity, subject, message, first_seen_at FROM {store.TABLE} "
                                "WHERE resolved_at IS NULL ORDER BY severity, rule").fetchall()
    table = "| rule | severity | subject | message | first seen |\n|---|---|---|---|---|\n" + "\n".join(
        f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]:%Y-%m-%d %H:%M} |" for r in open_rows)
    yield dg.MaterializeResult(metadata={
        "asof": str(asof), "open_alerts": len(open_rows), **{k: v for k, v in counts.items()},
        "delivery": delivery, "open": dg.MetadataValue.md(table if open_rows else "_no open alerts_"),
    })
    for rule, (_, severity) in CHECKS.items():
        fired = [a for a in current if a.rule == rule]
        worst = dg.AssetCheckSeverity.ERROR if any(a.severity == rules.ERROR for a in fired) else dg.AssetCheckSeverity.WARN
        yield dg.AssetCheckResult(
            check_name=rule, passed=not fired, severity=severity or worst,
            description="; ".join(a.message for a in fired[:5]) or None,
            metadata={"alerts": len(fired), "asof": str(asof)},
        )
