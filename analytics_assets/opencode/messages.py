"""OpenCode's stored messages to rows. No Dagster import.

OpenCode keeps a message as JSON: in its SQLite database (`opencode.db`, `opencode-*.db`: table `message`
with `id`, `session_id` and the message as `data`), and in older versions as files
(`storage/message/<session>/msg_<id>.json`). An assistant message carries `providerID`, `modelID`,
`time.created` (ms), `tokens` (`input`, `output`, `reasoning`, `cache.read`, `cache.write`), its own `cost`
in USD, and `path.cwd` (the folder it ran in). A message is written as it streams (tokens filled in at
the end): the row with the most tokens of a message id is kept.
"""

from __future__ import annotations

import datetime as dt

import orjson
import polars as pl

from ..ingest.runner import QUARANTINE_SCHEMA
from .export import databases, export_database  # noqa: F401  (the ingest's names for them)

SCHEMA = {
    "agent": pl.String, "session_id": pl.String, "message_id": pl.String, "provider": pl.String, "model": pl.String,
    "event_at": pl.Datetime("us", "UTC"), "event_date": pl.Date, "input_tokens": pl.Int64, "output_tokens": pl.Int64,
    "reasoning_tokens": pl.Int64, "cache_read_tokens": pl.Int64, "cache_write_tokens": pl.Int64, "total_tokens": pl.Int64,
    "reported_cost_usd": pl.Float64, "cwd": pl.String, "source_file": pl.String, "source_offset": pl.Int64,
    "record_key_src": pl.String, "attr_errors": pl.String,
}


def _count(value, name: str, errors: list[str]) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            errors.append(f"{name}={value[:40]!r} is not a number")
            return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        errors.append(f"{name} is not a number")
        return None
    return int(value)


def message_row(message: dict, source: str, offset: int) -> dict | None:
    """A message with token counts as a row (None: a user message, or one with no tokens yet)."""
    tokens = message.get("tokens")
    if not isinstance(tokens, dict):
        return None
    errors: list[str] = []
    cache = tokens.get("cache") if isinstance(tokens.get("cache"), dict) else {}
    counts = {
        "input_tokens": _count(tokens.get("input"), "tokens.input", errors) or 0,
        "output_tokens": _count(tokens.get("output"), "tokens.output", errors) or 0,
        "reasoning_tokens": _count(tokens.get("reasoning"), "tokens.reasoning", errors) or 0,
        "cache_read_tokens": _count(cache.get("read"), "tokens.cache.read", errors) or 0,
        "cache_write_tokens": _count(cache.get("write"), "tokens.cache.write", errors) or 0,
        "total_tokens": _count(tokens.get("total"), "tokens.total", errors),
    }
    if not errors and not any(counts[k] for k in counts if k != "total_tokens") and not counts["total_tokens"]:
        return None  # streaming: no tokens yet
    created = (message.get("time") or {}).get("created") if isinstance(message.get("time"), dict) else None
    event_at = None
    if isinstance(created, (int, float)) and not isinstance(created, bool):
        event_at = dt.datetime.fromtimestamp(created / 1000, dt.timezone.utc)
    elif created is not None:
        errors.append(f"time.created={str(created)[:40]!r} is not milliseconds")
    cost = message.get("cost")
    if cost is not None and (isinstance(cost, bool) or not isinstance(cost, (int, float))):
        errors.append("cost is not a number")
        cost = None
    path = message.get("path") if isinstance(message.get("path"), dict) else {}
    message_id = message.get("id") if isinstance(message.get("id"), str) else None
    session = message.get("sessionID") if isinstance(message.get("sessionID"), str) else None
    return {
        "agent": "opencode", "session_id": session, "message_id": message_id,
        "provider": message.get("providerID") if isinstance(message.get("providerID"), str) else None,
        "model": message.get("modelID") if isinstance(message.get("modelID"), str) else None,
        "event_at": event_at, "event_date": event_at.date() if event_at else None, **counts,
        "reported_cost_usd": float(cost) if cost is not None else None,
        "cwd": path.get("cwd") if isinstance(path.get("cwd"), str) else None,
        "source_file": source, "source_offset": offset,
        # One row per message, wherever it was read (a database and a legacy file may both hold it).
        "record_key_src": f"opencode:{message_id}" if message_id else f"opencode:{source}:{offset}",
        "attr_errors": "; ".join(errors) or None,
    }


def parse_lines(sources: list[str], offsets: list[int], lines: list[bytes], raw_bound: int = 4096) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(message rows, quarantine rows, lines with no usage): each line one message (a file's document, or a
    database row exported as a line)."""
    rows, bad, skipped = [], [], 0
    for source, offset, line in zip(sources, offsets, lines):
        try:
            message = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            bad.append({"source_file": source, "source_offset": offset, "signal": "opencode_messages",
                        "reason": f"not JSON: {exc}"[:300], "raw_text": line[:raw_bound].decode("utf-8", "replace")})
            continue
        row = message_row(message, source, offset) if isinstance(message, dict) else None
        if row is None:
            skipped += 1
        else:
            rows.append(row)
    frame = pl.DataFrame(rows, schema=SCHEMA, orient="row") if rows else pl.DataFrame(schema=SCHEMA)
    return frame, pl.DataFrame(bad, schema=QUARANTINE_SCHEMA, orient="row") if bad else pl.DataFrame(schema=QUARANTINE_SCHEMA), skipped


