"""pandera contract for raw.gemini_messages (failing rows are quarantined during ingest; the loaded rows are
re-validated by the blocking asset check)."""

from __future__ import annotations

import pandera.polars as pa

from .. import validation

COUNT = {"nullable": True, "ge": 0}


class GeminiMessages(validation.RawContract):
    agent: str = pa.Field(isin=["gemini_cli"])
    session_id: str = pa.Field(nullable=False)
    model: str = pa.Field(nullable=False)
    input_tokens: int = pa.Field(**COUNT)
    output_tokens: int = pa.Field(**COUNT)
    cached_tokens: int = pa.Field(**COUNT)
    thoughts_tokens: int = pa.Field(**COUNT)
    tool_tokens: int = pa.Field(**COUNT)
    total_tokens: int = pa.Field(**COUNT)
    source_file: str = pa.Field(nullable=False)


SCHEMAS = {"gemini_messages": GeminiMessages}
