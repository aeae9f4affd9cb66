"""pandera contracts for the three raw OTLP tables.

Used twice, with one definition: during ingestion to route each failing record to quarantine
(pandera reports the failing row indexes), and as the blocking asset checks on what was loaded.
"""

from __future__ import annotations

from pandera.engines.polars_engine import DateTime

from typing import Optional

import pandera.polars as pa
import polars as pl

HEX32 = r"^[0-9a-f]{32}$"
HEX16 = r"^[0-9a-f]{16}$"


COUNT = {"nullable": True, "ge": 0}


class _RawContract(pa.DataFrameModel):
    """What every raw OTLP table shares: attribute values must fit their typed columns."""

    # Present while ingesting (set by flattening), absent from the stored table.
    attr_errors: Optional[str] = pa.Field(nullable=True)

    @pa.check("attr_errors", name="attribute_values_fit_their_types")
    @classmethod
    def attribute_values_fit_their_types(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col(data.key).is_null())

    class Config:
        strict = False
        coerce = False


class OtlpSpans(_RawContract):
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


class OtlpLogs(_RawContract):
    time: DateTime = pa.Field(nullable=False, dtype_kwargs={"time_unit": "us", "time_zone": "UTC"})
    trace_id: str = pa.Field(nullable=True, str_matches=HEX32)
    span_id: str = pa.Field(nullable=True, str_matches=HEX16)
    cost_usd: float = pa.Field(**COUNT)
    duration_ms: float = pa.Field(**COUNT)
    input_tokens: int = pa.Field(**COUNT)
    output_tokens: int = pa.Field(**COUNT)
    cache_read_tokens: int = pa.Field(**COUNT)
    cache_creation_tokens: int = pa.Field(**COUNT)


class OtlpMetricPoints(_RawContract):
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
    """(valid rows, invalid rows with a `reason`) by the signal's pandera schema."""
    schema = SCHEMAS[signal]
    try:
        schema.validate(frame, lazy=True)
        return frame, frame.head(0).with_columns(pl.lit(None, pl.String).alias("reason"))
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    row_cases = cases.filter(pl.col("index").is_not_null())
    if row_cases.height < cases.height:
        # A table-level failure (missing column, wrong dtype) is a bug in flattening, not bad input.
        raise ValueError(f"{signal}: schema failure not tied to rows:\n{cases.filter(pl.col('index').is_null())}")
    reasons = (
        row_cases.with_columns(
            (pl.col("column") + pl.lit(": ") + pl.col("check") + pl.lit(" failed for ") + pl.col("failure_case").fill_null("null").str.head(120)).alias("reason")
        )
        .group_by("index")
        .agg(pl.col("reason").unique().sort().str.join("; "))
        .with_columns(pl.col("index").cast(pl.UInt32))
    )
    indexed = frame.with_row_index("_idx")
    bad = indexed.join(reasons, left_on="_idx", right_on="index", how="inner").drop("_idx")
    good = indexed.join(reasons, left_on="_idx", right_on="index", how="anti").drop("_idx")
    return good, bad
