"""Routing rows by a pandera schema (shared by every raw source)."""

from __future__ import annotations

from typing import Optional

import pandera.polars as pa
import polars as pl


class RawContract(pa.DataFrameModel):
    """What every raw table's contract shares: values must fit their typed columns. Flattening
    reports the ones that do not in `attr_errors`, which pandera then rejects row by row."""

    # Present while ingesting, absent from the stored table.
    attr_errors: Optional[str] = pa.Field(nullable=True)

    @pa.check("attr_errors", name="values_fit_their_types")
    @classmethod
    def values_fit_their_types(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col(data.key).is_null())

    class Config:
        strict = False
        coerce = False


def split_valid(schema: type[pa.DataFrameModel], frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(valid rows, invalid rows with a `reason`): pandera reports the failing row indexes, so one
    schema definition both routes bad rows to quarantine and checks what was loaded."""
    try:
        schema.validate(frame, lazy=True)
        return frame, frame.head(0).with_columns(pl.lit(None, pl.String).alias("reason"))
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    row_cases = cases.filter(pl.col("index").is_not_null())
    if row_cases.height < cases.height:
        # A table-level failure (missing column, wrong dtype) is a bug in flattening, not bad input.
        raise ValueError(f"{schema.__name__}: schema failure not tied to rows:\n{cases.filter(pl.col('index').is_null())}")
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
