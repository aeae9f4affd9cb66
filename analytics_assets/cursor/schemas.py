"""pandera contracts for the raw Cursor tables (blocking checks on what a run stored). The parser already
quarantined what cannot be a row; these hold the stored rows to the same rules."""

from __future__ import annotations

import pandera.polars as pa

from .. import validation

COUNT = {"nullable": False, "ge": 0}
OPTIONAL_COUNT = {"nullable": True, "ge": 0}


class CursorUsageEvents(validation.RawContract):
    event_id: str = pa.Field(nullable=False, unique=True)
    user_email: str = pa.Field(nullable=False)
    model: str = pa.Field(nullable=False)
    input_tokens: int = pa.Field(**OPTIONAL_COUNT)
    output_tokens: int = pa.Field(**OPTIONAL_COUNT)
    cache_write_tokens: int = pa.Field(**OPTIONAL_COUNT)
    cache_read_tokens: int = pa.Field(**OPTIONAL_COUNT)
    total_cents: float = pa.Field(**OPTIONAL_COUNT)


class CursorDailyUsage(validation.RawContract):
    user_email: str = pa.Field(nullable=False)
    accepted_lines_added: int = pa.Field(**COUNT)
    total_lines_added: int = pa.Field(**COUNT)
    total_accepts: int = pa.Field(**COUNT)
    total_rejects: int = pa.Field(**COUNT)
    total_tabs_shown: int = pa.Field(**COUNT)
    total_tabs_accepted: int = pa.Field(**COUNT)


class CursorMembers(validation.RawContract):
    user_email: str = pa.Field(nullable=False)


class CursorSpend(validation.RawContract):
    user_email: str = pa.Field(nullable=False)
    spend_cents: float = pa.Field(**COUNT)


SCHEMAS = {"events": CursorUsageEvents, "daily": CursorDailyUsage, "members": CursorMembers, "spend": CursorSpend}
