"""The compiled spans decoder (otlp/_fastspans.c) against the polars path it stands in for.

For every line it takes, its rows must equal flatten.py's, column by column and dtype by dtype;
every line it cannot be sure of it declines, and the polars path decodes or quarantines it as
before. The lines below are the demo generator's, the official example, and variants of one line
covering each form a value can take on the wire, broken ones included, then random corruptions.
"""

from __future__ import annotations

import datetime as dt
import json
import random

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analytics_assets.demo.otlp_files import write_zen_spans
from analytics_assets.demo.world import days, developers
from analytics_assets.otlp import fast_spans
from analytics_assets.otlp.flatten import _decode_lines, decode_lines

pytestmark = pytest.mark.skipif(not fast_spans.available(), reason="the compiled spans decoder is not built")

ORDER = ["source_file", "source_offset", "trace_id", "span_id", "start_time"]


def _reference(lines: list[bytes]):
    return _decode_lines(["f"] * len(lines), list(range(len(lines))), lines, 4096)


def _fast(lines: list[bytes]):
    return fast_spans.decode(["f"] * len(lines), list(range(len(lines))), lines)


def _same(fast: pl.DataFrame, reference: pl.DataFrame) -> None:
    assert_frame_equal(fast.sort(ORDER, nulls_last=True), reference.sort(ORDER, nulls_last=True))


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


@pytest.mark.parametrize("name", list(VARIANTS))
def test_a_line_is_declined_or_decoded_as_the_polars_path_decodes_it(name):
    line = VARIANTS[name]
    fast, declined = _fast([line])
    reference = _reference([line])
    if declined:
        assert declined == [0] and fast.height == 0
        return
    assert reference.quarantine.height == 0, "a line the reference quarantines must be declined"
    _same(fast, reference.spans)


def test_the_variants_take_the_fast_path_where_they_should():
    """The common forms go fast (a decoder that declined everything would pass the test above)."""
    _, declined = _fast(list(VARIANTS.values()))
    taken = {name for i, name in enumerate(VARIANTS) if i not in set(declined)}
    for name in ("plain", "kind as enum name", "times as numbers", "tools sorted", "rest of every kind", "escapes",
                 "escaped ascii and BMP", "resource after scopes", "two resources, two scopes", "pretty-printed", "huge value",
                 "tokens as text with a plus", "cost many digits", "never stored keys"):
        assert name in taken, name
    for name in ("rest double", "rest array", "unknown kind", "tool negative", "tokens not a number", "a logs line",
                 "truncated", "invalid UTF-8", "duplicate field", "spans and logs in one line", "blank"):
        assert name not in taken, name


def test_a_batch_mixing_taken_and_declined_lines_decodes_as_the_polars_path(tmp_path):
    lines = list(VARIANTS.values())
    sources, offsets = ["f"] * len(lines), list(range(len(lines)))
    mixed, reference = decode_lines(sources, offsets, lines), _decode_lines(sources, offsets, lines, 4096)
    _same(mixed.spans, reference.spans)
    assert_frame_equal(mixed.logs, reference.logs)
    key = ["source_offset", "reason"]
    assert_frame_equal(mixed.quarantine.sort(key), reference.quarantine.sort(key))


def test_the_demo_spans_all_take_the_fast_path_and_equal_the_polars_path(tmp_path):
    info = write_zen_spans(tmp_path, developers(8, 3), days(dt.date(2026, 11, 20), 5), 3, 2.0)
    lines, sources, offsets = [], [], []
    for path in sorted(tmp_path.glob("*.jsonl")):
        offset = 0
        for line in path.read_bytes().splitlines(keepends=True):
            lines.append(line.rstrip(b"\n"))
            sources.append(str(path))
            offsets.append(offset)
            offset += len(line)
    fast, declined = fast_spans.decode(sources, offsets, lines)
    assert declined == [] and fast.height == info["spans"] > 100
    _same(fast, _decode_lines(sources, offsets, lines, 4096).spans)
    assert fast.get_column("zen_tokens_total").sum() == info["tokens_total"]


def test_the_official_trace_example_equals_the_polars_path(shared_fixtures):
    line = (shared_fixtures / "otlp" / "trace.json").read_bytes()
    fast, declined = _fast([line])
    assert declined == [] and fast.height == 1
    _same(fast, _reference([line]).spans)


def test_corrupted_lines_are_declined_or_decoded_as_the_polars_path():
    """Random byte edits of a line (deleted, doubled, replaced by JSON punctuation or digits)."""
    rng = random.Random(7)
    base = VARIANTS["rest of every kind"] + b""
    lines = []
    for _ in range(300):
        b = bytearray(base)
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
    fast, declined = _fast(lines)
    assert len(declined) < len(lines)  # some edits leave a line it takes (inside strings, digits)
    taken = [i for i in range(len(lines)) if i not in set(declined)]
    reference = _reference([lines[i] for i in taken])
    assert reference.quarantine.height == 0
    _same(fast.with_columns(pl.col("source_offset").replace_strict({t: i for i, t in enumerate(taken)})), reference.spans)
