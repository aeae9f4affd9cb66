"""What retention purges, table by table, and the purge itself (pure DuckDB; no Dagster here).

Raw rows go after `raw_days` (default 180), the daily marts after `daily_marts_days` (3 years), each
table overridable. Two guards keep history correct:
- days whose daily-mart partition has not been rebuilt since their newest raw rows arrived ("held"
  days, found by the caller) are not purged: their partition still needs those rows;
- Codex events carry cumulative token counters, so a session is purged whole or not at all (a
  half-purged session would turn its first kept counter into one huge delta).
Every day that lost raw rows of a daily-mart source is recorded in raw.purged_days; the daily marts
never rebuild those days, so aggregates outlive the raw rows they were built from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

import duckdb

from ..project_config import RetentionConfig
from ..warehouse import PURGED_DAYS, ensure_bookkeeping, now, table_exists

# Raw tables and the column that dates a row. Git commits, pull requests, refs, cursors and
# identities are not here: they are small, and attribution reads the whole history.
RAW_DATES = {
    "raw.otlp_spans": "event_date",
    "raw.otlp_logs": "event_date",
    "raw.otlp_metric_points": "event_date",
    "raw.claude_requests": "event_date",
    "raw.codex_events": "event_date",
    "raw.copilot_usage": "report_day",
    "raw.copilot_user_usage": "report_day",
    "raw.copilot_seats": "snapshot_day",
    "raw.quarantine": "quarantined_at",
}
# The raw tables the daily marts are built from: only their days can be held back.
FEEDS_DAILY_MARTS = frozenset(RAW_DATES) - {"raw.copilot_seats", "raw.quarantine"}
WHOLE_SESSIONS = {"raw.codex_events": "session_id"}
DAILY_MARTS = {
    "marts.fct_daily_agent_usage": "event_date",
    "marts.fact_cost_daily": "event_date",
    "marts.fct_copilot_usage": "report_day",
    "marts.fct_copilot_user_daily": "report_day",
}


@dataclass(frozen=True)
class Purge:
    table: str
    column: str
    days: int  # 0: kept forever
    cutoff: dt.date | None  # rows dated before it go
    held: tuple[dt.date, ...] = ()
    rows: int = 0


def plan(config: RetentionConfig, today: dt.date) -> list[Purge]:
    purges = []
    for table, column in {**RAW_DATES, **DAILY_MARTS}.items():
        days = config.days(table)
        purges.append(Purge(table, column, days, today - dt.timedelta(days=days) if days else None))
    return purges


def purge(con: duckdb.DuckDBPyConnection, item: Purge, held: Iterable[dt.date]) -> Purge:
    """Delete `item.table`'s rows dated before the cutoff, except on held days; returns the purge with
    the rows deleted and the days held back (only those that had rows to purge)."""
    if item.cutoff is None or not table_exists(con, item.table):
        return item
    day = f"CAST({item.column} AS DATE)"
    held = sorted({d for d in held if d < item.cutoff}) if item.table in FEEDS_DAILY_MARTS else []
    held_days = con.execute(f"SELECT DISTINCT {day} FROM {item.table} WHERE {day} IN (SELECT unnest(?::DATE[])) ORDER BY 1",
                            [held]).fetchall() if held else []
    old = f"{day} < ? AND {day} NOT IN (SELECT unnest(?::DATE[]))"
    params = [item.cutoff, held]
    if item.table in WHOLE_SESSIONS:
        session = WHOLE_SESSIONS[item.table]
        # A session goes when its newest row is purgeable; sessionless rows go by their own date.
        old = (f"({session} IS NULL AND {old}) OR {session} IN (SELECT {session} FROM {item.table} "
               f"WHERE {session} IS NOT NULL GROUP BY 1 HAVING bool_and({old}))")
        params = params + params
    rows = con.execute(f"SELECT count(*) FROM {item.table} WHERE {old}", params).fetchone()[0]
    if rows and item.table in FEEDS_DAILY_MARTS:
        ensure_bookkeeping(con)
        # a day once: by anti-join, not a key constraint (a DuckLake lake has none)
        con.execute(f"INSERT INTO {PURGED_DAYS} SELECT DISTINCT {day}, ? FROM {item.table} WHERE ({old}) "
                    f"AND {day} NOT IN (SELECT day FROM {PURGED_DAYS})", [now(), *params])
    if rows:
        con.execute(f"DELETE FROM {item.table} WHERE {old}", params)
    return Purge(item.table, item.column, item.days, item.cutoff, tuple(d for (d,) in held_days), rows)
