"""pandera contract for raw.copilot_cli_usage (failing rows are quarantined during ingest; the loaded rows are
re-validated by the blocking asset check)."""

from __future__ import annotations

import pandera.polars as pa

from .. import validation

COUNT = {"nullable": True, "ge": 0}


class CopilotCliUsage(validation.RawContract):
    agent: str = pa.Field(isin=["copilot_cli"])
    kind: str = pa.Field(isin=["chat", "inference_log", "agent_turn", "agent_summary"])
    model: str = pa.Field(nullable=False)
    session_id: str = pa.Field(nullable=False)
    input_tokens: int = pa.Field(**COUNT)
    output_tokens: int = pa.Field(**COUNT)
    cache_read_tokens: int = pa.Field(**COUNT)
    cache_creation_tokens: int = pa.Field(**COUNT)
    reasoning_tokens: int = pa.Field(**COUNT)
    source_file: str = pa.Field(nullable=False)


SCHEMAS = {"copilot_cli_usage": CopilotCliUsage}
