"""Claude Code usage report bodies -> rows (pure: no Dagster, no HTTP).

Shape (platform.claude.com/docs/en/api/admin/usage_report): `{data: [record], has_more, next_page}`, a record being
one actor's day:
  `{date: "YYYY-MM-DD", actor: {type: "user_actor", email_address} | {type: "api_actor", api_key_name},
    organization_id, customer_type: "api"|"subscription", subscription_type?, terminal_type,
    core_metrics: {num_sessions, lines_of_code: {added, removed}, commits_by_claude_code, pull_requests_by_claude_code},
    tool_actions: {edit_tool|multi_edit_tool|write_tool|notebook_edit_tool: {accepted, rejected}},
    model_breakdown: [{model, tokens: {input, output, cache_read, cache_creation},
                       estimated_cost: {amount (minor units: cents for USD), currency}}]}`
A record becomes one actor-day row and one row per model; a record that cannot be read is quarantined whole (its
model rows with it), so an actor's day is never half loaded. Records are read by the rules every vendor's are
(vendor_records.py): a missing field, a number written as text or a negative count is quarantined with the reason.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from ..vendor_records import Bad, Records, count, email, obj, text

TOOLS = ("edit_tool", "multi_edit_tool", "write_tool", "notebook_edit_tool")
ACTOR = {"usage_day": pl.Date, "actor_type": pl.String, "user_email": pl.String, "api_key_name": pl.String,
         "terminal_type": pl.String}
USAGE_SCHEMA = {**ACTOR, "organization_id": pl.String, "customer_type": pl.String, "subscription_type": pl.String,
                "sessions": pl.Int64, "lines_added": pl.Int64, "lines_removed": pl.Int64, "commits": pl.Int64,
                "pull_requests": pl.Int64,
                **{f"{tool}_{verdict}": pl.Int64 for tool in TOOLS for verdict in ("accepted", "rejected")},
                "source_file": pl.String}
MODEL_SCHEMA = {**ACTOR, "model": pl.String, "input_tokens": pl.Int64, "output_tokens": pl.Int64,
                "cache_read_tokens": pl.Int64, "cache_creation_tokens": pl.Int64, "estimated_cost_minor": pl.Float64,
                "currency": pl.String, "source_file": pl.String}


def _day(record: dict) -> dt.date:
    value = record.get("date")
    if not isinstance(value, str) or not value:
        raise Bad("date is missing")
    try:
        return dt.date.fromisoformat(value[:10])  # "YYYY-MM-DD" (an RFC 3339 time is read by its date)
    except ValueError:
        raise Bad(f"date is not a date ({value[:40]!r})") from None


def _actor(record: dict) -> dict:
    actor = obj(record, "actor")
    kind = actor.get("type")
    if kind == "user_actor":
        return {"actor_type": "user", "user_email": email(actor, "email_address"), "api_key_name": None}
    if kind == "api_actor":
        return {"actor_type": "api_key", "user_email": None, "api_key_name": text(actor, "api_key_name", required=True)}
    raise Bad("actor.type is missing" if kind is None else f"actor.type is {str(kind)[:40]!r}, not user_actor or api_actor")


def _models(record: dict, who: dict, label: str) -> list[dict]:
    breakdown = record.get("model_breakdown")
    if breakdown is None:
        return []
    if not isinstance(breakdown, list):
        raise Bad("model_breakdown is not a list")
    rows = []
    for entry in breakdown:
        if not isinstance(entry, dict):
            raise Bad("a model_breakdown entry is not an object")
        tokens = obj(entry, "tokens")
        cost = obj(entry, "estimated_cost", required=False)
        rows.append({**who, "model": text(entry, "model", required=True),
                     "input_tokens": count(tokens, "input"), "output_tokens": count(tokens, "output"),
                     "cache_read_tokens": count(tokens, "cache_read"), "cache_creation_tokens": count(tokens, "cache_creation"),
                     "estimated_cost_minor": count(cost, "amount", required=False, number=float),
                     "currency": text(cost, "currency") or ("USD" if cost else None), "source_file": label})
    return rows


def claude_code_usage(body, label: str) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, int]:
    """(actor-day rows, model rows, quarantine, records in) of one report page."""
    recs = Records("anthropic", label)
    records = recs.of(body, "data")
    usage, models = [], []
    for i, record in enumerate(records):
        try:
            if not isinstance(record, dict):
                raise Bad("the record is not an object")
            who = {"usage_day": _day(record), **_actor(record), "terminal_type": text(record, "terminal_type")}
            core = obj(record, "core_metrics")
            lines = obj(core, "lines_of_code", required=False)
            tools = obj(record, "tool_actions", required=False)
            actions = {}
            for tool in TOOLS:
                verdicts = obj(tools, tool, required=False)
                for verdict in ("accepted", "rejected"):
                    actions[f"{tool}_{verdict}"] = count(verdicts, verdict, required=False) or 0
            row = {**who, "organization_id": text(record, "organization_id"), "customer_type": text(record, "customer_type"),
                   "subscription_type": text(record, "subscription_type"),
                   "sessions": count(core, "num_sessions"), "lines_added": count(lines, "added", required=False) or 0,
                   "lines_removed": count(lines, "removed", required=False) or 0,
                   "commits": count(core, "commits_by_claude_code", required=False) or 0,
                   "pull_requests": count(core, "pull_requests_by_claude_code", required=False) or 0,
                   **actions, "source_file": label}
            per_model = _models(record, who, label)
        except Bad as exc:
            recs.bad(i, str(exc), record)
            continue
        usage.append(row)
        models.extend(per_model)
    usage_frame, quarantine = recs.frames(usage, USAGE_SCHEMA)
    model_frame = pl.DataFrame(models, schema=MODEL_SCHEMA, orient="row") if models else pl.DataFrame(schema=MODEL_SCHEMA)
    return usage_frame, model_frame, quarantine, len(records) or len(recs.quarantine)
