"""Routing rows by a pandera schema (shared by every raw source)."""

from __future__ import annotations

from functools import lru_cache, partial
from typing import Callable, Optional

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData
from pandera.backends.polars import builtin_checks  # noqa: F401 - registers the built-in checks for PolarsData


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
    no_rows_rejected = frame.head(0).with_columns(pl.lit(None, pl.String).alias("reason"))
    if _every_row_passes(schema, frame) and _fits_its_columns(schema, frame):
        # The usual batch. pandera's own validation, one collect per data check, costs ~20 ms a
        # batch however small (most of a small ingest); at its schema-only depth still ~5 ms, most of
        # it its machinery (~2.5 ms once warm).
        return frame, no_rows_rejected
    try:
        schema.validate(frame, lazy=True)
        return frame, no_rows_rejected
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


@lru_cache(maxsize=None)
def _row_checks(schema: type[pa.DataFrameModel]) -> tuple[tuple[str, bool, tuple[tuple[Callable, bool], ...]], ...] | None:
    """Per column: (name, nullable, (pandera's own check function, its ignore_na) ...); None when
    the schema has a check this screen does not evaluate (a dataframe-wide or element-wise one)."""
    compiled = schema.to_schema()
    if compiled.checks or compiled.unique:
        return None
    columns = []
    for name, column in compiled.columns.items():
        if column.unique or column.regex or any(check.element_wise or check.groupby is not None for check in column.checks):
            return None
        checks = tuple((partial(check._check_fn, **check._check_kwargs), check.ignore_na) for check in column.checks)
        columns.append((name, column.nullable, checks))
    return tuple(columns)


@lru_cache(maxsize=None)
def _columns(schema: type[pa.DataFrameModel]) -> tuple[tuple[str, bool, object], ...] | None:
    """Per column: (name, required, pandera dtype); None when the schema checks more of a frame's
    shape than that (strict or ordered columns, coercion, parsers, a dataframe dtype)."""
    compiled = schema.to_schema()
    if (compiled.strict or compiled.ordered or compiled.coerce or compiled.unique_column_names or compiled.add_missing_columns
            or compiled.dtype is not None or compiled.parsers):
        return None
    if any(column.coerce or column.parsers or column.regex for column in compiled.columns.values()):
        return None
    return tuple((name, column.required, column.dtype) for name, column in compiled.columns.items())


def _fits_its_columns(schema: type[pa.DataFrameModel], frame: pl.DataFrame) -> bool:
    """pandera's schema-level verdict (its required columns there, each of its dtype, by pandera's
    own dtype check), without running its validation. False when it cannot tell: pandera decides."""
    columns = _columns(schema)
    if columns is None:
        return False
    lazy = frame.lazy()
    for name, required, dtype in columns:
        if name not in frame.schema:
            if required:
                return False
        elif dtype is not None and not dtype.check(frame.schema[name], PolarsData(lazy, name)):
            return False
    return True


class _Selecting:
    """Stands in for the frame in a pandera check (`data.lazyframe`): pandera's polars checks return
    `data.lazyframe.select(<one expression>)`, and this hands the expression back, to be evaluated
    with every other check's in one select (half the cost of collecting their frames side by side)."""

    def select(self, *exprs: object, **named: object) -> pl.Expr:
        if named or len(exprs) != 1 or not isinstance(exprs[0], pl.Expr):
            raise _NotOneExpression
        return exprs[0]

    def __getattr__(self, name: str) -> object:
        raise _NotOneExpression  # a check that does more with the frame


class _NotOneExpression(Exception):
    pass


def _every_row_passes(schema: type[pa.DataFrameModel], frame: pl.DataFrame) -> bool:
    """Every row passes every data check of `schema`, as pandera evaluates them (its own check
    functions, nulls and NaN as it treats them), in one select. False also when it cannot tell
    (a column missing, a check it does not evaluate or that is not one expression, a check that
    errs): pandera then decides."""
    checks = _row_checks(schema)
    if checks is None or frame.height == 0:
        return checks is not None
    verdicts: list[pl.Expr] = []  # per row: the required values are there (pandera counts NaN as missing too), each check passes
    try:
        for name, nullable, column_checks in checks:
            if name not in frame.columns:
                return False
            if not nullable:
                verdicts.append(pl.col(name).is_not_null() & pl.col(name).is_not_nan() if frame.schema[name].is_float() else pl.col(name).is_not_null())
            for check, ignore_na in column_checks:
                ok = check(PolarsData(_Selecting(), name))
                if isinstance(ok, bool):
                    if not ok:
                        return False
                    continue
                if not isinstance(ok, pl.Expr):
                    return False
                verdicts.append(ok | ok.is_null() if ignore_na else ok.fill_null(False))
        return not verdicts or bool(frame.select(pl.all_horizontal(verdicts).all()).item())
    except Exception:  # noqa: BLE001 - a check that cannot run here (or is not one expression) is pandera's to report
        return False
