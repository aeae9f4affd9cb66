"""The compiled OTLP decoder (otlp/_fastotlp.c: trace and log lines) against the polars path it
stands in for.

For every line it takes, its rows must equal flatten.py's, column by column and dtype by dtype;
every line it cannot be sure of it declines, and the polars path decodes or quarantines it as
before. The lines below are the demo generator's, the official examples, and variants of a span
line and of a log line covering each form a value can take on the wire, broken ones included,
then random corruptions of both; and the decoder's float text against polars' on random doubles.
"""

from __future__ import annotations

import datetime as dt
import json
import random

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analytics_assets.demo.otlp_files import write_claude_code_otel, write_zen_spans
from analytics_assets.demo.world import days, developers
from analytics_assets.otlp import fast_otlp
from analytics_assets.otlp.fast_otlp import _fastotlp
from analytics_assets.otlp.flatten import _decode_lines, decode_lines

pytestmark = pytest.mark.skipif(not fast_otlp.available(), reason="the compiled OTLP decoder is not built")

ORDER = ["source_file", "source_offset", "trace_id", "span_id", "start_time"]
LOG_ORDER = ["source_file", "source_offset", "record_key_src"]


def _reference(lines: list[bytes]):
    return _decode_lines(["f"] * len(lines), list(range(len(lines))), lines, 4096)


def _fast(lines: list[bytes]):
    fast = fast_otlp.decode(["f"] * len(lines), list(range(len(lines))), lines)
    return fast.spans, fast.declined


def _same(fast: pl.DataFrame, reference: pl.DataFrame, order: list[str] = ORDER) -> None:
    assert_frame_equal(fast.sort(order, nulls_last=True), reference.sort(order, nulls_last=True))


def _equal_decodes(lines: list[bytes]) -> None:
    """decode_lines (fast path, the rest by polars) equals the polars path alone on every frame."""
    sources, offsets = ["f"] * len(lines), list(range(len(lines)))
    mixed, reference = decode_lines(sources, offsets, lines), _decode_lines(sources, offsets, lines, 4096)
    _same(mixed.spans, reference.spans)
    _same(mixed.logs, reference.logs, LOG_ORDER)
    assert_frame_equal(mixed.metric_points, reference.metric_points)
    key = ["source_offset", "reason"]
    assert_frame_equal(mixed.quarantine.sort(key), reference.quarantine.sort(key))


def _lines_of(folder, pattern: str) -> tuple[list[str], list[int], list[bytes]]:
    lines, sources, offsets = [], [], []
    for path in sorted(folder.glob(pattern)):
        offset = 0
        for line in path.read_bytes().splitlines(keepends=True):
            lines.append(line.rstrip(b"\n"))
            sources.append(str(path))
            offsets.append(offset)
            offset += len(line)
    return sources, offsets, lines


def _line(spans: list[dict], resource: list[dict] | None = None, scope: dict | None = None, **request) -> bytes:
    entry = {"resource": {"attributes": resource if resource is not None else [_str("service.name", "zen")]},
             "scopeSpans": [{"scope": scope if scope is not None else {"name": "zen.agent", "version": "1"}, "spans": spans}]}
    return json.dumps({"resourceSpans": [entry], **request}, separators=(",", ":"), ensure_ascii=False).encode()


def _str(key, value):
    return {"key": key, "value": {"stringValue": value}}


def _span(attrs=None, **fields) -> dict:
    record = {"traceId": "5B8EFFF798038103D269B633813FC60C", "spanId": "EEE19B7EC3C1B174", "name": "zen.instance review",
              "kind": 1, "startTimeUnixNano": "1790094107648009000", "endTimeUnixNano": 1790094120058009000,
              "attributes": attrs if attrs is not None else [
                  _str("zen.instance.command", "zen review"), {"key": "zen.tokens.input", "value": {"intValue": "2164"}},
                  {"key": "zen.tokens.output", "value": {"intValue": 1819}},
                  {"key": "zen.cost.usd_total", "value": {"doubleValue": 0.059103750000000004}},
                  {"key": "zen.tools.invocations.Write", "value": {"intValue": 6}},
                  {"key": "zen.tools.tokens.Write", "value": {"intValue": 2940}},
                  {"key": "zen.tools.invocations.Bash", "value": {"intValue": "2"}},
                  _str("custom.note", "kept as JSON")],
              "status": {"code": 1}}
    record.update(fields)
    return {k: v for k, v in record.items() if v is not ...}


