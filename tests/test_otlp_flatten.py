"""Pure polars flattening of OTLP/JSON: the official examples, every AnyValue kind, both int64
encodings, id case, enums and bad input. No Dagster, no DuckDB."""

from __future__ import annotations

import json

import polars as pl
import pytest

from analytics_assets.otlp.flatten import decode_lines
from analytics_assets.otlp.schemas import split_valid

from .conftest import int_attr, otlp_line, span, spans_line

TRACE = "5b8efff798038103d269b633813fc60c"


def decode(*lines: bytes):
    return decode_lines(["f"] * len(lines), list(range(len(lines))), list(lines))


def test_official_examples(shared_fixtures):
    otlp = shared_fixtures / "otlp"
    spans = decode((otlp / "trace.json").read_bytes()).spans
    assert spans.height == 1
    row = spans.row(0, named=True)
    assert row["trace_id"] == TRACE  # upper-case hex in the sample, lower-cased here
    assert row["span_id"] == "eee19b7ec3c1b174" and row["parent_span_id"] == "eee19b7ec3c1b173"
    assert row["span_kind"] == "server" and row["duration_ms"] == 1000.0
    assert row["service_name"] == "my.service" and row["scope_name"] == "my.library"
    assert json.loads(row["attributes"]) == {"my.span.attr": "some value"}
    assert json.loads(row["scope_attributes"]) == {"my.scope.attribute": "some scope attribute"}

    logs = decode((otlp / "logs.json").read_bytes()).logs
    attrs = json.loads(logs.row(0, named=True)["attributes"])
    assert attrs == {
        "string.attribute": "some string",
        "boolean.attribute": True,
        "int.attribute": 10,
        "double.attribute": 637.704,
        "array.attribute": ["many", "values"],
        "map.attribute": {"some.map.key": "some value"},
    }
    assert logs["severity_number"].to_list() == [10] and logs["body"].to_list() == ["Example log record"]

    events = decode((otlp / "events.json").read_bytes()).logs
    assert events["otel_event_name"].to_list() == ["browser.page_view"]
    assert json.loads(events["body"][0])["url"].startswith("https://")

    points = decode((otlp / "metrics.json").read_bytes()).metric_points.sort("metric_name")
    by_name = {r["metric_name"]: r for r in points.iter_rows(named=True)}
    assert set(by_name) == {"my.counter", "my.gauge", "my.histogram", "my.exponential.histogram"}
    assert by_name["my.counter"]["metric_type"] == "sum" and by_name["my.counter"]["temporality"] == "delta"
    assert by_name["my.counter"]["is_monotonic"] is True and by_name["my.counter"]["value"] == 5.0
    assert by_name["my.gauge"]["value"] == 10.0 and by_name["my.gauge"]["temporality"] is None
    hist = by_name["my.histogram"]
    assert (hist["count"], hist["sum"], hist["bucket_counts"], hist["explicit_bounds"]) == (2, 2.0, [1, 1], [1.0])
    exp = by_name["my.exponential.histogram"]
    assert (exp["count"], exp["exp_zero_count"], exp["exp_positive_offset"], exp["exp_positive_bucket_counts"]) == (3, 1, 1, [0, 2])


def test_int64_as_string_or_number_and_ids_in_either_case():
    line = spans_line(
        span(TRACE.upper(), "EEE19B7EC3C1B174", [int_attr("zen.tokens.total", "42")], start="1763600000000000000"),
        span(TRACE, "eee19b7ec3c1b175", [int_attr("zen.tokens.total", 43)], start=1763600000000000000),
    )
    spans = decode(line).spans
    assert spans["zen_tokens_total"].to_list() == [42, 43]
    assert spans["trace_id"].to_list() == [TRACE, TRACE]
    assert spans["start_time"].null_count() == 0


def test_numeric_attributes_as_strings_or_numbers_are_typed():
    attrs = [
        {"key": "event.name", "value": {"stringValue": "api_request"}},
        {"key": "cost_usd", "value": {"stringValue": "0.25"}},
        {"key": "input_tokens", "value": {"stringValue": "100"}},
        {"key": "output_tokens", "value": {"intValue": 7}},
        {"key": "duration_ms", "value": {"doubleValue": "1500"}},
        {"key": "success", "value": {"stringValue": "true"}},
    ]
    line = otlp_line("resourceLogs", "scopeLogs", "logRecords", [{"timeUnixNano": "1763600000000000000", "attributes": attrs}])
    row = decode(line).logs.row(0, named=True)
    assert (row["cost_usd"], row["input_tokens"], row["output_tokens"], row["duration_ms"], row["success"]) == (0.25, 100, 7, 1500.0, True)
    assert row["attributes"] == "{}"  # every key was modeled


def test_unknown_any_value_kind_quarantines_only_that_record():
    good = span(TRACE, "0000000000000001", [int_attr("zen.tokens.total", 5)])
    bad = span(TRACE, "0000000000000002", [{"key": "weird", "value": {"fooValue": 1}}])
    decoded = decode(spans_line(good, bad))
    assert decoded.spans["span_id"].to_list() == ["0000000000000001"]
    assert decoded.quarantine.height == 1
    assert "unknown AnyValue kind" in decoded.quarantine["reason"][0] and "weird" in decoded.quarantine["reason"][0]


