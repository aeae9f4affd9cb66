"""pandera contracts for the raw Claude Code usage report tables (blocking checks on what a run stored). The parser
already quarantined what cannot be a row; these hold the stored rows to the same rules."""

from __future__ import annotations

import pandera.polars as pa

from .. import validation

COUNT = {"nullable": False, "ge": 0}


class ClaudeCodeUsage(validation.RawContract):
    actor_type: str = pa.Field(nullable=False, isin=["user", "api_key"])
    sessions: int = pa.Field(**COUNT)
    lines_added: int = pa.Field(**COUNT)
    lines_removed: int = pa.Field(**COUNT)
    commits: int = pa.Field(**COUNT)
    pull_requests: int = pa.Field(**COUNT)


class ClaudeCodeModels(validation.RawContract):
    actor_type: str = pa.Field(nullable=False, isin=["user", "api_key"])
    model: str = pa.Field(nullable=False)
    input_tokens: int = pa.Field(**COUNT)
    output_tokens: int = pa.Field(**COUNT)
    cache_read_tokens: int = pa.Field(**COUNT)
    cache_creation_tokens: int = pa.Field(**COUNT)
    estimated_cost_minor: float = pa.Field(nullable=True, ge=0)


SCHEMAS = {"usage": ClaudeCodeUsage, "models": ClaudeCodeModels}
