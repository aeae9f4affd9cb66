"""Codex CLI session logs (`sessions/YYYY/MM/DD/rollout-*.jsonl`) to event rows. Pure polars.

Kept: `session_meta` (session id, cwd), `turn_context` (the model of the turns that follow) and
`event_msg` / `token_count` (cumulative token totals, plus the last turn's usage). Per-turn
deltas and the model in force are computed in dbt with window functions over the file's
offsets, so a session split across several incremental runs is still differenced correctly.
"""

from __future__ import annotations

import polars as pl

from ..ingest.jsonlines import decode_wanted
from ..ingest.runner import QUARANTINE_SCHEMA
from .claude import _int, parse_timestamp, timestamp_error

S = pl.String
USAGE_FIELDS = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens", "total_tokens")
USAGE = pl.Struct({f: S for f in USAGE_FIELDS})
LINE = pl.Struct(
    {
        "timestamp": S,
        "type": S,
        "payload": pl.Struct(
            {
                "type": S,
                "id": S,
                "cwd": S,
                "model": S,
                "info": pl.Struct({"model": S, "total_token_usage": USAGE, "last_token_usage": USAGE}),
            }
        ),
    }
)
KINDS = (b'"turn_context"', b'"token_count"', b'"session_meta"')


def parse_lines(sources: list[str], offsets: list[int], lines: list[bytes], raw_bound: int = 4096) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(event rows, quarantine rows, lines skipped as irrelevant)."""
    decoded, quarantine, skipped = decode_wanted(sources, offsets, lines, KINDS, LINE, "a Codex session line", raw_bound)
    rows = _rows(decoded)
    return rows, pl.DataFrame(quarantine, schema=QUARANTINE_SCHEMA), skipped


def _rows(decoded: pl.DataFrame) -> pl.DataFrame:
    line = pl.col("request")
    payload = line.struct.field("payload")
    info = payload.struct.field("info")
    kind = pl.when(line.struct.field("type") == "event_msg").then(payload.struct.field("type")).otherwise(line.struct.field("type"))
    columns, errors = [], []
    for prefix, usage in (("total", info.struct.field("total_token_usage")), ("last", info.struct.field("last_token_usage"))):
        for field in USAGE_FIELDS:
            value, error = _int(usage.struct.field(field), f"{prefix}_token_usage.{field}")
            columns.append(value.alias(f"{prefix}_{field}"))
            errors.append(error)
    timestamp = parse_timestamp(line.struct.field("timestamp"))
    errors.append(timestamp_error(line.struct.field("timestamp"), timestamp))
    out = decoded.with_columns(kind.alias("event_type")).filter(pl.col("event_type").is_in(["turn_context", "token_count", "session_meta"]))
    out = out.select(
        pl.lit("codex").alias("agent"),
        "event_type",
        # A rollout file is one session; its name ends with the session id.
        pl.coalesce(
            pl.col("source_file").str.extract(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$"),
            pl.col("source_file"),
        ).alias("session_id"),
        pl.coalesce(info.struct.field("model"), payload.struct.field("model")).alias("model"),
        payload.struct.field("cwd").alias("cwd"),
        timestamp.alias("event_at"),
        timestamp.dt.date().alias("event_date"),
        *columns,
        "source_file",
        "source_offset",
        pl.concat_str(errors, separator="; ", ignore_nulls=True).alias("attr_errors"),
        pl.col("line").alias("record_key_src"),
    )
    return out.with_columns(pl.when(pl.col("attr_errors") != "").then(pl.col("attr_errors")).alias("attr_errors"))
