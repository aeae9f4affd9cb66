"""pandera contract for raw.opencode_messages (failing rows are quarantined during ingest; the loaded rows are
re-validated by the blocking asset check)."""

from __future__ import annotations

import pandera.polars as pa

from .. import validation

COUNT = {"nullable": True, "ge": 0}


class OpenCodeMessages(validation.RawContract):
    agent: str = pa.Field(isin=["opencode"])
    model: str = pa.Field(nullable=False)
    input_tokens: int = pa.Field(**COUNT)
    output_tokens: int = pa.Field(**COUNT)
    reasoning_tokens: int = pa.Field(**COUNT)
    cache_read_tokens: int = pa.Field(**COUNT)
    cache_write_tokens: int = pa.Field(**COUNT)
    total_tokens: int = pa.Field(**COUNT)
    reported_cost_usd: float = pa.Field(**COUNT)
    source_file: str = pa.Field(nullable=False)


SCHEMAS = {"opencode_messages": OpenCodeMessages}
