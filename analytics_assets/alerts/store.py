"""The alerts table (history with first seen / last seen / resolved) and the webhook notifier.
No Dagster import.

One open row per alert key: a condition that still holds updates its row (last seen, count);
one that no longer holds is resolved; one that comes back after being resolved opens a new row.
Notification goes out once per open row (`notified_at`); a failed delivery is retried next run.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import asdict
from typing import Callable

import duckdb
import polars as pl
import requests

from ..warehouse import now, registered, transaction
from .rules import ERROR, Alert

TABLE = "alerts.alerts"
WEBHOOK_ENV = "ANALYTICS_ALERT_WEBHOOK_URL"


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS alerts")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        alert_id VARCHAR NOT NULL, alert_key VARCHAR NOT NULL, rule VARCHAR NOT NULL, severity VARCHAR NOT NULL,
        subject VARCHAR, message VARCHAR, value DOUBLE, threshold DOUBLE,
        first_seen_at TIMESTAMPTZ NOT NULL, last_seen_at TIMESTAMPTZ NOT NULL, resolved_at TIMESTAMPTZ,
        occurrences BIGINT NOT NULL, notified_at TIMESTAMPTZ)""")


FAILURE_RULE = "run_failure"
FAILURE_OPEN_DAYS = 7  # a failed run stays an open alert this long (nothing else resolves it)


def open_alert(con: duckdb.DuckDBPyConnection, alert: Alert, at: dt.datetime | None = None) -> bool:
    """Open one alert unless an open row with its key exists (events such as a failed run)."""
    ensure_table(con)
    at = at or now()
    exists = con.execute(f"SELECT count(*) FROM {TABLE} WHERE alert_key = ? AND resolved_at IS NULL", [alert.key]).fetchone()[0]
    if not exists:
        con.execute(f"INSERT INTO {TABLE} VALUES (md5(? || '|' || CAST(? AS VARCHAR)), ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 1, NULL)",
                    [alert.key, at, alert.key, alert.rule, alert.severity, alert.subject, alert.message, alert.value, alert.threshold, at, at])
    return not exists


def record(con: duckdb.DuckDBPyConnection, alerts: list[Alert], at: dt.datetime | None = None,
           rules: set[str] | None = None) -> dict[str, int]:
    """Upsert the current conditions; resolve the open rows (of `rules`, when given) whose condition
    no longer holds. Event alerts (failed runs) are not conditions: they resolve after FAILURE_OPEN_DAYS."""
    ensure_table(con)
    at = at or now()
    current = pl.DataFrame([asdict(a) for a in alerts], schema={
        "key": pl.String, "rule": pl.String, "severity": pl.String, "subject": pl.String, "message": pl.String,
        "value": pl.Float64, "threshold": pl.Float64}).unique("key", keep="first")
    with transaction(con):
        with registered(con, "_current", current):
            updated = con.execute(f"""UPDATE {TABLE} t SET last_seen_at = ?, occurrences = occurrences + 1,
                    severity = c.severity, message = c.message, value = c.value, threshold = c.threshold
                FROM _current c WHERE t.alert_key = c.key AND t.resolved_at IS NULL""", [at]).fetchone()[0]
            opened = con.execute(f"""INSERT INTO {TABLE}
                SELECT md5(c.key || '|' || CAST(? AS VARCHAR)), c.key, c.rule, c.severity, c.subject, c.message, c.value,
                       c.threshold, ?, ?, NULL, 1, NULL
                FROM _current c
                WHERE NOT EXISTS (SELECT 1 FROM {TABLE} t WHERE t.alert_key = c.key AND t.resolved_at IS NULL)""",
                                 [at, at, at]).fetchone()[0]
            resolved = con.execute(f"""UPDATE {TABLE} SET resolved_at = ?
                WHERE resolved_at IS NULL AND alert_key NOT IN (SELECT key FROM _current)
                  AND (? OR rule IN (SELECT unnest(?::VARCHAR[]))) AND rule <> ?""",
                                   [at, rules is None, sorted(rules or []), FAILURE_RULE]).fetchone()[0]
            resolved += con.execute(f"""UPDATE {TABLE} SET resolved_at = ? WHERE resolved_at IS NULL AND rule = ?
                AND first_seen_at < ? - INTERVAL {FAILURE_OPEN_DAYS} DAY""", [at, FAILURE_RULE, at]).fetchone()[0]
    return {"opened": opened, "still_open": updated, "resolved": resolved}


def pending(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Open alerts not delivered yet (new ones, and ones whose delivery failed)."""
    ensure_table(con)
    cols = ["alert_id", "alert_key", "rule", "severity", "subject", "message", "first_seen_at"]
    rows = con.execute(f"SELECT {', '.join(cols)} FROM {TABLE} WHERE resolved_at IS NULL AND notified_at IS NULL "
                       "ORDER BY severity = 'ERROR' DESC, first_seen_at").fetchall()
    return [dict(zip(cols, r)) for r in rows]


def mark_notified(con: duckdb.DuckDBPyConnection, alert_ids: list[str], at: dt.datetime | None = None) -> None:
    if alert_ids:
        con.execute(f"UPDATE {TABLE} SET notified_at = ? WHERE alert_id IN (SELECT unnest(?::VARCHAR[]))", [at or now(), alert_ids])


def slack_payload(alerts: list[dict]) -> dict:
    """Slack-compatible incoming-webhook JSON (`text` for any receiver, `blocks` for Slack)."""
    errors = sum(1 for a in alerts if a["severity"] == ERROR)
    headline = f"Agent Analytics: {len(alerts)} new alert(s)" + (f", {errors} error(s)" if errors else "")
    lines = [f"{':red_circle:' if a['severity'] == ERROR else ':warning:'} *{a['rule']}* — {a['message']}" for a in alerts[:20]]
    if len(alerts) > 20:
        lines.append(f"… and {len(alerts) - 20} more in the alerts table")
    return {"text": headline + "\n" + "\n".join(lines),
            "blocks": [{"type": "header", "text": {"type": "plain_text", "text": headline}},
                       {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}]}


class WebhookError(RuntimeError):
    pass


def post_webhook(url: str, payload: dict, attempts: int = 4, backoff: float = 1.0,
                 sleep: Callable[[float], None] = time.sleep) -> int:
    """POST with retries on connection errors, 429 and 5xx; returns the attempts used. The URL is
    a secret (it authorises posting): it appears in no message."""
    for attempt in range(1, attempts + 1):
        try:
            response = requests.post(url, data=json.dumps(payload), headers={"Content-Type": "application/json"}, timeout=15)
            status = response.status_code
        except requests.RequestException as exc:
            status, detail = None, type(exc).__name__
        else:
            detail = f"HTTP {status}"
            if 200 <= status < 300:
                return attempt
            if status not in (429,) and status < 500:
                raise WebhookError(f"the alert webhook refused the message ({detail}); check {WEBHOOK_ENV}")
        if attempt < attempts:
            sleep(backoff * 2 ** (attempt - 1))
    raise WebhookError(f"the alert webhook did not accept the message after {attempts} attempts ({detail})")
