"""Fetch Cursor's usage days and team snapshots and store them, replacing what the warehouse held for the same
days (a re-run never duplicates). No Dagster import.

A backfill of any length is one run: its days are split into the windows the API allows per request
(`WINDOW_DAYS`); a window Cursor refuses (older than it keeps) is reported in the run's metadata, not fatal.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import duckdb
import polars as pl

from ..ingest.runner import QUARANTINE_SCHEMA
from ..privacy import hash_identities
from ..warehouse import RAW, ensure_bookkeeping, ensure_table, insert_quarantine, now, registered, transaction
from . import responses
from .fetch import CursorSource
from .client import WindowRefused

TABLES = {"events": f"{RAW}.cursor_usage_events", "daily": f"{RAW}.cursor_daily_usage",
          "members": f"{RAW}.cursor_members", "spend": f"{RAW}.cursor_spend"}
SCHEMAS = {"events": responses.EVENT_SCHEMA, "daily": responses.DAILY_SCHEMA, "members": responses.MEMBER_SCHEMA,
           "spend": responses.SPEND_SCHEMA}
GRAIN = {"events": ("event_id",), "daily": ("usage_day", "user_email"), "members": ("snapshot_day", "user_email"),
         "spend": ("snapshot_day", "user_email")}
WINDOW_DAYS = 30  # the usage events endpoint answers at most 30 days per request (daily usage: 90)


@dataclass
class CursorStats:
    records: Counter = field(default_factory=Counter)
    loaded: Counter = field(default_factory=Counter)
    quarantined: Counter = field(default_factory=Counter)
    duplicates: Counter = field(default_factory=Counter)
    replaced: Counter = field(default_factory=Counter)
    windows: int = 0
    days_refused: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def windows(days: list[dt.date], size: int = WINDOW_DAYS) -> list[tuple[dt.date, dt.date]]:
    """Runs of consecutive days, each at most `size` long."""
    out: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if out and day == out[-1][1] + dt.timedelta(days=1) and (day - out[-1][0]).days < size:
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out


def _concat(frames: list[pl.DataFrame], schema: dict) -> pl.DataFrame:
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)


def fetch_days(source: CursorSource, days: list[dt.date], stats: CursorStats) -> dict[str, pl.DataFrame]:
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
                inside = rows.filter(pl.col("usage_day").is_in(wanted))
                if inside.height < rows.height:  # a response with days this run did not ask for: those are their own partitions'
                    stats.notes.append(f"{label}: {rows.height - inside.height} {kind} rows outside the run's days ignored")
                    seen -= rows.height - inside.height
                parts[kind].append(inside)
                parts["quarantine"].append(bad)
                stats.records[kind] += seen
                stats.quarantined[kind] += bad.height
    return {"daily": _concat(parts["daily"], responses.DAILY_SCHEMA), "events": _concat(parts["events"], responses.EVENT_SCHEMA),
            "quarantine": _concat(parts["quarantine"], QUARANTINE_SCHEMA)}


def fetch_team(source: CursorSource, day: dt.date, stats: CursorStats) -> dict[str, pl.DataFrame]:
    parts: dict[str, list[pl.DataFrame]] = {"members": [], "spend": [], "quarantine": []}
    for kind, bodies, parse in (("members", source.members(), responses.members), ("spend", source.spend(), responses.spend)):
        for label, body in bodies:
            rows, bad, seen = parse(body, label, day)
            parts[kind].append(rows)
            parts["quarantine"].append(bad)
            stats.records[kind] += seen
            stats.quarantined[kind] += bad.height
    return {"members": _concat(parts["members"], responses.MEMBER_SCHEMA), "spend": _concat(parts["spend"], responses.SPEND_SCHEMA),
            "quarantine": _concat(parts["quarantine"], QUARANTINE_SCHEMA)}


def _privacy(frame: pl.DataFrame, salt: bytes, keep_names: bool) -> pl.DataFrame:
    if keep_names:
        return frame
    frame = hash_identities(frame, ("user_email",), salt)
    return frame.with_columns(pl.lit(None, pl.String).alias("member_name")) if "member_name" in frame.columns else frame


def store(con: duckdb.DuckDBPyConnection, frames: dict[str, pl.DataFrame], days: list[dt.date], day_column: str,
          salt: bytes, keep_names: bool, stats: CursorStats) -> None:
    """Replace the stored rows of `days` with `frames` (identities hashed unless names are kept) — one transaction."""
    ensure_bookkeeping(con)
    ensure_tables(con)
    stamp = now()
    with transaction(con):
        for kind in (k for k in frames if k != "quarantine"):
            frame = frames[kind]
            unique = frame.unique(subset=list(GRAIN[kind]), keep="first", maintain_order=True)
            stats.duplicates[kind] += frame.height - unique.height
            ready = _privacy(unique, salt, keep_names).with_columns(pl.lit(stamp).alias("ingested_at"))
            stats.replaced[kind] += con.execute(f"DELETE FROM {TABLES[kind]} WHERE {day_column} IN (SELECT unnest(?::DATE[]))",
                                                [days]).fetchone()[0]
            with registered(con, "_cursor_rows", ready):
                con.execute(f"INSERT INTO {TABLES[kind]} BY NAME SELECT * FROM _cursor_rows")
            stats.loaded[kind] += ready.height
        insert_quarantine(con, "cursor", frames["quarantine"])


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The Cursor tables exist (empty) where Cursor is not configured, so dbt's staging models build everywhere."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW}")
    for kind, schema in SCHEMAS.items():
        ensure_table(con, TABLES[kind], pl.DataFrame(schema=schema | {"ingested_at": pl.Datetime("us", "UTC")}))
