"""Gemini CLI's saved chats (`~/.gemini/tmp/<project hash>/chats/*.json`, and `*.jsonl`) to message rows.
No Dagster import.

Gemini CLI records a conversation as one JSON document, rewritten as it grows (pretty-printed: the
runner re-reads it whole when it changes, and rows already stored are skipped by key): `sessionId`,
`projectHash`, `startTime`, and `messages`, where each `type: "gemini"` message carries `model` and
`tokens` — `input` (the prompt, cached part included), `output`, `cached`, `thoughts`, `tool` (tool-use
prompt) and `total`. Newer versions and ccusage's fixtures also write JSON lines: a session header, then
one message a line. Both shapes are read; a message's model falls back to the last model line of its
file, its session to the header's or the file's name (as ccusage reads them).

Tokens are kept as Gemini reports them; dbt (stg_gemini_messages) splits the cached part out of input
and bills thoughts as output, as Google does.
"""

from __future__ import annotations

import datetime as dt
import os

import orjson
import polars as pl

from ..ingest.runner import QUARANTINE_SCHEMA

TOKEN_KEYS = {  # our column -> the keys Gemini CLI versions use for it
    "input_tokens": ("input", "prompt", "input_tokens", "prompt_tokens"),
    "output_tokens": ("output", "candidates", "output_tokens", "candidates_tokens"),
    "cached_tokens": ("cached", "cached_tokens"),
    "thoughts_tokens": ("thoughts", "reasoning", "thoughts_tokens", "reasoning_tokens"),
    "tool_tokens": ("tool", "tool_tokens"),
    "total_tokens": ("total", "total_tokens"),
}
SCHEMA = {
    "agent": pl.String, "session_id": pl.String, "message_id": pl.String, "project_hash": pl.String, "model": pl.String,
    "event_at": pl.Datetime("us", "UTC"), "event_date": pl.Date,
    **{column: pl.Int64 for column in TOKEN_KEYS},
    "source_file": pl.String, "source_offset": pl.Int64, "record_key_src": pl.String, "attr_errors": pl.String,
}


def _timestamp(value) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)).astimezone(dt.timezone.utc)


def _tokens(tokens: dict, errors: list[str]) -> dict:
    """The six counts; a count that is not a number (or a numeric string) is an error, never a silent 0."""
    out = {}
    for column, keys in TOKEN_KEYS.items():
        key = next((k for k in keys if tokens.get(k) is not None), None)
        value = tokens.get(key) if key else None
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                errors.append(f"tokens.{key}={value[:40]!r} is not a number")
                value = None
        if isinstance(value, bool) or (value is not None and not isinstance(value, (int, float))):
            errors.append(f"tokens.{key} is not a number")
            value = None
        out[column] = int(value) if value is not None else (None if column == "total_tokens" else 0)
    return out


def _message_row(message: dict, session: str, model: str | None, project: str | None, fallback_at, source: str,
                 offset: int, index: int) -> dict | None:
    tokens = message.get("tokens")
    if not isinstance(tokens, dict):
        return None
    errors: list[str] = []
    counts = _tokens(tokens, errors)
    stamp_text = message.get("timestamp") or message.get("created_at")
    event_at = _timestamp(stamp_text) or fallback_at
    if stamp_text and _timestamp(stamp_text) is None:
        errors.append(f"timestamp={str(stamp_text)[:40]!r} is not ISO 8601")
    message_id = message.get("id") if isinstance(message.get("id"), str) else None
    model = message.get("model") if isinstance(message.get("model"), str) and message.get("model") else model
    return {
        "agent": "gemini_cli", "session_id": session, "message_id": message_id, "project_hash": project,
        "model": model or "unknown", "event_at": event_at, "event_date": event_at.date() if event_at else None, **counts,
        "source_file": source, "source_offset": offset,
        # One row per message: a rewritten chat repeats its messages, and the key skips them.
        "record_key_src": f"gemini:{session}:{message_id}" if message_id else f"gemini:{source}:{offset}:{index}",
        "attr_errors": "; ".join(errors) or None,
    }


def parse_lines(sources: list[str], offsets: list[int], lines: list[bytes], raw_bound: int = 4096) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(message rows, quarantine rows, lines with no message): a line is a whole chat document or one
    JSON line of a .jsonl chat."""
    rows, bad, skipped = [], [], 0
    carry: dict[str, tuple[str | None, str | None]] = {}  # file -> (session, model) from its earlier lines
    for source, offset, line in zip(sources, offsets, lines):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            bad.append({"source_file": source, "source_offset": offset, "signal": "gemini_messages",
                        "reason": f"not JSON: {exc}"[:300], "raw_text": line[:raw_bound].decode("utf-8", "replace")})
            continue
        if not isinstance(record, dict):
            skipped += 1
            continue
        stem = os.path.splitext(os.path.basename(source))[0]
        session, model = carry.get(source, (None, None))
        session = record.get("sessionId") or record.get("session_id") or session or stem
        model = record.get("model") if isinstance(record.get("model"), str) and record.get("model") else model
        carry[source] = (session, model)
        project = record.get("projectHash") if isinstance(record.get("projectHash"), str) else None
        start = _timestamp(record.get("startTime")) or _timestamp(record.get("lastUpdated"))
        found = 0
        if isinstance(record.get("messages"), list):
            for index, message in enumerate(record["messages"]):
                if isinstance(message, dict) and message.get("type") == "gemini":
                    row = _message_row(message, session, model, project, start, source, offset, index)
                    if row:
                        rows.append(row)
                        found += 1
        elif record.get("type") == "gemini":
            row = _message_row(record, session, model, project, start, source, offset, 0)
            if row:
                rows.append(row)
                found += 1
        skipped += not found
    frame = pl.DataFrame(rows, schema=SCHEMA, orient="row") if rows else pl.DataFrame(schema=SCHEMA)
    return frame, pl.DataFrame(bad, schema=QUARANTINE_SCHEMA, orient="row") if bad else pl.DataFrame(schema=QUARANTINE_SCHEMA), skipped