def _kv(key, **value):
    return {"key": key, "value": value}


VARIANTS = {
    "plain": _line([_span()]),
    "two spans, lower-case ids": _line([_span(), _span(traceId="5b8efff798038103d269b633813fc60d", spanId="aa")]),
    "kind as enum name": _line([_span(kind="SPAN_KIND_SERVER")]),
    "kind as number text": _line([_span(kind="3")]),
    "kind missing": _line([_span(kind=...)]),
    "kind unknown number": _line([_span(kind=9)]),
    "status as enum name": _line([_span(status={"code": "STATUS_CODE_ERROR", "message": "boom"})]),
    "status missing": _line([_span(status=...)]),
    "status null": _line([_span(status=None)]),
    "parent, state, events, links": _line([_span(parentSpanId="ABCDEF0123456789", traceState="k=v",
                                                 events=[{"name": "e1"}, {"name": "e2", "attributes": []}], links=[{"spanId": "01"}])]),
    "empty ids": _line([_span(traceId="", spanId="")]),
    "missing trace id": _line([_span(traceId=...)]),
    "times as numbers": _line([_span(startTimeUnixNano=1790094107648009000, endTimeUnixNano="1790094120058009999")]),
    "time zero": _line([_span(startTimeUnixNano="0")]),
    "time missing": _line([_span(endTimeUnixNano=...)]),
    "time with a plus": _line([_span(startTimeUnixNano="+1790094107648009000")]),
    "time beyond int64": _line([_span(startTimeUnixNano="9999999999999999999")]),
    "time as a float": _line([_span(startTimeUnixNano=1.5e18)]),
    "time as text": _line([_span(startTimeUnixNano="soon")]),
    "no attributes": _line([_span(attrs=[])]),
    "attributes null": _line([_span(attributes=None)]),
    "tokens as text with a plus": _line([_span([_kv("zen.tokens.total", intValue="+22403")])]),
    "tokens 12.0": _line([_span([_kv("zen.tokens.total", stringValue="12.0")])]),
    "tokens as a double": _line([_span([_kv("zen.tokens.total", doubleValue=12.0)])]),
    "tokens not a number": _line([_span([_kv("zen.tokens.total", intValue="lots")])]),
    "tokens negative": _line([_span([_kv("zen.tokens.total", intValue=-5)])]),
    "tokens minus zero": _line([_span([_kv("zen.tokens.total", intValue="-0")])]),
    "tokens 19 digits": _line([_span([_kv("zen.tokens.total", intValue="1234567890123456789")])]),
    "tokens 20 digits": _line([_span([_kv("zen.tokens.total", intValue="12345678901234567890")])]),
    "cost as text": _line([_span([_kv("zen.cost.usd_total", doubleValue="0.1")])]),
    "cost as an int": _line([_span([_kv("zen.cost.usd_total", intValue=3)])]),
    "cost many digits": _line([_span([_kv("zen.cost.usd_total", doubleValue=0.1234567890123456789)])]),
    "cost exponent": _line([_span([_kv("zen.cost.usd_total", doubleValue=1.5e-7)])]),
    "cost NaN": _line([_span([_kv("zen.cost.usd_total", doubleValue="NaN")])]),
    "cost negative zero": _line([_span([_kv("zen.cost.usd_total", doubleValue=-0.0)])]),
    "duration int": _line([_span([_kv("zen.instance.duration_ms", intValue=12410)])]),
    "command as int": _line([_span([_kv("zen.instance.command", intValue=7)])]),
    "command as bool": _line([_span([_kv("zen.instance.command", boolValue=True)])]),
    "command as double": _line([_span([_kv("zen.instance.command", doubleValue=1.5)])]),
    "command empty value": _line([_span([{"key": "zen.instance.command", "value": {}}])]),
    "command null value": _line([_span([{"key": "zen.instance.command", "value": None}])]),
    "command no value": _line([_span([{"key": "zen.instance.command"}])]),
    "command twice": _line([_span([_str("zen.instance.command", "a"), _str("zen.instance.command", "b")])]),
    "tool negative": _line([_span([_kv("zen.tools.invocations.Bash", intValue=-1)])]),
    "tool fraction": _line([_span([_kv("zen.tools.tokens.Bash", doubleValue=2.5)])]),
    "tool text": _line([_span([_kv("zen.tools.tokens.Bash", stringValue="many")])]),
    "tool as text number": _line([_span([_kv("zen.tools.tokens.Bash", stringValue="40")])]),
    "tool other measure": _line([_span([_kv("zen.tools.seconds.Bash", stringValue="x"), _kv("zen.tools.invocations", intValue=1)])]),
    "tool with dots, empty tool": _line([_span([_kv("zen.tools.invocations.mcp.fs.read", intValue=1), _kv("zen.tools.tokens.", intValue=2)])]),
    "tool twice": _line([_span([_kv("zen.tools.invocations.Bash", intValue=1), _kv("zen.tools.invocations.Bash", intValue=2)])]),
    "tools sorted": _line([_span([_kv(f"zen.tools.invocations.{t}", intValue=i) for i, t in enumerate(["b", "B", "a", "é", "A0"])])]),
    "rest of every kind": _line([_span([_str("s", "v"), _kv("i", intValue="0012"), _kv("b", boolValue=False), _kv("e"),
                                        _kv("n", intValue=-3), {"key": "nullvalue", "value": None}])]),
    "rest double": _line([_span([_kv("d", doubleValue=1e20)])]),
    "rest array": _line([_span([_kv("a", arrayValue={"values": [{"stringValue": "x"}]})])]),
    "rest kvlist": _line([_span([_kv("m", kvlistValue={"values": [{"key": "k", "value": {"intValue": 1}}]})])]),
    "rest bytes": _line([_span([_kv("y", bytesValue="aGk=")])]),
    "unknown kind": _line([_span([_kv("u", weirdValue="x")])]),
    "two kinds in one value": _line([_span([_kv("u", stringValue="x", intValue=1)])]),
    "bool as text": _line([_span([_kv("flag", boolValue="true")])]),
    "never stored keys": _line([_span([_str("prompt", "secret"), _str("tool_input", "x"), _str("kept", "y")])]),
    "key missing": _line([_span([{"value": {"stringValue": "x"}}])]),
    "key null": _line([_span([{"key": None, "value": {"stringValue": "x"}}])]),
    "escapes": _line([_span([_str("esc", 'a"b\\c/d\n\t\b\f\x01é😀\u2028'), _str("zen.instance.command", "tab\there")],
                            name="n\u00e9\"q")]),
    "escaped ascii and BMP": json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [_span([_str("k", "x")])]}]}]})
    .replace('"x"', '"\\u0041\\u00e9\\u4e2d\\/"').encode(),
    "escaped surrogate pair": _line([_span([_str("k", "x")])]).replace(b'"x"', b'"\\ud83d\\ude00"'),
    "escaped NUL": _line([_span([_str("k", "x")])]).replace(b'"x"', b'"a\\u0000b"'),
    "non-ASCII id": _line([_span(traceId="ÄB")]),
    "non-ASCII key": _line([_span([_str("schlüssel", "wert")])]),
    "resource after scopes": json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [_span()]}],
                                                            "resource": {"attributes": [_str("host.name", "h"), _str("x", "y")]}}]}).encode(),
    "no resource, no scope": json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [_span()]}]}]}).encode(),
    "resource null": json.dumps({"resourceSpans": [{"resource": None, "scopeSpans": [{"scope": None, "spans": [_span()]}]}]}).encode(),
    "resource modeled as int, twice": _line([_span()], resource=[_kv("os.type", intValue=4), _str("service.name", "a"), _str("service.name", "b")]),
    "scope attributes": _line([_span()], scope={"name": "s", "attributes": [_str("a", "b"), _kv("c", intValue=1)], "droppedAttributesCount": 0}),
    "two resources, two scopes": json.dumps({"resourceSpans": [
        {"resource": {"attributes": [_str("service.name", "one")]}, "scopeSpans": [{"scope": {"name": "a"}, "spans": [_span()]},
                                                                                 {"scope": {"name": "b"}, "spans": [_span(spanId="02")]}]},
        {"resource": {"attributes": [_str("service.name", "two")]}, "scopeSpans": [{"spans": [_span(spanId="03")]}]}]}).encode(),
    "empty and null lists": json.dumps({"resourceSpans": [{"scopeSpans": []}, {"scopeSpans": None}, {"scopeSpans": [{"spans": []}]}]}).encode(),
    "resourceSpans null": b'{"resourceSpans":null}',
    "resourceSpans empty": b'{"resourceSpans":[]}',
    "null entry": b'{"resourceSpans":[null]}',
    "schemaUrl and unknown fields": _line([_span(droppedAttributesCount=0, flags=256)], schemaUrl="https://x"),
    "unknown field ending in Value": _line([_span(someValue=1)]),
    "duplicate field": _line([_span()]).replace(b'"name":', b'"name":"first","name":', 1),
    "name as number": _line([_span(name=5)]),
    "attributes as object": _line([_span(attributes={"a": 1})]),
    "events not objects": _line([_span(events=[1])]),
    "event name an object": _line([_span(events=[{"name": {"x": 1}}])]),
    "event name a number, unknown event fields": _line([_span(events=[{"name": 5, "attributes": [{"k": [1, {}]}]}, {}])]),
    "link span id an array": _line([_span(links=[{"spanId": [1]}])]),
    "null event": _line([_span(events=[None])]),
    "unknown span fields of every type": _line([_span(extra={"a": [1, 2.5, None, True]}, other=[{"b": "c"}], more=None)]),
    "spans and logs in one line": _line([_span()], resourceLogs=[]),
    "a logs line": b'{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"1790094107648009000"}]}]}]}',
    "not a request": b'{"hello":"world"}',
    "empty object": b"{}",
    "array": b"[1,2]",
    "truncated": _line([_span()])[:-7],
    "trailing garbage": _line([_span()]) + b"x",
    "pretty-printed": json.dumps(json.loads(_line([_span()])), indent=2).encode(),
    "invalid UTF-8": _line([_span([_str("k", "x")])]).replace(b'"x"', b'"\xff\xfe"'),
    "raw control character": _line([_span([_str("k", "x")])]).replace(b'"x"', b'"a\x01b"'),
    "blank": b"   ",
    "huge value": _line([_span([_str("big", "x" * 3_000_000)])]),
}


