"""Copilot usage-metrics report files → rows (pure: no Dagster, no HTTP).

The reports API serves JSON (one envelope with `day_totals` or `user_totals`) or NDJSON (one
record or one envelope per line); both are accepted. Organization/enterprise reports become a
long table: one row per day × breakdown (`total`, `ide`, `feature`, `language_feature`,
`language_model`, `model_feature`) with the same counters in every row, so dbt filters one
breakdown and sums without double counting. User reports become one row per user and day
(enterprise 28-day user reports carry window totals instead: `window_days` says which).

Values that do not fit their type (numbers as text are accepted, words are not) are reported
in `attr_errors` and quarantined by the pandera contract; undecodable lines are quarantined here.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import polars as pl

from ..ingest.runner import QUARANTINE_SCHEMA

COUNTERS = (
    "user_initiated_interaction_count", "code_generation_activity_count", "code_acceptance_activity_count",
    "loc_suggested_to_add_sum", "loc_suggested_to_delete_sum", "loc_added_sum", "loc_deleted_sum",
)
ACTIVE_USERS = (
    "daily_active_users", "weekly_active_users", "monthly_active_users", "monthly_active_chat_users",
    "monthly_active_agent_users", "daily_active_cli_users", "daily_active_copilot_cloud_agent_users",
    "weekly_active_copilot_cloud_agent_users", "monthly_active_copilot_cloud_agent_users",
    "daily_active_copilot_code_review_users", "monthly_active_copilot_code_review_users",
)
PULL_REQUESTS = ("total_created", "total_merged", "total_reviewed", "total_created_by_copilot",
                 "total_merged_created_by_copilot", "total_reviewed_by_copilot", "total_suggestions",
                 "total_copilot_suggestions", "total_applied_suggestions", "total_copilot_applied_suggestions")
CLI = ("session_count", "request_count", "prompt_count")
BREAKDOWNS = {  # list key in a day record → (breakdown name, dimension columns)
    "totals_by_ide": ("ide", ("ide",)),
    "totals_by_feature": ("feature", ("feature",)),
    "totals_by_language_feature": ("language_feature", ("language", "feature")),
    "totals_by_language_model": ("language_model", ("language", "model")),
    "totals_by_model_feature": ("model_feature", ("model", "feature")),
}
DIMENSIONS = ("ide", "feature", "language", "model")
USER_FLAGS = ("used_agent", "used_chat", "used_cli", "used_copilot_coding_agent", "used_copilot_cloud_agent")

_META = {"report_day": pl.Date, "scope": pl.String, "scope_name": pl.String, "organization_id": pl.String,
         "enterprise_id": pl.String, "source_file": pl.String, "source_offset": pl.Int64}
USAGE_SCHEMA = {
    **_META, "breakdown": pl.String, **{d: pl.String for d in DIMENSIONS},
    **{c: pl.Int64 for c in ACTIVE_USERS + COUNTERS}, **{f"pr_{c}": pl.Int64 for c in PULL_REQUESTS},
    "pr_median_minutes_to_merge": pl.Float64, **{f"cli_{c}": pl.Int64 for c in CLI},
    "cli_prompt_tokens_sum": pl.Int64, "cli_output_tokens_sum": pl.Int64, "attr_errors": pl.String,
}
USER_SCHEMA = {
    **_META, "window_days": pl.Int64, "user_id": pl.String, "user_login": pl.String,
    **{c: pl.Int64 for c in COUNTERS}, **{f: pl.Boolean for f in USER_FLAGS}, "ai_credits_used": pl.Float64,
    "total_active_days": pl.Int64, "features_used": pl.String, "ides_used": pl.String, "models_used": pl.String,
    "cli_prompt_tokens_sum": pl.Int64, "cli_output_tokens_sum": pl.Int64, "attr_errors": pl.String,
}
RAW_TEXT_LIMIT = 2000
MAX_LINE_BYTES = 64 << 20  # an NDJSON line above this is quarantined, not parsed


@dataclass
class Parsed:
    usage: pl.DataFrame
    users: pl.DataFrame
    quarantine: pl.DataFrame
    records_in: int = 0           # day/user records seen (loaded or quarantined)
    notes: list[str] = field(default_factory=list)


def _coerce(value, kind, errors: list[str], name: str):
    """int/float/bool/date from JSON, accepting numbers written as strings; anything else is
    recorded as an error for the row (never silently zero)."""
    if value is None or value == "":
        return None
    try:
        if kind is int:
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, float) and value.is_integer():
                return int(value)
            return int(str(value).strip()) if not isinstance(value, int) else value
        if kind is float:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if kind is bool:
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("true", "false"):
                return str(value).lower() == "true"
            raise ValueError
        if kind is dt.date:
            return dt.date.fromisoformat(str(value)[:10])
    except (ValueError, TypeError):
        errors.append(f"{name}={str(value)[:40]!r} is not {getattr(kind, '__name__', kind)}")
        return None
    return value


def _text(value) -> str | None:
    return None if value is None else str(value)


def _counters(record: dict, errors: list[str], names=COUNTERS) -> dict:
    return {c: _coerce(record.get(c), int, errors, c) for c in names}


def decode(text: str, source: str, max_line_bytes: int = MAX_LINE_BYTES) -> tuple[list[tuple[int, dict]], list[dict]]:
    """(objects with their offset, quarantine rows): a whole JSON document, else NDJSON lines."""
    stripped = text.strip()
    if not stripped:
        return [], []
    try:
        whole = json.loads(stripped)
    except json.JSONDecodeError:
        whole = None
    if isinstance(whole, dict):
        return [(0, whole)], []
    if isinstance(whole, list):
        return [(i, o) for i, o in enumerate(whole) if isinstance(o, dict)], []
    objects, bad = [], []
    offset = 0
    for line in text.splitlines(keepends=True):
        here, offset = offset, offset + len(line.encode())
        body = line.strip()
        if not body:
            continue
        if len(line) > max_line_bytes:  # characters ≥ bytes / 4: cheap and safe as a first bound
            bad.append({"source_file": source, "source_offset": here, "signal": "copilot",
                        "reason": f"oversize line ({len(line.encode())} bytes > {max_line_bytes})", "raw_text": body[:RAW_TEXT_LIMIT]})
            continue
        try:
            value = json.loads(body)
        except json.JSONDecodeError as exc:
            reason = "truncated line (does not end with '}')" if not body.endswith("}") else f"not JSON: {exc.msg}"
            bad.append({"source_file": source, "source_offset": here, "signal": "copilot", "reason": reason,
                        "raw_text": body[:RAW_TEXT_LIMIT]})
            continue
        if not isinstance(value, dict):
            bad.append({"source_file": source, "source_offset": here, "signal": "copilot",
                        "reason": f"a JSON {type(value).__name__}, not an object", "raw_text": body[:RAW_TEXT_LIMIT]})
            continue
        objects.append((here, value))
    return objects, bad


def _envelope_records(obj: dict) -> tuple[dict, list[dict], int | None]:
    """(envelope fields, records, window): an envelope holds `day_totals` (per day) or
    `user_totals` (window totals); a bare record is its own list."""
    if "day_totals" in obj or "user_totals" in obj:
        records = obj.get("day_totals") if "day_totals" in obj else obj.get("user_totals")
        start, end = obj.get("report_start_day") or obj.get("report_day"), obj.get("report_end_day") or obj.get("report_day")
        window = None
        if "user_totals" in obj and start and end:
            try:
                window = (dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days + 1
            except ValueError:
                window = None
        envelope = {k: obj.get(k) for k in ("organization_id", "enterprise_id")} | {"report_end_day": end}
        return envelope, records if isinstance(records, list) else [], window
    return {}, [obj], None


def parse_report(text: str, source: str, scope: str, scope_name: str, kind: str, max_line_bytes: int = MAX_LINE_BYTES) -> Parsed:
    """`kind`: 'usage' (organization/enterprise reports) or 'users'. Every record becomes a row or
    a quarantine row; a record with no day is quarantined (a report always dates its records)."""
    objects, undecodable = decode(text, source, max_line_bytes)
    bad = list(undecodable)
    usage, users = [], []
    seen = 0
    for offset, obj in objects:
        envelope, records, window = _envelope_records(obj)
        for index, record in enumerate(records):
            seen += 1
            where = offset + index
            if not isinstance(record, dict):
                bad.append({"source_file": source, "source_offset": where, "signal": kind,
                            "reason": "record is not an object", "raw_text": json.dumps(record)[:RAW_TEXT_LIMIT]})
                continue
            errors: list[str] = []
            day = _coerce(record.get("day") or (envelope.get("report_end_day") if window or "user_totals" in obj else None)
                          or record.get("report_day"), dt.date, errors, "day")
            if day is None:
                bad.append({"source_file": source, "source_offset": where, "signal": kind,
                            "reason": "missing day" + (f" ({'; '.join(errors)})" if errors else ""),
                            "raw_text": json.dumps(record)[:RAW_TEXT_LIMIT]})
                continue
            meta = {"report_day": day, "scope": scope, "scope_name": scope_name,
                    "organization_id": _text(record.get("organization_id", envelope.get("organization_id"))),
                    "enterprise_id": _text(record.get("enterprise_id", envelope.get("enterprise_id"))),
                    "source_file": source, "source_offset": where}
            if kind == "usage":
                usage.extend(_usage_rows(record, meta, errors))
            else:
                users.append(_user_row(record, meta, window or 1, errors))
    return Parsed(
        usage=pl.DataFrame(usage, schema=USAGE_SCHEMA, orient="row") if usage else pl.DataFrame(schema=USAGE_SCHEMA),
        users=pl.DataFrame(users, schema=USER_SCHEMA, orient="row") if users else pl.DataFrame(schema=USER_SCHEMA),
        quarantine=pl.DataFrame(bad, schema=QUARANTINE_SCHEMA, orient="row") if bad else pl.DataFrame(schema=QUARANTINE_SCHEMA),
        records_in=seen + len(undecodable),
    )


def _usage_rows(record: dict, meta: dict, errors: list[str]) -> list[dict]:
    total = {**meta, "breakdown": "total", **{d: None for d in DIMENSIONS}}
    total |= {c: _coerce(record.get(c), int, errors, c) for c in ACTIVE_USERS}
    total |= _counters(record, errors)
    prs = record.get("pull_requests") or {}
    total |= {f"pr_{c}": _coerce(prs.get(c), int, errors, f"pull_requests.{c}") for c in PULL_REQUESTS}
    total["pr_median_minutes_to_merge"] = _coerce(prs.get("median_minutes_to_merge"), float, errors, "pull_requests.median_minutes_to_merge")
    cli = record.get("totals_by_cli") or {}
    total |= {f"cli_{c}": _coerce(cli.get(c), int, errors, f"totals_by_cli.{c}") for c in CLI}
    tokens = cli.get("token_usage") or {}
    total["cli_prompt_tokens_sum"] = _coerce(tokens.get("prompt_tokens_sum"), int, errors, "cli.prompt_tokens_sum")
    total["cli_output_tokens_sum"] = _coerce(tokens.get("output_tokens_sum"), int, errors, "cli.output_tokens_sum")
    rows = [total]
    for key, (breakdown, dims) in BREAKDOWNS.items():
        for part in record.get(key) or []:
            if not isinstance(part, dict):
                errors.append(f"{key} holds a non-object")
                continue
            row = {**meta, "breakdown": breakdown, **{d: (_text(part.get(d)) if d in dims else None) for d in DIMENSIONS}}
            row |= _counters(part, errors)
            rows.append(row)
    # One bad value condemns the day's record as a whole: its breakdowns must add up to its total.
    message = "; ".join(errors) if errors else None
    for row in rows:
        row["attr_errors"] = message
    return rows


def _names(parts, key: str) -> str | None:
    values = sorted({str(p.get(key)) for p in parts or [] if isinstance(p, dict) and p.get(key)})
    return ",".join(values) or None


def _user_row(record: dict, meta: dict, window: int, errors: list[str]) -> dict:
    cli = record.get("totals_by_cli") or {}
    tokens = cli.get("token_usage") or {}
    row = {**meta, "window_days": window,
           "user_id": _text(record.get("user_id")), "user_login": _text(record.get("user_login") or record.get("login"))}
    row |= _counters(record, errors)
    row |= {f: _coerce(record.get(f), bool, errors, f) for f in USER_FLAGS}
    row["ai_credits_used"] = _coerce(record.get("ai_credits_used"), float, errors, "ai_credits_used")
    row["total_active_days"] = _coerce(record.get("total_active_days"), int, errors, "total_active_days")
    row["features_used"] = _names(record.get("totals_by_feature"), "feature")
    row["ides_used"] = _names(record.get("totals_by_ide"), "ide")
    row["models_used"] = _names(record.get("totals_by_model_feature"), "model")
    row["cli_prompt_tokens_sum"] = _coerce(tokens.get("prompt_tokens_sum"), int, errors, "cli.prompt_tokens_sum")
    row["cli_output_tokens_sum"] = _coerce(tokens.get("output_tokens_sum"), int, errors, "cli.output_tokens_sum")
    if not row["user_login"] and not row["user_id"]:
        errors.append("no user_login or user_id")
    row["attr_errors"] = "; ".join(errors) if errors else None
    return row


SEAT_SCHEMA = {"snapshot_day": pl.Date, "scope": pl.String, "scope_name": pl.String, "assignee_login": pl.String,
               "assignee_id": pl.String, "assignee_type": pl.String, "assigning_team": pl.String, "plan_type": pl.String,
               "created_at": pl.Datetime("us", "UTC"), "updated_at": pl.Datetime("us", "UTC"),
               "pending_cancellation_date": pl.Date, "last_activity_at": pl.Datetime("us", "UTC"),
               "last_activity_editor": pl.String, "source_file": pl.String, "source_offset": pl.Int64, "attr_errors": pl.String}


def _timestamp(value, errors: list[str], name: str):
    if value in (None, ""):
        return None
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(dt.timezone.utc)
    except ValueError:
        errors.append(f"{name}={str(value)[:40]!r} is not a timestamp")
        return None


def parse_seats(seats: list, snapshot_day: dt.date, scope: str, scope_name: str, source: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Seat objects (as the seats API pages them) → one row per seat for the snapshot day."""
    rows, bad = [], []
    for i, seat in enumerate(seats):
        if not isinstance(seat, dict) or not isinstance(seat.get("assignee"), dict):
            bad.append({"source_file": source, "source_offset": i, "signal": "seats", "reason": "seat without an assignee object",
                        "raw_text": json.dumps(seat)[:RAW_TEXT_LIMIT]})
            continue
        errors: list[str] = []
        assignee, team = seat["assignee"], seat.get("assigning_team") or {}
        rows.append({
            "snapshot_day": snapshot_day, "scope": scope, "scope_name": scope_name,
            "assignee_login": _text(assignee.get("login") or assignee.get("slug") or assignee.get("name")),
            "assignee_id": _text(assignee.get("id")), "assignee_type": _text(assignee.get("type")),
            "assigning_team": _text(team.get("slug") or team.get("name")) if isinstance(team, dict) else None,
            "plan_type": _text(seat.get("plan_type")),
            "created_at": _timestamp(seat.get("created_at"), errors, "created_at"),
            "updated_at": _timestamp(seat.get("updated_at"), errors, "updated_at"),
            "pending_cancellation_date": _coerce(seat.get("pending_cancellation_date"), dt.date, errors, "pending_cancellation_date"),
            "last_activity_at": _timestamp(seat.get("last_activity_at"), errors, "last_activity_at"),
            "last_activity_editor": _text(seat.get("last_activity_editor")),
            "source_file": source, "source_offset": i, "attr_errors": "; ".join(errors) if errors else None,
        })
    frame = pl.DataFrame(rows, schema=SEAT_SCHEMA, orient="row") if rows else pl.DataFrame(schema=SEAT_SCHEMA)
    return frame, pl.DataFrame(bad, schema=QUARANTINE_SCHEMA, orient="row") if bad else pl.DataFrame(schema=QUARANTINE_SCHEMA)
