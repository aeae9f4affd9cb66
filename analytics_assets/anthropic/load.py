"""Fetch the Claude Code usage report of some days and store it, replacing what the warehouse held for the same days
(a re-run never duplicates; a day Anthropic revised is revised here). No Dagster import.

A backfill of any length is one run: the report answers one day per request (and its pages); a day Anthropic refuses
(older than it keeps, or not aggregated yet) is reported in the run's metadata, not fatal.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from ..ingest.runner import QUARANTINE_SCHEMA
from ..vendor_load import VendorStats, VendorTables, concat, within_days
from ..warehouse import RAW
from . import responses
from .client import DayRefused
from .fetch import AnthropicSource

TABLES = {"usage": f"{RAW}.anthropic_claude_code_usage", "models": f"{RAW}.anthropic_claude_code_models"}
SCHEMAS = {"usage": responses.USAGE_SCHEMA, "models": responses.MODEL_SCHEMA}
ACTOR = ("usage_day", "actor_type", "user_email", "api_key_name", "terminal_type")
GRAIN = {"usage": ACTOR, "models": (*ACTOR, "model")}
ANTHROPIC = VendorTables("anthropic", TABLES, SCHEMAS, GRAIN)


def fetch_days(source: AnthropicSource, days: list[dt.date], stats: VendorStats) -> dict[str, pl.DataFrame]:
    """The report of `days`, parsed: {'usage', 'models', 'quarantine'}."""
    parts: dict[str, list[pl.DataFrame]] = {"usage": [], "models": [], "quarantine": []}
    for day in sorted(set(days)):
        stats.windows += 1
        try:
            pages = source.claude_code(day)
        except DayRefused as exc:
            stats.days_refused.append(str(day))
            stats.notes.append(str(exc))
            continue
        for label, body in pages:
            usage, models, bad, seen = responses.claude_code_usage(body, label)
            inside = within_days(usage, [day], label, "usage", stats)
            seen -= usage.height - inside.height
            models = models.filter(pl.col("usage_day") == day)  # (the models of those records: no note of their own)
            parts["usage"].append(inside)
            parts["models"].append(models)
            parts["quarantine"].append(bad)
            stats.records["usage"] += seen
            stats.records["models"] += models.height
            stats.quarantined["usage"] += bad.height
    return {"usage": concat(parts["usage"], responses.USAGE_SCHEMA), "models": concat(parts["models"], responses.MODEL_SCHEMA),
            "quarantine": concat(parts["quarantine"], QUARANTINE_SCHEMA)}


def store(con: duckdb.DuckDBPyConnection, frames: dict[str, pl.DataFrame], days: list[dt.date], salt: bytes,
          keep_names: bool, stats: VendorStats) -> None:
    """Replace the stored rows of `days` with `frames` (emails hashed unless names are kept) — one transaction."""
    ANTHROPIC.replace_days(con, frames, days, "usage_day", salt, keep_names, stats)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    ANTHROPIC.ensure(con)
