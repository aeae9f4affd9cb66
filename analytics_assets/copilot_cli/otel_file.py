"""GitHub Copilot CLI's OpenTelemetry file export (`COPILOT_OTEL_EXPORTER_TYPE=file`: one JSON record a line, in
`~/.copilot/otel/*.jsonl` or the file COPILOT_OTEL_FILE_EXPORTER_PATH names) to usage rows. No Dagster import.

A record is a span (`type: "span"`, `traceId`, `spanId`, `name`, `endTime: [seconds, nanos]`, `attributes`) or a
log record (`event.name` in its attributes, or a body). Usage is in the GenAI semantic conventions' attributes:
`gen_ai.usage.input_tokens` (cache reads included), `output_tokens`, `cache_read.input_tokens`,
`cache_creation.input_tokens` (or `cache_write`), `reasoning.output_tokens` (a part of the output, as OpenAI
counts a completion), `total_tokens`; the model in
`gen_ai.response.model` / `gen_ai.request.model`; the session in `gen_ai.conversation.id` and its kin.

One model call can be reported four times: a `chat` span, an inference-details log, an agent-turn log and the
`invoke_agent` summary span. Every one is stored with its kind, trace and response id; dbt keeps the most
precise one of each call (stg_copilot_cli_usage), the order ccusage uses.
"""

from __future__ import annotations

import datetime as dt

import orjson
import polars as pl

from ..ingest.runner import QUARANTINE_SCHEMA

MODEL_ATTRS = ("gen_ai.response.model", "gen_ai.request.model")
SESSION_ATTRS = (("gen_ai.conversation.id", 3), ("copilot_chat.session_id", 3), ("copilot_chat.chat_session_id", 3),
                 ("session.id", 3), ("github.copilot.interaction_id", 2), ("gen_ai.response.id", 1))
KINDS = ("chat", "inference_log", "agent_turn", "agent_summary")  # most precise first
SCHEMA = {
    "agent": pl.String, "kind": pl.String, "trace_id": pl.String, "span_id": pl.String, "response_id": pl.String,
    "session_id": pl.String, "model": pl.String, "event_at": pl.Datetime("us", "UTC"), "event_date": pl.Date,
    "input_tokens": pl.Int64, "output_tokens": pl.Int64, "cache_read_tokens": pl.Int64, "cache_creation_tokens": pl.Int64,
    "reasoning_tokens": pl.Int64, "source_file": pl.String, "source_offset": pl.Int64, "record_key_src": pl.String,
    "attr_errors": pl.String,
}


def _text(value) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _number(value) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, (int, float)):
        return max(int(value), 0) if value == value else 0
    if isinstance(value, str):
        try:
            return max(int(value.strip()), 0)
        except ValueError:
            return 0
    return 0


def _first(attributes: dict, keys) -> int:
    return next((n for n in (_number(attributes.get(k)) for k in keys) if n > 0), 0)


def _is_span(record: dict) -> bool:
    if isinstance(record.get("type"), str):
        return record["type"] == "span"
    return _text(record.get("name")) is not None and any(k in record for k in ("spanId", "traceId", "startTime", "endTime", "kind"))


def kind_of(record: dict, attributes: dict) -> str | None:
    operation, name, event = attributes.get("gen_ai.operation.name"), _text(record.get("name")) or "", attributes.get("event.name")
    body = _text(record.get("body")) or _text(record.get("_body")) or ""
    if _is_span(record):
        if operation == "chat" or name.startswith("chat "):
            return "chat"
        if operation == "invoke_agent" or name.startswith("invoke_agent "):
            return "agent_summary"
        return None
    if event == "gen_ai.client.inference.operation.details" or body.startswith("GenAI inference:"):
        return "inference_log"
    if event == "copilot_chat.agent.turn" or body.startswith("copilot_chat.agent.turn"):
        return "agent_turn"
    return None


def _timestamp(record: dict) -> dt.datetime | None:
    for key in ("endTime", "startTime", "hrTime", "_hrTime", "time"):
        parts = record.get(key)
        if isinstance(parts, list) and len(parts) >= 2:
            return dt.datetime.fromtimestamp(_number(parts[0]) + _number(parts[1]) / 1e9, dt.timezone.utc)
    for key in ("timestamp", "observedTimestamp"):
        raw = _number(record.get(key))
        if raw:
            seconds = raw / 1e9 if raw >= 10**17 else raw / 1e6 if raw >= 10**14 else raw / 1e3 if raw >= 10**11 else raw
            return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
    raw = _number(record.get("timeUnixNano"))
    return dt.datetime.fromtimestamp(raw / 1e9, dt.timezone.utc) if raw else None


