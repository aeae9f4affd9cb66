"""Attribute lists (OTLP `KeyValue[]`) to typed columns plus a JSON object of the rest.

The keys we model (Zen, Claude Code, resource conventions) become typed columns; every other key
is kept, as JSON, in one `*_attributes` column, so nothing a producer sends is lost. Values that
do not fit their column's type (e.g. `input_tokens = "abc"`) are reported in `attr_errors`,
which the pandera schema rejects, so such records are quarantined instead of loading a null.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from .wire import WIDE_VALUE_KINDS


@dataclass(frozen=True)
class Attr:
    column: str
    key: str
    dtype: pl.DataType = pl.String


# Keys whose values are never stored (DESIGN.md, privacy): prompt text and tool inputs.
NEVER_STORED = frozenset({"prompt", "tool_parameters", "tool_input"})

_VALUE_FIELDS = WIDE_VALUE_KINDS


def _json_string(expr: pl.Expr) -> pl.Expr:
    """A string column as JSON string literals (escaped and quoted) via polars' own encoder."""
    return pl.struct(expr.alias("v")).struct.json_encode().str.slice(5).str.head(-1)


def long_attributes(frame: pl.DataFrame, id_col: str, attr_col: str) -> pl.DataFrame:
    """(id, key, text, and the value's kinds) rows, one per attribute. `with_json` adds the value
    as JSON text to the rows that need it (the costly part: most attributes are modeled keys,
    stored typed, whose JSON nothing reads)."""
    long = (
        frame.select(id_col, pl.col(attr_col))
        .explode(attr_col)
        .drop_nulls(attr_col)
        .unnest(attr_col)
        .unnest("value")
    )
    long = long.filter(~pl.col("key").is_in(list(NEVER_STORED)))  # dropped before anything reads them
    for name in _VALUE_FIELDS:  # a struct missing a field after a schema change stays usable
        if name not in long.columns:
            long = long.with_columns(pl.lit(None, pl.String).alias(name))
    return long.select(
        id_col,
        pl.col("key").fill_null(""),
        pl.coalesce(*[pl.col(n) for n in _VALUE_FIELDS]).alias("text"),
        *_VALUE_FIELDS,
    )


def with_json(long: pl.DataFrame) -> pl.DataFrame:
    """`long_attributes` rows with their value as JSON text (`json`)."""
    as_float = pl.col("doubleValue").cast(pl.Float64, strict=False)
    as_int = pl.col("intValue").cast(pl.Int64, strict=False)
    value_json = (
        pl.when(pl.col("stringValue").is_not_null())
        .then(_json_string(pl.col("stringValue")))
        .when(pl.col("intValue").is_not_null() & as_int.is_not_null())
        .then(as_int.cast(pl.String))
        .when(pl.col("doubleValue").is_not_null() & as_float.is_finite())
        .then(as_float.cast(pl.String))
        .when(pl.col("boolValue").is_in(["true", "false"]))
        .then(pl.col("boolValue"))
        .when(pl.col("jsonValue").is_not_null())
        .then(pl.col("jsonValue"))
        .when(pl.coalesce(pl.col("intValue"), pl.col("doubleValue"), pl.col("boolValue"), pl.col("bytesValue")).is_not_null())
        .then(_json_string(pl.coalesce(pl.col("intValue"), pl.col("doubleValue"), pl.col("boolValue"), pl.col("bytesValue"))))
        .otherwise(pl.lit("null"))
    )
    return long.with_columns(value_json.alias("json"))


def _json_of(long: pl.DataFrame) -> pl.DataFrame:
    return long if "json" in long.columns else with_json(long)


def _cast(text: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.Boolean:
        lowered = text.str.to_lowercase()
        return pl.when(lowered == "true").then(True).when(lowered == "false").then(False).otherwise(None)
    if dtype == pl.Int64:
        # "12", 12 and "12.0" are all the integer 12; "12.5" is not an integer.
        as_float = text.cast(pl.Float64, strict=False)
        via_float = pl.when(as_float == as_float.floor()).then(as_float.cast(pl.Int64, strict=False))
        return pl.coalesce(text.cast(pl.Int64, strict=False), via_float)
    return text.cast(dtype, strict=False)


def typed_attributes(
    frame: pl.DataFrame,
    id_col: str,
    attr_col: str,
    modeled: tuple[Attr, ...],
    extra_col: str,
    long: pl.DataFrame | None = None,
    fingerprint: bool = True,
) -> pl.DataFrame:
    """One row per id: a typed column per modeled key, `extra_col` (JSON object of the other keys),
    `_fingerprint` (every key and value, for content hashes) and `attr_errors`."""
    if long is None:
        long = long_attributes(frame, id_col, attr_col)
    if fingerprint:
        long = with_json(long)  # every value's JSON goes into the fingerprint
    by_key = {a.key: a for a in modeled}
    modeled_long = long.filter(pl.col("key").is_in(list(by_key)))
    ids = frame.select(id_col)

    if modeled_long.height:
        wide = modeled_long.pivot(on="key", index=id_col, values="text", aggregate_function="first")
    else:
        wide = ids.head(0)
    missing = [a for a in modeled if a.key not in wide.columns]
    wide = wide.with_columns([pl.lit(None, pl.String).alias(a.key) for a in missing])

    typed, errors = [], []
    for a in modeled:
        raw = pl.col(a.key)
        value = _cast(raw, a.dtype) if a.dtype != pl.String else raw
        typed.append(value.alias(a.column))
        if a.dtype != pl.String:
            errors.append(
                pl.when(raw.is_not_null() & value.is_null())
                .then(pl.lit(f"{a.key}=") + raw.str.head(40) + pl.lit(f" is not {a.dtype}"))
            )
    wide = wide.select(
        id_col,
        *typed,
        (pl.concat_str(errors, separator="; ", ignore_nulls=True) if errors else pl.lit(None, pl.String))
        .alias("attr_errors"),
    )
    wide = wide.with_columns(pl.when(pl.col("attr_errors") != "").then(pl.col("attr_errors")).alias("attr_errors"))

    rest = (
        _json_of(long.filter(~pl.col("key").is_in(list(by_key))))
        .group_by(id_col)
        .agg((_json_string(pl.col("key")) + pl.lit(":") + pl.col("json")).str.join(",").alias(extra_col))
        .with_columns((pl.lit("{") + pl.col(extra_col) + pl.lit("}")).alias(extra_col))
    )
    out = ids.join(wide, on=id_col, how="left").join(rest, on=id_col, how="left").with_columns(pl.col(extra_col).fill_null("{}"))
    if not fingerprint:  # records keyed by their own ids need no content hash
        return out
    prints = long.group_by(id_col).agg(
        (pl.col("key") + pl.lit("=") + pl.col("json")).sort().str.join("\x1f").alias("_fingerprint")
    )
    return out.join(prints, on=id_col, how="left").with_columns(pl.col("_fingerprint").fill_null(""))
