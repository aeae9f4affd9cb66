"""What the dashboard shows, read from the marts (never raw tables): compact tables (columns +
rows) small enough to embed in one HTML file, at the grain the page's filters need (day, agent,
team), so the page aggregates in the browser. No Dagster import."""

from __future__ import annotations

import datetime as dt
import decimal

import duckdb

from ..warehouse import table_exists

QUERIES = {
    # day × agent × team: spend and tokens (Cost & forecast, Executive, Agent comparison)
    "spend": """SELECT event_date AS day, agent, team, sum(cost_usd) AS cost, count(*) AS requests,
                       sum(input_tokens) AS input, sum(output_tokens) AS output, sum(cache_read_tokens) AS cache_read,
                       sum(cache_creation_tokens) AS cache_creation, count(DISTINCT developer_key) AS developers
                FROM marts.fct_agent_requests WHERE event_date IS NOT NULL GROUP BY ALL ORDER BY 1""",
    # developer × day × agent (Team activity: who uses which agent, cost per developer)
    "developers": """SELECT r.event_date AS day, coalesce(d.developer_name, substr(r.developer_key, 1, 8)) AS developer,
                            r.agent, r.team, sum(r.cost_usd) AS cost, count(*) AS requests
                     FROM marts.fct_agent_requests r LEFT JOIN marts.dim_developers d USING (developer_key)
                     WHERE r.event_date IS NOT NULL GROUP BY ALL""",
    # weekday × hour (peak hours heatmap), filterable by day range, agent and team
    "hours": """SELECT event_date AS day, agent, team, isodow(event_at) AS weekday, hour(event_at) AS hour, count(*) AS requests
                FROM marts.fct_agent_requests WHERE event_at IS NOT NULL GROUP BY ALL""",
    "sessions": """SELECT s.start_date AS day, s.agent, coalesce(d.team, 'unassigned') AS team, count(*) AS sessions,
                          sum(s.duration_seconds) AS duration_seconds
                   FROM marts.fct_agent_sessions s LEFT JOIN marts.dim_developers d USING (developer_key)
                   WHERE s.start_date IS NOT NULL GROUP BY ALL""",
    "commits": """SELECT commit_date AS day, team, coalesce(agent, 'manual') AS agent, count(*) AS commits,
                         count(*) FILTER (WHERE is_agent_assisted) AS assisted, sum(lines_changed) AS lines_changed,
                         sum(minutes_since_session) AS minutes_sum, count(minutes_since_session) AS minutes_n
                  FROM marts.fct_git_commits WHERE NOT is_merge GROUP BY ALL""",
    "roi": """SELECT month, agent, tool_cost_usd, token_cost_usd, seat_cost_usd, active_users, seats, licence_utilisation,
                     commits, assisted_commits, cost_per_commit_usd, cost_per_assisted_commit_usd, tokens_per_commit,
                     hours_saved_per_assisted_commit, hourly_rate_usd, estimated_hours_saved, roi_usd
              FROM marts.fct_roi_monthly ORDER BY month, agent""",
    "copilot": """SELECT report_day AS day, scope_name, daily_active_users, engaged_users, code_generations, code_acceptances,
                         lines_suggested, lines_added
                  FROM marts.fct_copilot_usage WHERE breakdown = 'total' ORDER BY 1""",
    "licences": """SELECT snapshot_day AS day, scope_name, assigning_team AS team, seats_assigned, active_7d, active_28d,
                          never_used, inactive_28d, inactive_monthly_cost_usd
                   FROM marts.fct_license_utilisation ORDER BY 1""",
    "zen_daily": """SELECT event_date AS day, command_type, command, sum(instances) AS instances,
                           sum(successful_instances) AS ok, sum(failed_instances) AS failed, sum(duration_ms) AS duration_ms,
                           sum(tokens_input) AS input, sum(tokens_output) AS output, sum(tokens_cache_read) AS cache_read,
                           sum(tokens_cache_creation) AS cache_creation, sum(cost_usd_input) AS cost_input,
                           sum(cost_usd_output) AS cost_output, sum(cost_usd_cache_read) AS cost_cache_read,
                           sum(cost_usd_cache_creation) AS cost_cache_creation, sum(cost_usd_total) AS cost
                    FROM marts.fact_cost_daily GROUP BY ALL ORDER BY 1""",
    "zen_tools": """SELECT event_date AS day, command_type, tool_name, sum(invocations) AS invocations, sum(tokens) AS tokens,
                           count(DISTINCT instance_id) AS instances
                    FROM marts.fact_tool_usage GROUP BY ALL""",
    # Where the money goes (all time, from the spend marts: the metrics are theirs)
    "repositories": """SELECT repository, repo_id, repository_rule, sessions, developers, cost_usd, subagent_cost_usd, commits,
                              assisted_commits, cost_per_assisted_commit_usd
                       FROM marts.fct_repository_costs ORDER BY cost_usd DESC LIMIT 25""",
    "branches": """SELECT repository_key, repository, branch, ticket, sessions, cost_usd, last_request_at
                   FROM marts.fct_branch_costs ORDER BY cost_usd DESC LIMIT 25""",
    "tickets": """SELECT ticket, repositories, branches, sessions, cost_usd, assisted_commits, cost_per_assisted_commit_usd
                  FROM marts.fct_ticket_costs ORDER BY cost_usd DESC LIMIT 25""",
    "subagents": """SELECT month, agent, context, requests, cost_usd FROM marts.fct_subagent_costs ORDER BY month""",
    "mcp": """SELECT mcp_server, calls, failed_calls, tools, sessions, sessions_cost_usd
              FROM marts.fct_mcp_server_usage ORDER BY sessions_cost_usd DESC NULLS LAST LIMIT 25""",
    # Claude Code: the organization's Anthropic report beside what we collected, day x developer (never summed)
    "claude_org": """SELECT o.activity_date AS day, 'claude_code' AS agent, o.team,
                            CASE WHEN o.actor_type = 'api_key' THEN o.developer_key
                                 ELSE coalesce(d.developer_name, substr(o.developer_key, 1, 8)) END AS developer,
                            sum(o.org_estimated_cost_usd) AS org_cost, sum(o.seen_cost_usd) AS seen_cost,
                            sum(o.org_total_tokens) AS org_tokens, sum(o.seen_total_tokens) AS seen_tokens
                     FROM marts.fct_claude_code_org_usage o LEFT JOIN marts.dim_developers d USING (developer_key)
                     GROUP BY ALL""",
    "zen_instances": """SELECT event_date AS day, command_type, duration_ms, cost_usd_total AS cost, status
                        FROM marts.fact_instance_usage USING SAMPLE 2000 ROWS""",
}
OPTIONAL = {  # tables written by Python assets: present once they ran
    "forecast": ("forecast.forecast_spend", "SELECT series_kind, series_name, day, yhat, lo_80, hi_80, lo_95, hi_95 "
                 "FROM forecast.forecast_spend ORDER BY day"),
    "alerts": ("alerts.alerts", "SELECT rule, severity, subject, message, first_seen_at, last_seen_at, occurrences "
               "FROM alerts.alerts WHERE resolved_at IS NULL ORDER BY severity, rule"),
}
INACTIVE_SEATS = """SELECT user_key, assigning_team AS team, last_activity_at, last_activity_editor
                    FROM staging.stg_copilot_seats
                    WHERE snapshot_day = (SELECT max(snapshot_day) FROM staging.stg_copilot_seats)
                      AND (last_activity_at IS NULL OR last_activity_at < snapshot_day - INTERVAL 28 DAY)"""


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:19]
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, float):
        return round(value, 6)
    return value


