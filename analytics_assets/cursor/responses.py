"""Cursor Admin API response bodies -> rows (pure: no Dagster, no HTTP).

Shapes (cursor.com/docs/account/teams/admin-api):
- `POST /teams/daily-usage-data`: `{data: [{date (epoch ms), email, isActive, totalLinesAdded, acceptedLinesAdded, ...,
  totalTabsShown, totalTabsAccepted, composerRequests, chatRequests, agentRequests, cmdkUsages,
  subscriptionIncludedReqs, apiKeyReqs, usageBasedReqs, bugbotUsages, mostUsedModel, clientVersion}], period}`
- `POST /teams/filtered-usage-events`: `{totalUsageEventsCount, pagination: {hasNextPage, ...}, usageEvents: [{timestamp
  (epoch ms as a string), model, kind, maxMode, requestsCosts, isTokenBasedCall, tokenUsage?: {inputTokens, outputTokens,
  cacheWriteTokens, cacheReadTokens, totalCents}, chargedCents?, isChargeable?, userEmail}]}`; `tokenUsage` only for
  token-based calls (a request-priced call has none: its tokens are unknown, not zero).
- `GET /teams/members`: `{teamMembers: [{id?, name, email, role, isRemoved?}]}`
- `POST /teams/spend`: `{teamMemberSpend: [{email, name, role, spendCents, fastPremiumRequests}], subscriptionCycleStart,
  totalPages}`

A record that lacks a field its row needs, carries a count that is not a number (a number written as text
included: the API sends numbers, so text means something upstream changed) or a negative count is
quarantined with the reason; nothing is dropped silently. Emails are lowered (the config's are too) and
then hashed or kept by the caller's privacy setting.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import polars as pl

from ..ingest.runner import QUARANTINE_SCHEMA

RAW_TEXT_LIMIT = 2000
DAILY_COUNTS = {
    "totalLinesAdded": "total_lines_added", "totalLinesDeleted": "total_lines_deleted",
    "acceptedLinesAdded": "accepted_lines_added", "acceptedLinesDeleted": "accepted_lines_deleted",
    "totalApplies": "total_applies", "totalAccepts": "total_accepts", "totalRejects": "total_rejects",
    "totalTabsShown": "total_tabs_shown", "totalTabsAccepted": "total_tabs_accepted",
    "composerRequests": "composer_requests", "chatRequests": "chat_requests", "agentRequests": "agent_requests",
    "cmdkUsages": "cmdk_usages", "subscriptionIncludedReqs": "subscription_included_reqs", "apiKeyReqs": "api_key_reqs",
    "usageBasedReqs": "usage_based_reqs", "bugbotUsages": "bugbot_usages",
}
TOKEN_COUNTS = {"inputTokens": "input_tokens", "outputTokens": "output_tokens", "cacheWriteTokens": "cache_write_tokens",
                "cacheReadTokens": "cache_read_tokens"}

DAILY_SCHEMA = {"usage_day": pl.Date, "user_email": pl.String, "is_active": pl.Boolean,
                **{c: pl.Int64 for c in DAILY_COUNTS.values()}, "most_used_model": pl.String, "client_version": pl.String,
                "source_file": pl.String}
EVENT_SCHEMA = {"event_id": pl.String, "usage_day": pl.Date, "event_at": pl.Datetime("ms", "UTC"), "user_email": pl.String,
                "model": pl.String, "kind": pl.String, "max_mode": pl.Boolean, "is_token_based": pl.Boolean,
                "is_chargeable": pl.Boolean, "requests_costs": pl.Float64, **{c: pl.Int64 for c in TOKEN_COUNTS.values()},
                "total_cents": pl.Float64, "charged_cents": pl.Float64, "source_file": pl.String}
MEMBER_SCHEMA = {"snapshot_day": pl.Date, "user_email": pl.String, "member_name": pl.String, "role": pl.String,
                 "is_removed": pl.Boolean, "source_file": pl.String}
SPEND_SCHEMA = {"snapshot_day": pl.Date, "cycle_start": pl.Date, "user_email": pl.String, "spend_cents": pl.Float64,
                "fast_premium_requests": pl.Int64, "source_file": pl.String}


class Bad(ValueError):
    """A record that cannot become a row; the message is the quarantine reason."""


def _count(record: dict, key: str, required: bool = True, number=int):
    value = record.get(key)
    if value is None:
        if required:
            raise Bad(f"{key} is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Bad(f"{key} is {type(value).__name__} {str(value)[:40]!r}, not a number")
    if value < 0:
        raise Bad(f"{key} is negative ({value})")
    if number is int and value != int(value):
        raise Bad(f"{key} is not a whole number ({value})")
    return number(value)


def _email(record: dict, key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or "@" not in value:
        raise Bad(f"{key} is missing" if value in (None, "") else f"{key} is not an email address")
    return value.strip().lower()


def _epoch_ms(record: dict, key: str) -> dt.datetime:
    value = record.get(key)
    if isinstance(value, str) and value.strip().isdigit():  # the events API sends its timestamps as text
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise Bad(f"{key} is missing" if value is None else f"{key} is not a time in epoch milliseconds ({str(value)[:40]!r})")
    return dt.datetime.fromtimestamp(value / 1000, dt.timezone.utc)


def _text(record: dict, key: str, required: bool = False) -> str | None:
    value = record.get(key)
    if value is None or value == "":
        if required:
            raise Bad(f"{key} is missing")
        return None
    return str(value)


def _flag(record: dict, key: str) -> bool | None:
    value = record.get(key)
    return value if isinstance(value, bool) else None


def _records(body, key: str, label: str, quarantine: list[dict]) -> list:
    if isinstance(body, dict) and isinstance(body.get(key), list):
        return body[key]
    quarantine.append(_bad(label, 0, f"the response has no {key} list", body))
    return []


def _bad(label: str, offset: int, reason: str, record) -> dict:
    return {"source_file": label, "source_offset": offset, "signal": "cursor", "reason": reason,
            "raw_text": json.dumps(record, default=str)[:RAW_TEXT_LIMIT]}


def _frames(rows: list[dict], schema: dict, quarantine: list[dict]) -> tuple[pl.DataFrame, pl.DataFrame]:
    return (pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema),
            pl.DataFrame(quarantine, schema=QUARANTINE_SCHEMA) if quarantine else pl.DataFrame(schema=QUARANTINE_SCHEMA))


def daily_usage(body, label: str) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(rows, quarantine, records in) of one daily-usage-data response."""
    quarantine: list[dict] = []
    records = _records(body, "data", label, quarantine)
    rows = []
    for i, record in enumerate(records):
        try:
            if not isinstance(record, dict):
                raise Bad("the record is not an object")
            row = {"usage_day": _epoch_ms(record, "date").date(), "user_email": _email(record, "email"),
                   "is_active": _flag(record, "isActive"),
                   **{column: _count(record, key) for key, column in DAILY_COUNTS.items()},
                   "most_used_model": _text(record, "mostUsedModel"), "client_version": _text(record, "clientVersion"),
                   "source_file": label}
        except Bad as exc:
            quarantine.append(_bad(label, i, str(exc), record))
            continue
        rows.append(row)
    return (*_frames(rows, DAILY_SCHEMA, quarantine), len(records) or len(quarantine))