def _log_line(records: list[dict], resource: list[dict] | None = None, scope: dict | None = None) -> bytes:
    entry = {"resource": {"attributes": resource if resource is not None else [_str("service.name", "claude-code"), _str("os.type", "linux")]},
             "scopeLogs": [{"scope": scope if scope is not None else {"name": "com.anthropic.claude_code.events"}, "logRecords": records}]}
    return json.dumps({"resourceLogs": [entry]}, separators=(",", ":"), ensure_ascii=False).encode()


def _log(attrs=None, **fields) -> dict:
    record = {"timeUnixNano": "1790094107648009000", "observedTimeUnixNano": "1790094107649009000", "severityNumber": 9,
              "severityText": "INFO", "body": {"stringValue": "claude_code.api_request"},
              "attributes": attrs if attrs is not None else [
                  _str("event.name", "api_request"), _str("event.timestamp", "2026-09-22T10:01:47.648Z"),
                  _str("session.id", "S-1"), _str("user.email", "Dev@Example.com"), _str("model", "claude-sonnet-4-5"),
                  _kv("cost_usd", doubleValue=0.012345), _kv("duration_ms", intValue=1234), _kv("input_tokens", intValue="200"),
                  _kv("output_tokens", intValue=80), _kv("cache_read_tokens", stringValue="1000"), _kv("success", boolValue=True),
                  _str("terminal.type", "vscode"), _kv("custom.ratio", doubleValue=2.5e-7), _kv("custom.n", intValue=3)]}
    record.update(fields)
    return {k: v for k, v in record.items() if v is not ...}


