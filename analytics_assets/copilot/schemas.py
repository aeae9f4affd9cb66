"""pandera contracts for the raw Copilot tables (quarantine routing during the load, blocking
checks on what was stored)."""

from __future__ import annotations

import pandera.polars as pa

from .. import validation

COUNT = {"nullable": True, "ge": 0}


class _Copilot(validation.RawContract):
    scope: str = pa.Field(isin=["organization", "enterprise"])
    scope_name: str = pa.Field(nullable=False)


class CopilotUsage(_Copilot):
    breakdown: str = pa.Field(isin=["total", "ide", "feature", "language_feature", "language_model", "model_feature"])
    daily_active_users: int = pa.Field(**COUNT)
    user_initiated_interaction_count: int = pa.Field(**COUNT)
    code_generation_activity_count: int = pa.Field(**COUNT)
    code_acceptance_activity_count: int = pa.Field(**COUNT)
    loc_suggested_to_add_sum: int = pa.Field(**COUNT)
    loc_added_sum: int = pa.Field(**COUNT)
    loc_deleted_sum: int = pa.Field(**COUNT)


class CopilotUserUsage(_Copilot):
    window_days: int = pa.Field(ge=1, le=28)
    user_login: str = pa.Field(nullable=True)
    code_generation_activity_count: int = pa.Field(**COUNT)
    code_acceptance_activity_count: int = pa.Field(**COUNT)
    loc_added_sum: int = pa.Field(**COUNT)
    ai_credits_used: float = pa.Field(**COUNT)


class CopilotSeats(_Copilot):
    assignee_login: str = pa.Field(nullable=False)
    plan_type: str = pa.Field(nullable=True)


SCHEMAS = {"usage": CopilotUsage, "users": CopilotUserUsage, "seats": CopilotSeats}
