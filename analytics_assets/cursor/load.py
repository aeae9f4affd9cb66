"""Fetch Cursor's usage days and team snapshots and store them, replacing what the warehouse held for the same
days (a re-run never duplicates). No Dagster import.

A backfill of any length is one run: its days are split into the windows the API allows per request
(`WINDOW_DAYS`); a window Cursor refuses (older than it keeps) is reported in the run's metadata, not fatal.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from ..ingest.runner import QUARANTINE_SCHEMA
from ..vendor_load import VendorStats, VendorTables, concat, within_days
from ..warehouse import RAW
from . import responses
from .client import WindowRefused
from .fetch import CursorSource

TABLES = {"events": f"{RAW}.cursor_usage_events", "daily": f"{RAW}.cursor_daily_usage",
          "members": f"{RAW}.cursor_members", "spend": f"{RAW}.cursor_spend"}
SCHEMAS = {"events": responses.EVENT_SCHEMA, "daily": responses.DAILY_SCHEMA, "members": responses.MEMBER_SCHEMA,
           "spend": responses.SPEND_SCHEMA}
GRAIN = {"events": ("event_id",), "daily": ("usage_day", "user_email"), "members": ("snapshot_day", "user_email"),
         "spend": ("snapshot_day", "user_email")}
CURSOR = VendorTables("cursor", TABLES, SCHEMAS, GRAIN)
WINDOW_DAYS = 30  # the usage events endpoint answers at most 30 days per request (daily usage: 90)


def windows(days: list[dt.date], size: int = WINDOW_DAYS) -> list[tuple[dt.date, dt.date]]:
    """Runs of consecutive days, each at most `size` long."""
    out: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if out and day == out[-1][1] + dt.timedelta(days=1) and (day - out[-1][0]).days < size:
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out


def fetch_days(source: CursorSource, days: list[dt.date], stats: VendorStats) -> dict[str, pl.DataFrame]:
    """Daily usage and usage events of `days`, parsed: {'daily', 'events', 'quarantine'}."""
    wanted = set(days)
    parts: dict[str, list[pl.DataFrame]] = {"daily": [], "events": [], "quarantine": []}
    for start, end in windows(days):
        stats.windows += 1
        try:
            bodies = {"daily": source.daily_usage(start, end), "events": source.usage_events(start, end)}
        except WindowRefused as exc:
            stats.days_refused.append(f"{start}..{end}")
            stats.notes.append(str(exc))
            continue
        for kind, parse in (("daily", responses.daily_usage), ("events", responses.usage_events)):
            for label, body in bodies[kind]:
                rows, bad, seen = parse(body, label)
                inside = within_days(rows, wanted, label, kind, stats)
                seen -= rows.height - inside.height
                parts[kind].append(inside)
                parts["quarantine"].append(bad)
                stats.records[kind] += seen
                stats.quarantined[kind] += bad.height
    return {"daily": concat(parts["daily"], responses.DAILY_SCHEMA), "events": concat(parts["events"], responses.EVENT_SCHEMA),
            "quarantine": concat(parts["quarantine"], QUARANTINE_SCHEMA)}


def fetch_team(source: CursorSource, day: dt.date, stats: VendorStats) -> dict[str, pl.DataFrame]:
    parts: dict[str, list[pl.DataFrame]] = {"members": [], "spend": [], "quarantine": []}
    for kind, bodies, parse in (("members", source.members(), responses.members), ("spend", source.spend(), responses.spend)):
        for label, body in bodies:
            rows, bad, seen = parse(body, label, day)
            parts[kind].append(rows)
            parts["quarantine"].append(bad)
            stats.records[kind] += seen
            stats.quarantined[kind] += bad.height
    return {"members": concat(parts["members"], responses.MEMBER_SCHEMA), "spend": concat(parts["spend"], responses.SPEND_SCHEMA),
            "quarantine": concat(parts["quarantine"], QUARANTINE_SCHEMA)}


def store(con: duckdb.DuckDBPyConnection, frames: dict[str, pl.DataFrame], days: list[dt.date], day_column: str,
          salt: bytes, keep_names: bool, stats: VendorStats) -> None:
    """Replace the stored rows of `days` with `frames` (identities hashed unless names are kept) — one transaction."""
    CURSOR.replace_days(con, frames, days, day_column, salt, keep_names, stats)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    CURSOR.ensure(con)
