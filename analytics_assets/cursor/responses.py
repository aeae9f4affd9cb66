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

Records are read by the rules every vendor's are (vendor_records.py): a missing field, a number written as text
or a negative count is quarantined with the reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import polars as pl

from ..vendor_records import Bad, Records, count, email, flag, text

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


def _epoch_ms(record: dict, key: str) -> dt.datetime:
    value = record.get(key)
    if isinstance(value, str) and value.strip().isdigit():  # the events API sends its timestamps as text
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise Bad(f"{key} is missing" if value is None else f"{key} is not a time in epoch milliseconds ({str(value)[:40]!r})")
    return dt.datetime.fromtimestamp(value / 1000, dt.timezone.utc)


def daily_usage(body, label: str) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(rows, quarantine, records in) of one daily-usage-data response."""
    recs = Records("cursor", label)
    records = recs.of(body, "data")
    rows = []
    for i, record in enumerate(records):
        try:
            if not isinstance(record, dict):
                raise Bad("the record is not an object")
            row = {"usage_day": _epoch_ms(record, "date").date(), "user_email": email(record, "email"),
                   "is_active": flag(record, "isActive"),
                   **{column: count(record, key) for key, column in DAILY_COUNTS.items()},
                   "most_used_model": text(record, "mostUsedModel"), "client_version": text(record, "clientVersion"),
                   "source_file": label}
        except Bad as exc:
            recs.bad(i, str(exc), record)
            continue
        rows.append(row)
    return (*recs.frames(rows, DAILY_SCHEMA), len(records) or len(recs.quarantine))


def event_id(record: dict) -> str:
    """An event has no id of its own: its user, time, model, kind and counts name it (the same event served on two
    pages, or by two overlapping windows, is one)."""
    usage = record.get("tokenUsage") or {}
    key = [record.get("userEmail"), str(record.get("timestamp")), record.get("model"), record.get("kind"),
           record.get("requestsCosts"), *(usage.get(k) for k in (*TOKEN_COUNTS, "totalCents"))]
    return hashlib.md5(json.dumps(key, default=str).encode()).hexdigest()


def usage_events(body, label: str) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(rows, quarantine, records in) of one filtered-usage-events page."""
    recs = Records("cursor", label)
    records = recs.of(body, "usageEvents")
    rows = []
    for i, record in enumerate(records):
        try:
            if not isinstance(record, dict):
                raise Bad("the record is not an object")
            at = _epoch_ms(record, "timestamp")
            usage = record.get("tokenUsage")
            if usage is not None and not isinstance(usage, dict):
                raise Bad("tokenUsage is not an object")
            tokens = {column: count(usage, key) if usage is not None else None for key, column in TOKEN_COUNTS.items()}
            row = {"event_id": event_id(record), "usage_day": at.date(), "event_at": at, "user_email": email(record, "userEmail"),
                   "model": text(record, "model", required=True), "kind": text(record, "kind"),
                   "max_mode": flag(record, "maxMode"), "is_token_based": usage is not None,
                   "is_chargeable": flag(record, "isChargeable"),
                   "requests_costs": count(record, "requestsCosts", required=False, number=float), **tokens,
                   "total_cents": count(usage, "totalCents", required=False, number=float) if usage is not None else None,
                   "charged_cents": count(record, "chargedCents", required=False, number=float), "source_file": label}
        except Bad as exc:
            recs.bad(i, str(exc), record)
            continue
        rows.append(row)
    return (*recs.frames(rows, EVENT_SCHEMA), len(records) or len(recs.quarantine))


def members(body, label: str, day: dt.date) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    recs = Records("cursor", label)
    records = recs.of(body, "teamMembers")
    rows = []
    for i, record in enumerate(records):
        try:
            if not isinstance(record, dict):
                raise Bad("the record is not an object")
            rows.append({"snapshot_day": day, "user_email": email(record, "email"), "member_name": text(record, "name"),
                         "role": text(record, "role"), "is_removed": bool(record.get("isRemoved") or False), "source_file": label})
        except Bad as exc:
            recs.bad(i, str(exc), record)
    return (*recs.frames(rows, MEMBER_SCHEMA), len(records) or len(recs.quarantine))


def spend(body, label: str, day: dt.date) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    recs = Records("cursor", label)
    records = recs.of(body, "teamMemberSpend")
    cycle = body.get("subscriptionCycleStart") if isinstance(body, dict) else None
    cycle_start = dt.datetime.fromtimestamp(cycle / 1000, dt.timezone.utc).date() if isinstance(cycle, (int, float)) and cycle > 0 else None
    rows = []
    for i, record in enumerate(records):
        try:
            if not isinstance(record, dict):
                raise Bad("the record is not an object")
            rows.append({"snapshot_day": day, "cycle_start": cycle_start, "user_email": email(record, "email"),
                         "spend_cents": count(record, "spendCents", number=float),
                         "fast_premium_requests": count(record, "fastPremiumRequests", required=False), "source_file": label})
        except Bad as exc:
            recs.bad(i, str(exc), record)
    return (*recs.frames(rows, SPEND_SCHEMA), len(records) or len(recs.quarantine))
