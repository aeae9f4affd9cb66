"""Claude Code transcript lines (`projects/<project>/<session>.jsonl`) to request rows. Pure polars.

Only assistant lines with `message.usage` are requests; every other line (user turns, summaries,
tool results) is skipped without decoding (`"usage"` is not in it), which is most of the bytes.
Streaming writes the same response several times with growing output tokens: all those lines
are kept here (each line is idempotent by its content hash) and deduplicated in dbt, keeping
the line with the largest token total per `message.id` + `requestId`, so a later chunk that
carries a larger version of a response already loaded still wins.
"""

from __future__ import annotations

import polars as pl

from ..ingest.jsonlines import decode_wanted
from ..ingest.runner import QUARANTINE_SCHEMA

S = pl.String
USAGE = pl.Struct(
    {
        "input_tokens": S,
        "output_tokens": S,
        "cache_creation_input_tokens": S,
        "cache_read_input_tokens": S,
        "cache_creation": pl.Struct({"ephemeral_5m_input_tokens": S, "ephemeral_1h_input_tokens": S}),
        "speed": S,  # "fast" for fast-mode requests (priced at a premium by Anthropic)
    }
)
LINE = pl.Struct(
    {
        "type": S,
        "uuid": S,
        "timestamp": S,
        "sessionId": S,
        "cwd": S,
        "gitBranch": S,
        "version": S,
        "isSidechain": S,
        "requestId": S,
        "costUSD": S,
        "message": pl.Struct({"id": S, "model": S, "usage": USAGE}),
    }
)
TOKEN_FIELDS = {
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "cache_creation_tokens": "cache_creation_input_tokens",
    "cache_read_tokens": "cache_read_input_tokens",
}


def _int(text: pl.Expr, name: str) -> tuple[pl.Expr, pl.Expr]:
    """(value, error): numbers may come as strings ("100"); anything else is an error, not a 0."""
    as_float = text.cast(pl.Float64, strict=False)
    value = pl.coalesce(text.cast(pl.Int64, strict=False), pl.when(as_float == as_float.floor()).then(as_float.cast(pl.Int64)))
    error = pl.when(text.is_not_null() & value.is_null()).then(pl.lit(f"{name}=") + text.str.head(40) + pl.lit(" is not an integer"))
    return value, error


def parse_timestamp(text: pl.Expr) -> pl.Expr:
    return text.str.to_datetime(time_unit="us", time_zone="UTC", strict=False, ambiguous="earliest")


def timestamp_error(text: pl.Expr, parsed: pl.Expr) -> pl.Expr:
    """A timestamp that is there but unreadable is an error; a missing one is allowed (old lines)."""
    return pl.when(text.is_not_null() & parsed.is_null()).then(pl.lit("timestamp=") + text.str.head(40) + pl.lit(" is not ISO 8601"))


def parse_lines(sources: list[str], offsets: list[int], lines: list[bytes], raw_bound: int = 4096) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(request rows, quarantine rows, lines skipped as not requests)."""
    decoded, quarantine, skipped = decode_wanted(sources, offsets, lines, (b'"usage"',), LINE, "a Claude Code transcript line", raw_bound)
    rows = _rows(decoded)
    return rows, pl.DataFrame(quarantine, schema=QUARANTINE_SCHEMA), skipped


def _rows(decoded: pl.DataFrame) -> pl.DataFrame:
    line = pl.col("request")
    message, usage = line.struct.field("message"), line.struct.field("message").struct.field("usage")
    tokens, errors = [], []
    for column, field in TOKEN_FIELDS.items():
        value, error = _int(usage.struct.field(field), field)
        tokens.append(value.alias(column))
        errors.append(error)
    split = usage.struct.field("cache_creation")
    for column, field in (("cache_creation_5m_tokens", "ephemeral_5m_input_tokens"), ("cache_creation_1h_tokens", "ephemeral_1h_input_tokens")):
        value, error = _int(split.struct.field(field), field)
        tokens.append(value.alias(column))
        errors.append(error)
    cost = line.struct.field("costUSD")
    cost_value = cost.cast(pl.Float64, strict=False)
    errors.append(pl.when(cost.is_not_null() & cost_value.is_null()).then(pl.lit("costUSD=") + cost.str.head(40) + pl.lit(" is not a number")))
    timestamp = parse_timestamp(line.struct.field("timestamp"))
    errors.append(timestamp_error(line.struct.field("timestamp"), timestamp))
    cwd = line.struct.field("cwd")
    out = decoded.filter(usage.is_not_null()).select(
        pl.lit("claude_code").alias("agent"),
        line.struct.field("sessionId").alias("session_id"),
        message.struct.field("id").alias("message_id"),
        line.struct.field("requestId").alias("request_id"),
        message.struct.field("model").alias("model"),
        usage.struct.field("speed").alias("speed"),
        timestamp.alias("event_at"),
        timestamp.dt.date().alias("event_date"),
        *tokens,
        cost_value.alias("reported_cost_usd"),
        line.struct.field("version").alias("agent_version"),
        (line.struct.field("isSidechain").str.to_lowercase() == "true").fill_null(False).alias("is_sidechain"),
        line.struct.field("gitBranch").alias("git_branch"),
        cwd.alias("cwd"),
        # The project as people name it: the last folder of cwd, else the transcript's folder name.
        pl.coalesce(cwd.str.extract(r"([^/\\]+)[/\\]*$"), pl.col("source_file").str.extract(r"projects/([^/]+)/")).alias("project"),
        pl.col("source_file"),
        pl.col("source_offset"),
        pl.concat_str(errors, separator="; ", ignore_nulls=True).alias("attr_errors"),
        # Idempotence: the same line read twice (a copy, a rotated file) has the same key: the
        # line's own uuid within its session (each streaming write has its own), else its text. A line without ids is a
        # request of its own even when another line has the same bytes, so its place is in its key.
        pl.when(message.struct.field("id").is_not_null() & line.struct.field("requestId").is_not_null())
        .then(pl.coalesce(pl.concat_str(pl.lit("uuid"), line.struct.field("sessionId"), line.struct.field("uuid"), separator=":"), pl.col("line")))
        .otherwise(pl.concat_str(pl.col("source_file"), pl.col("source_offset").cast(S), pl.col("line"), separator="\x1e"))
        .alias("record_key_src"),
    )
    return out.with_columns(
        pl.when(pl.col("attr_errors") != "").then(pl.col("attr_errors")).alias("attr_errors"),
    )