LOG_VARIANTS = {
    "plain": _log_line([_log(), _log(timeUnixNano="1790094107648009001")]),
    "times as numbers, no observed": _log_line([_log(timeUnixNano=1790094107648009000, observedTimeUnixNano=...)]),
    "no time, observed only": _log_line([_log(timeUnixNano=...)]),
    "time zero": _log_line([_log(timeUnixNano="0")]),
    "no times": _log_line([_log(timeUnixNano=..., observedTimeUnixNano=...)]),
    "severity as text": _log_line([_log(severityNumber="17")]),
    "severity as a name": _log_line([_log(severityNumber="SEVERITY_NUMBER_INFO")]),
    "severity beyond int32": _log_line([_log(severityNumber=3_000_000_000)]),
    "severity missing": _log_line([_log(severityNumber=..., severityText=...)]),
    "event name, ids": _log_line([_log(eventName="claude_code.tool_result", traceId="ABCDEF0123456789ABCDEF0123456789", spanId="00F0")]),
    "body int": _log_line([_log(body={"intValue": 5})]),
    "body double": _log_line([_log(body={"doubleValue": 1.5})]),
    "body double as text": _log_line([_log(body={"doubleValue": "1.50"})]),
    "body bool": _log_line([_log(body={"boolValue": False})]),
    "body empty": _log_line([_log(body={})]),
    "body missing": _log_line([_log(body=...)]),
    "body kvlist": _log_line([_log(body={"kvlistValue": {"values": [{"key": "k", "value": {"stringValue": "v"}}]}})]),
    "success as TRUE text": _log_line([_log([_kv("success", stringValue="TRUE")])]),
    "success as 1": _log_line([_log([_kv("success", intValue=1)])]),
    "success as yes": _log_line([_log([_kv("success", stringValue="yes")])]),
    "tokens 12.0": _log_line([_log([_kv("input_tokens", stringValue="12.0")])]),
    "cost as text": _log_line([_log([_kv("cost_usd", stringValue="0.5")])]),
    "cost bad": _log_line([_log([_kv("cost_usd", stringValue="cheap")])]),
    "doubles of every size in the rest": _log_line([_log([_kv(f"d{i}", doubleValue=v) for i, v in enumerate(
        [0.0, -0.0, 1.0, 0.1, 1e15, 1e16, 9.9e-6, 1e-5, 123456789.125, 0.30000000000000004, 1.7976931348623157e308,
         5e-324, -2.5, 4.35, 1e21, 0.059103750000000004, 100.0])])]),
    "doubles as text in the rest": _log_line([_log([_kv("a", doubleValue="1.50"), _kv("b", doubleValue="1e3"), _kv("c", doubleValue="-0.0")])]),
    "double NaN text": _log_line([_log([_kv("a", doubleValue="NaN")])]),
    "ints and bools in the rest": _log_line([_log([_kv("a", intValue="+7"), _kv("b", boolValue=True), _kv("c"), _str("d", 'q"\n')])]),
    "fingerprint order": _log_line([_log([_str("b", "1"), _str("a", "2"), _str("a.b", "3"), _str("A", "4"), _str("é", "5"), _str("a", "0")])]),
    "no attributes": _log_line([_log([])]),
    "never stored": _log_line([_log([_str("prompt", "secret"), _str("tool_parameters", "{}"), _str("event.name", "user_prompt")])]),
    "modeled twice": _log_line([_log([_str("model", "a"), _str("model", "b")])]),
    "user email upper case": _log_line([_log([_str("user.email", "A@B.C")])]),
    "resource attributes": _log_line([_log()], resource=[_str("service.name", "x"), _kv("host.arch", stringValue="amd64"), _kv("pid", intValue=9)]),
    "unknown kind": _log_line([_log([_kv("u", fooValue=1)])]),
    "logs and spans": json.dumps({"resourceLogs": [], "resourceSpans": []}).encode(),
    "truncated": _log_line([_log()])[:-3],
}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_a_span_line_is_declined_or_decoded_as_the_polars_path_decodes_it(name):
    _equal_decodes([VARIANTS[name]])