def event_id(record: dict) -> str:
    """An event has no id of its own: its user, time, model, kind and counts name it (the same event served on two
    pages, or by two overlapping windows, is one)."""
    usage = record.get("tokenUsage") or {}
    key = [record.get("userEmail"), str(record.get("timestamp")), record.get("model"), record.get("kind"),
           record.get("requestsCosts"), *(usage.get(k) for k in (*TOKEN_COUNTS, "totalCents"))]
    return hashlib.md5(json.dumps(key, default=str).encode()).hexdigest()


def usage_events(body, label: str) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(rows, quarantine, records in) of one filtered-usage-events page."""
    quarantine: list[dict] = []
    records = _records(body, "usageEvents", label, quarantine)
    rows = []
    for i, record in enumerate(records):
        try:
            if not isinstance(record, dict):
                raise Bad("the record is not an object")
            at = _epoch_ms(record, "timestamp")
            usage = record.get("tokenUsage")
            if usage is not None and not isinstance(usage, dict):
                raise Bad("tokenUsage is not an object")
            tokens = {column: _count(usage, key) if usage is not None else None for key, column in TOKEN_COUNTS.items()}
            row = {"event_id": event_id(record), "usage_day": at.date(), "event_at": at, "user_email": _email(record, "userEmail"),
                   "model": _text(record, "model", required=True), "kind": _text(record, "kind"),
                   "max_mode": _flag(record, "maxMode"), "is_token_based": usage is not None,
                   "is_chargeable": _flag(record, "isChargeable"),
                   "requests_costs": _count(record, "requestsCosts", required=False, number=float), **tokens,
                   "total_cents": _count(usage, "totalCents", required=False, number=float) if usage is not None else None,
                   "charged_cents": _count(record, "chargedCents", required=False, number=float), "source_file": label}
        except Bad as exc:
            quarantine.append(_bad(label, i, str(exc), record))
            continue
        rows.append(row)
    return (*_frames(rows, EVENT_SCHEMA, quarantine), len(records) or len(quarantine))


def members(body, label: str, day: dt.date) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    quarantine: list[dict] = []
    records = _records(body, "teamMembers", label, quarantine)
    rows = []
    for i, record in enumerate(records):
        try:
            if not isinstance(record, dict):
                raise Bad("the record is not an object")
            rows.append({"snapshot_day": day, "user_email": _email(record, "email"), "member_name": _text(record, "name"),
                         "role": _text(record, "role"), "is_removed": bool(record.get("isRemoved") or False), "source_file": label})
        except Bad as exc:
            quarantine.append(_bad(label, i, str(exc), record))
    return (*_frames(rows, MEMBER_SCHEMA, quarantine), len(records) or len(quarantine))


def spend(body, label: str, day: dt.date) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    quarantine: list[dict] = []
    records = _records(body, "teamMemberSpend", label, quarantine)
    cycle = body.get("subscriptionCycleStart") if isinstance(body, dict) else None
    cycle_start = dt.datetime.fromtimestamp(cycle / 1000, dt.timezone.utc).date() if isinstance(cycle, (int, float)) and cycle > 0 else None
    rows = []
    for i, record in enumerate(records):
        try:
            if not isinstance(record, dict):
                raise Bad("the record is not an object")
            rows.append({"snapshot_day": day, "cycle_start": cycle_start, "user_email": _email(record, "email"),
                         "spend_cents": _count(record, "spendCents", number=float),
                         "fast_premium_requests": _count(record, "fastPremiumRequests", required=False), "source_file": label})
        except Bad as exc:
            quarantine.append(_bad(label, i, str(exc), record))
    return (*_frames(rows, SPEND_SCHEMA, quarantine), len(records) or len(quarantine))