def test_value_like_keys_and_texts_are_not_taken_for_unknown_kinds():
    """A key or a text that merely ends in "Value" is no AnyValue kind: only a line with a real
    unknown kind (a `"...Value":` member) is routed to the Python path and quarantines its record."""
    named = span(TRACE, "0000000000000001", [{"key": "maxValue", "value": {"intValue": "3"}},
                                             {"key": "note", "value": {"stringValue": 'the "lastValue": field'}},
                                             {"key": "label", "value": {"stringValue": "fooValue"}}])
    mixed = [span(TRACE, "0000000000000002", [{"key": "minValue", "value": {"doubleValue": 0.5}}]),
             span(TRACE, "0000000000000003", [{"key": "weird", "value": {"fooValue": 1}}])]
    decoded = decode(spans_line(named), spans_line(*mixed))
    rows = {r["span_id"]: r["attributes"] for r in decoded.spans.iter_rows(named=True)}
    assert rows == {"0000000000000001": '{"maxValue":3,"note":"the \\"lastValue\\": field","label":"fooValue"}',
                    "0000000000000002": '{"minValue":0.5}'}
    (reason,) = decoded.quarantine["reason"].to_list()
    assert "unknown AnyValue kind" in reason and "weird" in reason


def test_truncated_and_non_object_lines_are_quarantined_whole():
    good = spans_line(span(TRACE, "0000000000000001"))
    decoded = decode(good, good[:40], b"[1,2]", b'"text"', b"\xff\xfe not utf-8")
    assert decoded.spans.height == 1
    reasons = decoded.quarantine.sort("source_offset")["reason"].to_list()
    assert len(reasons) == 4
    assert reasons[0].startswith("truncated line")
    assert all(r for r in reasons)
    assert decoded.quarantine["source_offset"].sort().to_list() == [1, 2, 3, 4]


def test_validation_routes_bad_records_with_reasons():
    frame = decode(
        spans_line(
            span(None, "0000000000000001"),  # missing traceId
            span(TRACE, "0000000000000002", [int_attr("zen.tokens.total", -5)]),  # negative tokens
            span(TRACE, "0000000000000003", [{"key": "zen.tokens.total", "value": {"stringValue": "many"}}]),  # wrong type
            span(TRACE, "0000000000000004", [int_attr("zen.tokens.total", "12")]),
        )
    ).spans
    good, bad = split_valid("spans", frame)
    assert good["span_id"].to_list() == ["0000000000000004"]
    reasons = dict(zip(bad["span_id"].to_list(), bad["reason"].to_list()))
    assert "trace_id" in reasons["0000000000000001"] and "not_nullable" in reasons["0000000000000001"]
    assert "zen_tokens_total" in reasons["0000000000000002"]
    assert "zen.tokens.total=many" in reasons["0000000000000003"]


def test_zen_tools_become_a_list_and_leave_the_extra_json():
    attrs = [int_attr("zen.tools.invocations.Read", "3"), int_attr("zen.tools.tokens.Read", 300),
             int_attr("zen.tools.invocations.mcp__github__create_pull_request", 1), {"key": "other", "value": {"boolValue": False}}]
    row = decode(spans_line(span(TRACE, "0000000000000001", attrs))).spans.row(0, named=True)
    assert row["zen_tools"] == [
        {"tool": "Read", "invocations": 3, "tokens": 300},
        {"tool": "mcp__github__create_pull_request", "invocations": 1, "tokens": None},
    ]
    assert json.loads(row["attributes"]) == {"other": False}


def test_prompt_text_and_tool_inputs_are_never_kept():
    attrs = [{"key": "prompt", "value": {"stringValue": "my secret plan"}}, {"key": "prompt_length", "value": {"intValue": "14"}},
             {"key": "tool_parameters", "value": {"stringValue": "{\"cmd\": \"rm -rf\"}"}}]
    line = otlp_line("resourceLogs", "scopeLogs", "logRecords", [{"timeUnixNano": "1763600000000000000", "attributes": attrs}])
    row = decode(line).logs.row(0, named=True)
    assert row["prompt_length"] == 14
    assert "secret plan" not in json.dumps(row, default=str) and "rm -rf" not in json.dumps(row, default=str)


def test_empty_input_has_the_full_schema():
    decoded = decode_lines([], [], [])
    for frame in decoded.frames().values():
        assert frame.height == 0 and "record_key_src" in frame.columns
    assert decoded.spans.schema["zen_tools"] == pl.List(pl.Struct({"tool": pl.String, "invocations": pl.Int64, "tokens": pl.Int64}))


@pytest.mark.parametrize("kind,value,expected", [("stringValue", "x", "x"), ("boolValue", True, True), ("doubleValue", 1.5, 1.5),
                                                  ("intValue", "9007199254740993", 9007199254740993), ("bytesValue", "aGk=", "aGk=")])
def test_every_scalar_kind_round_trips_to_json(kind, value, expected):
    row = decode(spans_line(span(TRACE, "0000000000000001", [{"key": "k", "value": {kind: value}}]))).spans.row(0, named=True)
    assert json.loads(row["attributes"]) == {"k": expected}
