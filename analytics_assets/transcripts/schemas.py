"""pandera contracts for the raw transcript tables (the same routing as OTLP: failing rows are
quarantined during ingest; the loaded rows are re-validated by the blocking asset checks)."""

from __future__ import annotations

from typing import Optional

import pandera.polars as pa
import polars as pl

COUNT = {"nullable": True, "ge": 0}


class _TranscriptContract(pa.DataFrameModel):
    agent: str = pa.Field(isin=["claude_code", "codex"])
    source_file: str = pa.Field(nullable=False)
    # Present while ingesting (values that did not fit their type), absent from the stored table.
    attr_errors: Optional[str] = pa.Field(nullable=True)

    @pa.check("attr_errors", name="values_fit_their_types")
    @classmethod
    def values_fit_their_types(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col(data.key).is_null())

    class Config:
        strict = False
        coerce = False


class ClaudeRequests(_TranscriptContract):
    input_tokens: int = pa.Field(**COUNT)
    output_tokens: int = pa.Field(**COUNT)
    cache_creation_tokens: int = pa.Field(**COUNT)
    cache_read_tokens: int = pa.Field(**COUNT)
    cache_creation_5m_tokens: int = pa.Field(**COUNT)
    cache_creation_1h_tokens: int = pa.Field(**COUNT)
    reported_cost_usd: float = pa.Field(**COUNT)


class CodexEvents(_TranscriptContract):
    event_type: str = pa.Field(isin=["turn_context", "token_count", "session_meta"])
    total_input_tokens: int = pa.Field(**COUNT)
    total_cached_input_tokens: int = pa.Field(**COUNT)
    total_output_tokens: int = pa.Field(**COUNT)
    total_reasoning_output_tokens: int = pa.Field(**COUNT)
    last_input_tokens: int = pa.Field(**COUNT)
    last_cached_input_tokens: int = pa.Field(**COUNT)
    last_output_tokens: int = pa.Field(**COUNT)
    last_reasoning_output_tokens: int = pa.Field(**COUNT)


SCHEMAS = {"claude_requests": ClaudeRequests, "codex_events": CodexEvents}