def _table(con, sql: str) -> dict:
    cursor = con.execute(sql)
    columns = [d[0] for d in cursor.description]
    return {"columns": columns, "rows": [[_plain(v) for v in row] for row in cursor.fetchall()]}


def _table_or_empty(con, sql: str) -> dict:
    """A mart not built yet (a refresh run on a new warehouse, before the daily marts' first run) is empty."""
    try:
        return _table(con, sql)
    except duckdb.CatalogException:
        return {"columns": [], "rows": []}


def collect(con: duckdb.DuckDBPyConnection, budgets: list, keep_names: bool, copilot_configured: bool) -> dict:
    data = {name: _table_or_empty(con, sql) for name, sql in QUERIES.items()}
    for name, (table, sql) in OPTIONAL.items():
        data[name] = _table(con, sql) if table_exists(con, table) else {"columns": [], "rows": []}
    # Inactive licensed users (a staging view: the seat list itself has no mart of its own).
    data["inactive_seats"] = _table(con, INACTIVE_SEATS) if table_exists(con, "staging.stg_copilot_seats") else {"columns": [], "rows": []}
    data["budgets"] = [{"scope": b.scope, "name": b.name, "monthly_usd": b.monthly_usd, "thresholds": list(b.thresholds)}
                       for b in budgets]
    data["meta"] = {"generated_at": dt.datetime.now(dt.timezone.utc).isoformat()[:19] + "Z", "names": keep_names,
                    "copilot_configured": copilot_configured}
    return data
