"""pandera contracts for the raw transcript tables (the same routing as OTLP: failing rows are
quarantined during ingest; the loaded rows are re-validated by the blocking asset checks)."""

from __future__ import annotations

import pandera.polars as pa

from .. import validation

COUNT = {"nullable": True, "ge": 0}


class _TranscriptContract(validation.RawContract):
    agent: str = pa.Field(isin=["claude_code", "codex"])
    source_file: str = pa.Field(nullable=False)


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
