"""Fetch Copilot report days and seat snapshots and store them, replacing what the warehouse held
for the same days (a re-run or a re-published report never duplicates). No Dagster import."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import duckdb
import polars as pl

from ..ingest.runner import QUARANTINE_SCHEMA, quarantine_rows
from ..privacy import hash_identities
from ..validation import split_valid
from ..warehouse import RAW, ensure_bookkeeping, ensure_table, insert_quarantine, now, registered, transaction
from .fetch import CopilotSource, Target
from .reports import RAW_TEXT_LIMIT, SEAT_SCHEMA, USAGE_SCHEMA, USER_SCHEMA, parse_report, parse_seats
from .schemas import SCHEMAS

TABLES = {"usage": f"{RAW}.copilot_usage", "users": f"{RAW}.copilot_user_usage", "seats": f"{RAW}.copilot_seats"}
USERS_REPORT = "users-1-day"
IDENTITY_COLUMNS = {"users": ("user_login", "user_id"), "seats": ("assignee_login", "assignee_id")}
# The grain of each table: a report (or two files of one day) naming the same row twice loads it once.
GRAIN = {"usage": ("report_day", "scope_name", "breakdown", "ide", "feature", "language", "model"),
         "users": ("report_day", "scope_name", "window_days", "user_id", "user_login"),
         "seats": ("snapshot_day", "scope_name", "assignee_id", "assignee_login")}


@dataclass
class CopilotStats:
    records: Counter = field(default_factory=Counter)      # per frame: records read
    loaded: Counter = field(default_factory=Counter)
    quarantined: Counter = field(default_factory=Counter)
    replaced: Counter = field(default_factory=Counter)     # rows of earlier runs for the same days
    duplicates: Counter = field(default_factory=Counter)   # the same row twice in what was fetched
    files: int = 0
    days_without_report: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _privacy(frame: pl.DataFrame, kind: str, salt: bytes, keep_names: bool) -> pl.DataFrame:
    columns = IDENTITY_COLUMNS.get(kind, ())
    if not columns:
        return frame
    # Logins are case-insensitive on GitHub; the config's are lowered the same way before hashing.
    frame = frame.with_columns(pl.col(columns[0]).str.to_lowercase())
    return frame if keep_names else hash_identities(frame, columns, salt)


def fetch_days(source: CopilotSource, targets: list[Target], days: list[dt.date], stats: CopilotStats) -> dict[str, pl.DataFrame]:
    """Every report of `days` for every target, parsed: {'usage', 'users', 'quarantine'}."""
    frames = {"usage": [], "users": [], "quarantine": []}
    wanted = set(days)
    for target in targets:
        for day in days:
            found = False
            for report, kind in ((target.usage_report(), "usage"), (USERS_REPORT, "users")):
                for file in source.report(target, report, day):
                    found = True
                    stats.files += 1
                    parsed = parse_report(file.text, file.label, target.scope, target.name, kind)
                    frame = parsed.usage if kind == "usage" else parsed.users
                    outside = frame.filter(~pl.col("report_day").is_in(wanted))
                    if outside.height:  # a file for day D that also carries other days: those belong to their own partitions
                        stats.notes.append(f"{file.label}: {outside.height} rows for days outside this run ignored")
                    inside = frame.filter(pl.col("report_day").is_in(wanted))
                    frames[kind].append(inside)
                    frames["quarantine"].append(parsed.quarantine)
                    stats.quarantined[kind] += parsed.quarantine.height
                    # Rows in = rows loaded + rows quarantined (a usage record is several breakdown rows).
                    stats.records[kind] += inside.height + parsed.quarantine.height
            if not found:
                stats.days_without_report.append(f"{target.name}:{day}")
    return {
        "usage": pl.concat(frames["usage"]) if frames["usage"] else pl.DataFrame(schema=USAGE_SCHEMA),
        "users": pl.concat(frames["users"]) if frames["users"] else pl.DataFrame(schema=USER_SCHEMA),
        "quarantine": pl.concat(frames["quarantine"]) if frames["quarantine"] else pl.DataFrame(schema=QUARANTINE_SCHEMA),
    }


def _replace(con: duckdb.DuckDBPyConnection, kind: str, frame: pl.DataFrame, day_column: str,
             days: list[dt.date], targets: list[Target]) -> int:
    """Delete the stored rows of these days and targets, insert `frame`; returns rows replaced."""
    table = TABLES[kind]
    ensure_table(con, table, frame)
    names = [t.name for t in targets]
    replaced = con.execute(
        f"DELETE FROM {table} WHERE {day_column} IN (SELECT unnest(?::DATE[])) AND scope_name IN (SELECT unnest(?::VARCHAR[]))",
        [days, names],
    ).fetchone()[0]
    with registered(con, "_copilot_rows", frame):
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _copilot_rows")
    return replaced


def store(con: duckdb.DuckDBPyConnection, frames: dict[str, pl.DataFrame], days: list[dt.date], targets: list[Target],
          salt: bytes, keep_names: bool, stats: CopilotStats, day_column: str = "report_day") -> None:
    """Validate (bad rows to quarantine), hash identities, and replace the days — one transaction."""
    ensure_bookkeeping(con)
    stamp = now()
    quarantine = [frames["quarantine"]]
    ready = {}
    for kind in (k for k in frames if k != "quarantine"):
        good, bad = split_valid(SCHEMAS[kind], frames[kind])
        unique = good.unique(subset=list(GRAIN[kind]), keep="first", maintain_order=True)
        stats.duplicates[kind] += good.height - unique.height
        good = unique
        stats.quarantined[kind] += bad.height
        quarantine.append(quarantine_rows(bad, kind, [c for c in bad.columns if c != "reason"], RAW_TEXT_LIMIT))
        ready[kind] = _privacy(good.drop("attr_errors"), kind, salt, keep_names).with_columns(pl.lit(stamp).alias("ingested_at"))
    with transaction(con):
        for kind, frame in ready.items():
            stats.replaced[kind] += _replace(con, kind, frame, day_column, days, targets)
            stats.loaded[kind] += frame.height
        insert_quarantine(con, "copilot", pl.concat([q.cast(QUARANTINE_SCHEMA) for q in quarantine]))


def fetch_seats(source: CopilotSource, targets: list[Target], stats: CopilotStats) -> tuple[dict[str, pl.DataFrame], list[dt.date]]:
    seats, bad, days = [], [], set()
    for target in targets:
        for day, label, items in source.seats(target):
            frame, quarantine = parse_seats(items, day, target.scope, target.name, label)
            stats.quarantined["seats"] += quarantine.height
            stats.files += 1
            stats.records["seats"] += len(items)
            seats.append(frame)
            bad.append(quarantine)
            days.add(day)
    return ({"seats": pl.concat(seats) if seats else pl.DataFrame(schema=SEAT_SCHEMA),
             "quarantine": pl.concat(bad) if bad else pl.DataFrame(schema=QUARANTINE_SCHEMA)}, sorted(days))


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The Copilot tables exist (empty) even where Copilot is not configured, so dbt's staging
    models build everywhere; a configured source fills them."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW}")
    stamp = {"ingested_at": pl.Datetime("us", "UTC")}
    for kind, schema in (("usage", USAGE_SCHEMA), ("users", USER_SCHEMA), ("seats", SEAT_SCHEMA)):
        shape = {k: v for k, v in schema.items() if k != "attr_errors"} | stamp
        ensure_table(con, TABLES[kind], pl.DataFrame(schema=shape))
