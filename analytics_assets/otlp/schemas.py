"""pandera contracts for the three raw OTLP tables.

Used twice, with one definition: during ingestion to route each failing record to quarantine
(pandera reports the failing row indexes), and as the blocking asset checks on what was loaded.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl
from pandera.engines.polars_engine import DateTime

from .. import validation

HEX32 = r"^[0-9a-f]{32}$"
HEX16 = r"^[0-9a-f]{16}$"
COUNT = {"nullable": True, "ge": 0}


class OtlpSpans(validation.RawContract):
    trace_id: str = pa.Field(nullable=False, str_matches=HEX32)
    span_id: str = pa.Field(nullable=False, str_matches=HEX16)
    parent_span_id: str = pa.Field(nullable=True, str_matches=HEX16)
    start_time: DateTime = pa.Field(nullable=False, dtype_kwargs={"time_unit": "us", "time_zone": "UTC"})
    duration_ms: float = pa.Field(nullable=True, ge=0)
    status_code: str = pa.Field(nullable=True, isin=["unset", "ok", "error"])
    zen_tokens_input: int = pa.Field(**COUNT)
    zen_tokens_output: int = pa.Field(**COUNT)
    zen_tokens_cache_read: int = pa.Field(**COUNT)
    zen_tokens_cache_creation: int = pa.Field(**COUNT)
    zen_tokens_tools: int = pa.Field(**COUNT)
    zen_tokens_total: int = pa.Field(**COUNT)
    zen_cost_usd_input: float = pa.Field(**COUNT)
    zen_cost_usd_output: float = pa.Field(**COUNT)
    zen_cost_usd_cache_read: float = pa.Field(**COUNT)
    zen_cost_usd_cache_creation: float = pa.Field(**COUNT)
    zen_cost_usd_total: float = pa.Field(**COUNT)
    zen_duration_ms: float = pa.Field(**COUNT)


class OtlpLogs(validation.RawContract):
    time: DateTime = pa.Field(nullable=False, dtype_kwargs={"time_unit": "us", "time_zone": "UTC"})
    trace_id: str = pa.Field(nullable=True, str_matches=HEX32)
    span_id: str = pa.Field(nullable=True, str_matches=HEX16)
    cost_usd: float = pa.Field(**COUNT)
    duration_ms: float = pa.Field(**COUNT)
    input_tokens: int = pa.Field(**COUNT)
    output_tokens: int = pa.Field(**COUNT)
    cache_read_tokens: int = pa.Field(**COUNT)
    cache_creation_tokens: int = pa.Field(**COUNT)


class OtlpMetricPoints(validation.RawContract):
    metric_name: str = pa.Field(nullable=False, str_length={"min_value": 1})
    metric_type: str = pa.Field(isin=["sum", "gauge", "histogram", "exponential_histogram", "summary"])
    time: DateTime = pa.Field(nullable=False, dtype_kwargs={"time_unit": "us", "time_zone": "UTC"})
    temporality: str = pa.Field(nullable=True, isin=["delta", "cumulative", "unspecified"])
    count: int = pa.Field(**COUNT)


SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "spans": OtlpSpans,
    "logs": OtlpLogs,
    "metric_points": OtlpMetricPoints,
}


def split_valid(signal: str, frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    return validation.split_valid(SCHEMAS[signal], frame)