@pytest.mark.parametrize("name", list(LOG_VARIANTS))
def test_a_log_line_is_declined_or_decoded_as_the_polars_path_decodes_it(name):
    _equal_decodes([LOG_VARIANTS[name]])


def _taken(variants: dict) -> set[str]:
    declined = set(_fast(list(variants.values()))[1])
    return {name for i, name in enumerate(variants) if i not in declined}


def test_the_variants_take_the_fast_path_where_they_should():
    """The common forms go fast (a decoder that declined everything would pass the tests above)."""
    taken = _taken(VARIANTS)
    for name in ("plain", "kind as enum name", "times as numbers", "tools sorted", "rest of every kind", "escapes",
                 "escaped ascii and BMP", "resource after scopes", "two resources, two scopes", "pretty-printed", "huge value",
                 "tokens as text with a plus", "cost many digits", "never stored keys", "rest double", "a logs line"):
        assert name in taken, name
    for name in ("rest array", "unknown kind", "tool negative", "tokens not a number", "truncated", "invalid UTF-8",
                 "duplicate field", "spans and logs in one line", "blank", "event name an object"):
        assert name not in taken, name
    taken = _taken(LOG_VARIANTS)
    for name in ("plain", "times as numbers, no observed", "no time, observed only", "severity as text", "body int",
                 "body double as text", "success as TRUE text", "doubles of every size in the rest", "fingerprint order",
                 "doubles as text in the rest", "never stored", "resource attributes", "ints and bools in the rest"):
        assert name in taken, name
    for name in ("severity as a name", "body kvlist", "success as yes", "cost bad", "unknown kind", "logs and spans", "truncated"):
        assert name not in taken, name


