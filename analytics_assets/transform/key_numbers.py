"""The key numbers of the marts people read most, as markdown tables for the Dagster UI (the same
figures as the dashboard). Queries run after dbt has finished (it holds the file while it runs)."""

from __future__ import annotations

import duckdb

KEY_NUMBERS = {  # mart -> (title, query); each query returns a small table
    "fct_agent_costs": ("Spend by month and agent", """SELECT strftime(period_start, '%Y-%m') AS month, agent,
        round(sum(cost_usd), 2) AS cost_usd, sum(requests) AS requests FROM marts.fct_agent_costs
        WHERE period_grain = 'month' GROUP BY ALL ORDER BY month DESC, cost_usd DESC LIMIT 12"""),
    "fct_roi_monthly": ("ROI by month (all agents)", """SELECT strftime(month, '%Y-%m') AS month, round(tool_cost_usd, 2) AS tool_cost_usd,
        commits, assisted_commits, round(cost_per_commit_usd, 2) AS cost_per_commit_usd, hours_saved_per_assisted_commit,
        hourly_rate_usd, round(roi_usd, 2) AS roi_usd FROM marts.fct_roi_monthly WHERE agent = 'all' ORDER BY month DESC LIMIT 6"""),
    "fct_commits_daily": ("Commits by month", """SELECT strftime(day, '%Y-%m') AS month, sum(commits) AS commits,
        sum(agent_assisted_commits) AS agent_assisted, round(sum(agent_assisted_commits) / nullif(sum(commits), 0), 3) AS assisted_share,
        round(median(median_minutes_session_to_commit), 1) AS median_minutes_session_to_commit
        FROM marts.fct_commits_daily GROUP BY 1 ORDER BY 1 DESC LIMIT 6"""),
    "fct_copilot_usage": ("Copilot, last 7 report days", """SELECT report_day, scope_name, daily_active_users, engaged_users,
        code_acceptances, round(acceptance_rate, 3) AS acceptance_rate, lines_added FROM marts.fct_copilot_usage
        WHERE breakdown = 'total' ORDER BY report_day DESC LIMIT 7"""),
    "fct_license_utilisation": ("Copilot seats, latest snapshot", """SELECT snapshot_day, scope_name, sum(seats_assigned) AS seats,
        sum(active_28d) AS active_28d, sum(never_used) AS never_used, sum(inactive_28d) AS inactive_28d,
        sum(inactive_monthly_cost_usd) AS inactive_monthly_cost_usd FROM marts.fct_license_utilisation
        WHERE snapshot_day = (SELECT max(snapshot_day) FROM marts.fct_license_utilisation) GROUP BY ALL"""),
    "fact_cost_daily": ("Zen: top commands by cost", """SELECT command, sum(instances) AS instances,
        round(sum(cost_usd_total), 2) AS cost_usd, sum(tokens_total) AS tokens FROM marts.fact_cost_daily
        GROUP BY 1 ORDER BY cost_usd DESC LIMIT 8"""),
}


def markdown(con: duckdb.DuckDBPyConnection, mart: str) -> str | None:
    if mart not in KEY_NUMBERS:
        return None
    title, sql = KEY_NUMBERS[mart]
    try:
        cursor = con.execute(sql)
    except duckdb.Error:  # the mart was not built in this run
        return None
    columns = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    if not rows:
        return f"**{title}**: _no rows yet_"
    lines = [f"**{title}**", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join("" if v is None else f"{v:,}" if isinstance(v, int) else str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
