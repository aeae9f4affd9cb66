"""The row screen in validation.split_valid: one select decides that every row passes, else
pandera decides row by row. It must never pass a frame pandera would reject."""

from __future__ import annotations

import datetime as dt

import pandera.polars as pa
import polars as pl
import pytest

from analytics_assets import validation
from analytics_assets.otlp.schemas import OtlpMetricPoints, OtlpSpans
from analytics_assets.transcripts.schemas import ClaudeRequests

UTC = dt.timezone.utc


def _claude() -> pl.DataFrame:
    counts = {c: [1, None, 0] for c in ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens",
                                        "cache_creation_5m_tokens", "cache_creation_1h_tokens")}
    return pl.DataFrame({"agent": ["claude_code"] * 3, "source_file": ["a", "b", "c"], **counts,
                         "reported_cost_usd": [0.5, None, 0.0], "attr_errors": [None, None, None]},
                        schema_overrides={c: pl.Int64 for c in counts} | {"attr_errors": pl.String})


def _spans() -> pl.DataFrame:
    ints = ("zen_tokens_input", "zen_tokens_output", "zen_tokens_cache_read", "zen_tokens_cache_creation", "zen_tokens_tools", "zen_tokens_total")
    floats = ("duration_ms", "zen_cost_usd_input", "zen_cost_usd_output", "zen_cost_usd_cache_read", "zen_cost_usd_cache_creation",
              "zen_cost_usd_total", "zen_duration_ms")
    return pl.DataFrame({
        "trace_id": ["0" * 32, "a" * 32], "span_id": ["1" * 16, "b" * 16], "parent_span_id": [None, "c" * 16],
        "start_time": [dt.datetime(2026, 11, 1, tzinfo=UTC)] * 2, "status_code": ["ok", None],
        **{c: [3, None] for c in ints}, **{c: [1.5, None] for c in floats}, "attr_errors": [None, None],
    }, schema_overrides={c: pl.Int64 for c in ints} | {c: pl.Float64 for c in floats} | {"attr_errors": pl.String, "parent_span_id": pl.String}
    ).with_columns(pl.col("start_time").dt.cast_time_unit("us"))


def _points() -> pl.DataFrame:
    return pl.DataFrame({"metric_name": ["m", "n"], "metric_type": ["sum", "gauge"], "time": [dt.datetime(2026, 11, 1, tzinfo=UTC)] * 2,
                         "temporality": ["delta", None], "count": [1, None], "attr_errors": [None, None]},
                        schema_overrides={"count": pl.Int64, "attr_errors": pl.String}).with_columns(pl.col("time").dt.cast_time_unit("us"))


def _pandera_passes(schema, frame) -> bool:
    try:
        schema.validate(frame, lazy=True)
        return True
    except pa.errors.SchemaErrors:
        return False


CASES = [
    (ClaudeRequests, _claude, {
        "negative count": pl.col("output_tokens").replace(0, -1),
        "negative cost": pl.col("reported_cost_usd").replace(0.0, -0.01),
        "NaN cost (nullable: passes as pandera lets it)": pl.col("reported_cost_usd").replace(0.0, float("nan")),
        "unknown agent": pl.lit("cursor").alias("agent"),
        "missing source_file": pl.col("source_file").replace("b", None),
        "a value that did not fit its type": pl.col("attr_errors").fill_null("input_tokens=lots"),
    }),
    (OtlpSpans, _spans, {
        "trace id not hex": pl.col("trace_id").replace("0" * 32, "Z" * 32),
        "trace id too short": pl.col("trace_id").str.slice(1),
        "missing span id": pl.col("span_id").replace("1" * 16, None),
        "bad parent": pl.col("parent_span_id").replace("c" * 16, "c"),
        "status unknown": pl.col("status_code").fill_null("weird"),
        "NaN duration": pl.col("duration_ms").fill_null(float("nan")),
        "negative tokens": pl.col("zen_tokens_total").fill_null(-3),
    }),
    (OtlpMetricPoints, _points, {
        "empty name": pl.col("metric_name").replace("m", ""),
        "bad type": pl.col("metric_type").replace("sum", "counter"),
        "bad temporality": pl.col("temporality").fill_null("sometimes"),
    }),
]


@pytest.mark.parametrize("schema, make, mutations", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_the_row_screen_passes_exactly_what_pandera_passes(schema, make, mutations):
    frame = make()
    assert validation._every_row_passes(schema, frame) and _pandera_passes(schema, frame)
    for label, mutation in mutations.items():
        changed = frame.with_columns(mutation)
        screen, pandera = validation._every_row_passes(schema, changed), _pandera_passes(schema, changed)
        assert screen == pandera, label
        good, bad = validation.split_valid(schema, changed)
        assert good.height + bad.height == frame.height and (bad.height == 0) == pandera, label
    # A frame of the wrong shape is pandera's to reject, whatever the screen says of its rows.
    with pytest.raises(ValueError, match="schema failure not tied to rows"):
        validation.split_valid(schema, frame.with_columns(pl.col("attr_errors").cast(pl.Categorical)))


@pytest.mark.parametrize("schema, make, mutations", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_the_columns_screen_agrees_with_pandera_on_the_frame_shape(schema, make, mutations):
    """split_valid skips pandera's validation when the screens pass: the columns screen must say
    no wherever pandera's schema-level checks would (a required column gone, another dtype)."""
    frame = make()
    assert validation._fits_its_columns(schema, frame)
    assert validation._fits_its_columns(schema, frame.with_columns(pl.lit(1).alias("an_extra_column")))  # not strict
    first = frame.columns[0]
    shapes = {
        "a required column missing": frame.drop(first),
        "a String column as Categorical": frame.with_columns(pl.col("attr_errors").cast(pl.Categorical)),
        "an Int64 column as Int32": frame.with_columns(pl.col(pl.Int64).cast(pl.Int32)),
    }
    for label, changed in shapes.items():
        if changed.schema == frame.schema:
            continue
        assert not validation._fits_its_columns(schema, changed), label
        assert not _pandera_passes(schema, changed), label


class _Counted(pa.DataFrameModel):
    """A check that is not one expression over the frame (it collects it): the screen cannot evaluate it."""

    n: int = pa.Field(ge=0)

    @pa.check("n", name="few_distinct")
    @classmethod
    def few_distinct(cls, data: pa.PolarsData) -> bool:
        return data.lazyframe.collect().get_column(data.key).n_unique() < 10


def test_a_check_the_screen_cannot_evaluate_leaves_the_verdict_to_pandera():
    frame = pl.DataFrame({"n": [1, 2, -3]})
    assert not validation._every_row_passes(_Counted, frame)  # cannot tell: not "every row passes"
    good, bad = validation.split_valid(_Counted, frame)
    assert good.get_column("n").to_list() == [1, 2] and bad.get_column("n").to_list() == [-3]
    assert "greater_than_or_equal_to" in bad.get_column("reason")[0]
    assert validation.split_valid(_Counted, frame.head(2))[0].height == 2  # pandera passes it whole