def _trace_id(record: dict) -> str | None:
    context = record.get("spanContext") if isinstance(record.get("spanContext"), dict) else {}
    return _text(record.get("traceId")) or _text(context.get("traceId"))


def _span_id(record: dict) -> str | None:
    context = record.get("spanContext") if isinstance(record.get("spanContext"), dict) else {}
    return _text(record.get("spanId")) or _text(context.get("spanId"))


def _session(attributes: dict) -> str | None:
    found = [(priority, _text(attributes.get(key))) for key, priority in SESSION_ATTRS if _text(attributes.get(key))]
    return max(found, key=lambda f: f[0])[1] if found else None


def parse_lines(sources: list[str], offsets: list[int], lines: list[bytes], raw_bound: int = 4096) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(usage rows, quarantine rows, records with no usage). A record that names no model or session takes its
    trace's (from the records of the same batch), as ccusage does within a file."""
    records, bad, skipped = [], [], 0
    for source, offset, line in zip(sources, offsets, lines):
        if b'"attributes"' not in line:
            skipped += 1
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            bad.append({"source_file": source, "source_offset": offset, "signal": "copilot_cli_usage",
                        "reason": f"not JSON: {exc}"[:300], "raw_text": line[:raw_bound].decode("utf-8", "replace")})
            continue
        if isinstance(record, dict) and isinstance(record.get("attributes"), dict):
            records.append((source, offset, record))
        else:
            skipped += 1
    traces: dict[str, dict] = {}
    for _, _, record in records:
        trace = _trace_id(record)
        if trace:
            context = traces.setdefault(trace, {"model": None, "session": None, "priority": 0})
            attributes = record["attributes"]
            context["model"] = context["model"] or next((_text(attributes.get(k)) for k in MODEL_ATTRS if _text(attributes.get(k))), None)
            for key, priority in SESSION_ATTRS:
                if _text(attributes.get(key)) and priority > context["priority"]:
                    context["session"], context["priority"] = _text(attributes.get(key)), priority
    rows = []
    for index, (source, offset, record) in enumerate(records):
        attributes = record["attributes"]
        kind = kind_of(record, attributes)
        if kind is None:
            skipped += 1
            continue
        raw_input = _number(attributes.get("gen_ai.usage.input_tokens"))
        output = _number(attributes.get("gen_ai.usage.output_tokens"))
        cache_read = _number(attributes.get("gen_ai.usage.cache_read.input_tokens"))
        cache_creation = _first(attributes, ("gen_ai.usage.cache_write.input_tokens", "gen_ai.usage.cache_creation.input_tokens"))
        reasoning = _first(attributes, ("gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens"))
        total = _first(attributes, ("gen_ai.usage.total_tokens", "gen_ai.usage.total.token_count"))
        input_tokens = raw_input - min(raw_input, cache_read)  # the input count includes the cache reads
        # (reasoning is a part of output, as OpenAI counts completions: not added again)
        missing = max(total - (input_tokens + output + cache_read + cache_creation), 0)
        if missing:  # a total larger than its parts: the rest is output (or reasoning, when output was given)
            output, reasoning = (missing, reasoning) if output == 0 else (output, reasoning + missing)
        if input_tokens + output + cache_read + cache_creation + reasoning == 0:
            skipped += 1
            continue
        trace, span = _trace_id(record), _span_id(record)
        context = traces.get(trace or "", {})
        model = next((_text(attributes.get(k)) for k in MODEL_ATTRS if _text(attributes.get(k))), None) or context.get("model") or "unknown"
        session = _session(attributes) or context.get("session") or trace or "unknown-session"
        event_at = _timestamp(record)
        key = f"{trace}:{span}" if trace and span else f"{kind}:{session}:{event_at}:{source}:{offset}:{index}"
        rows.append({
            "agent": "copilot_cli", "kind": kind, "trace_id": trace, "span_id": span,
            "response_id": _text(attributes.get("gen_ai.response.id")), "session_id": session, "model": model,
            "event_at": event_at, "event_date": event_at.date() if event_at else None,
            "input_tokens": input_tokens, "output_tokens": output, "cache_read_tokens": cache_read,
            "cache_creation_tokens": cache_creation, "reasoning_tokens": reasoning,
            "source_file": source, "source_offset": offset, "record_key_src": f"copilot_cli:{kind}:{key}",
            "attr_errors": None if event_at else "no timestamp (endTime, startTime, timestamp or timeUnixNano)",
        })
    frame = pl.DataFrame(rows, schema=SCHEMA, orient="row") if rows else pl.DataFrame(schema=SCHEMA)
    return frame, pl.DataFrame(bad, schema=QUARANTINE_SCHEMA, orient="row") if bad else pl.DataFrame(schema=QUARANTINE_SCHEMA), skipped