def test_a_batch_mixing_taken_and_declined_lines_decodes_as_the_polars_path():
    _equal_decodes([*VARIANTS.values(), *LOG_VARIANTS.values()])


def test_the_demo_spans_all_take_the_fast_path_and_equal_the_polars_path(tmp_path):
    info = write_zen_spans(tmp_path, developers(8, 3), days(dt.date(2026, 11, 20), 5), 3, 2.0)
    sources, offsets, lines = _lines_of(tmp_path, "*.jsonl")
    decoded = fast_otlp.decode(sources, offsets, lines)
    assert decoded.declined == [] and decoded.spans.height == info["spans"] > 100
    fast = decode_lines(sources, offsets, lines).spans  # every row from the fast path, in flatten's columns
    _same(fast, _decode_lines(sources, offsets, lines, 4096).spans)
    assert fast.get_column("zen_tokens_total").sum() == info["tokens_total"]


def test_the_demo_claude_code_logs_all_take_the_fast_path_and_equal_the_polars_path(tmp_path):
    info = write_claude_code_otel(tmp_path, developers(6, 3), days(dt.date(2026, 11, 20), 4), 3, 1.0)
    sources, offsets, lines = _lines_of(tmp_path, "claude-code-logs-*.jsonl")
    fast = fast_otlp.decode(sources, offsets, lines)
    assert fast.declined == [] and fast.logs.height == info["log_records"] > 100
    _equal_decodes(lines)
    reference = _decode_lines(sources, offsets, lines, 4096).logs
    _same(decode_lines(sources, offsets, lines).logs, reference, LOG_ORDER)


def test_the_official_examples_decode_as_the_polars_path(shared_fixtures):
    otlp = shared_fixtures / "otlp"
    trace = (otlp / "trace.json").read_bytes()
    fast, declined = _fast([trace])
    assert declined == [] and fast.height == 1
    _equal_decodes([trace, *((otlp / name).read_bytes() for name in ("logs.json", "events.json", "metrics.json"))])


@pytest.mark.parametrize("base", ["span", "log"])
def test_corrupted_lines_are_declined_or_decoded_as_the_polars_path(base):
    """Random byte edits of a line (deleted, doubled, replaced by JSON punctuation or digits)."""
    rng = random.Random(7)
    line = VARIANTS["rest of every kind"] if base == "span" else LOG_VARIANTS["doubles of every size in the rest"]
    lines = []
    for _ in range(300):
        b = bytearray(line)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(b))
            op = rng.randrange(3)
            if op == 0:
                del b[at]
            elif op == 1:
                b.insert(at, b[at])
            else:
                b[at] = rng.choice(b'{}[]:,"\\0123456789-.eEtfn ')
        lines.append(bytes(b))
    assert len(_fast(lines)[1]) < len(lines)  # some edits leave a line it takes (inside strings, digits)
    _equal_decodes(lines)


def test_float_text_equals_polars_on_random_doubles():
    """The decoder's text of a double (the unmodeled attributes' JSON, log fingerprints) is polars'
    Float64 -> String, for doubles from random bits and from short decimals, with and without the
    literal they were read from. Declining (None) is allowed; a different text is not."""
    rng = random.Random(11)
    values = [struct_double(rng.getrandbits(64)) for _ in range(20_000)]
    values += [round(rng.uniform(-1, 1) * 10 ** rng.randint(-12, 20), rng.randint(0, 12)) for _ in range(20_000)]
    values = [v for v in values if v == v and abs(v) != float("inf")]
    expected = pl.Series(values, dtype=pl.Float64).cast(pl.String).to_list()
    declined = 0
    for v, text in zip(values, expected):
        for literal in (None, repr(v)):
            got = _fastotlp.float_text(v, literal)
            declined += got is None
            assert got is None or got == text, (v, literal, got, text)
    assert declined < len(values) // 100


def struct_double(bits: int) -> float:
    import struct
    return struct.unpack("<d", bits.to_bytes(8, "little"))[0]
