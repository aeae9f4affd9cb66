"""Claude Code transcript lines (`projects/<project>/<session>.jsonl`) to request rows. No Dagster import.

Only assistant lines with `message.usage` are requests. Two ways in, one shaping (`_rows`):
- the fast path (`scan_block`): msgspec decodes blocks of lines against typed shapes of the fields
  we keep, skipping message text and tool results (most of the bytes) without building them;
- the general path (`parse_lines`, polars): only lines holding `"usage"` are decoded, each bad line
  isolated with the reason it is bad. The fast path hands it every line that does not fit its shapes.
Streaming writes the same response several times with growing output tokens: every line of a
request gets the request's key (`message.id` + `requestId`), and the load keeps the one with the
largest token total (`REQUEST_RANK`, see warehouse.insert_new), so a later chunk that carries a
larger version of a response already loaded still wins.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Union

import msgspec
import polars as pl

from ..ingest.jsonlines import decode_wanted
from ..ingest.runner import QUARANTINE_SCHEMA
from ..warehouse import Rank

S = pl.String
USAGE = pl.Struct(
    {
        "input_tokens": S,
        "output_tokens": S,
        "cache_creation_input_tokens": S,
        "cache_read_input_tokens": S,
        "cache_creation": pl.Struct({"ephemeral_5m_input_tokens": S, "ephemeral_1h_input_tokens": S}),
        "speed": S,  # "fast" for fast-mode requests (priced at a premium by Anthropic)
    }
)
LINE = pl.Struct(
    {
        "type": S,
        "timestamp": S,
        "sessionId": S,
        "cwd": S,
        "gitBranch": S,
        "version": S,
        "isSidechain": S,
        "requestId": S,
        "costUSD": S,
        "message": pl.Struct({"id": S, "model": S, "usage": USAGE}),
    }
)
TOP_FIELDS = ("timestamp", "sessionId", "cwd", "gitBranch", "version", "isSidechain", "requestId", "costUSD")
USAGE_FIELDS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "speed")
SPLIT_FIELDS = ("ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens")
TOKEN_FIELDS = {
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "cache_creation_tokens": "cache_creation_input_tokens",
    "cache_read_tokens": "cache_read_input_tokens",
}


def _int(text: pl.Expr, name: str) -> tuple[pl.Expr, pl.Expr]:
    """(value, error): numbers may come as strings ("100"); anything else is an error, not a 0."""
    as_float = text.cast(pl.Float64, strict=False)
    value = pl.coalesce(text.cast(pl.Int64, strict=False), pl.when(as_float == as_float.floor()).then(as_float.cast(pl.Int64)))
    error = pl.when(text.is_not_null() & value.is_null()).then(pl.lit(f"{name}=") + text.str.head(40) + pl.lit(" is not an integer"))
    return value, error


# Which of the lines of one request the load keeps (see warehouse.insert_new): the larger token
# total (streaming writes grow), then the later timestamp, then the later line of its file.
# ccusage keeps the first line it reads of a request instead.
REQUEST_RANK = Rank(
    polars=(pl.sum_horizontal(*TOKEN_FIELDS), pl.col("event_at"), pl.col("source_offset")),
    sql=(
        "coalesce({row}.input_tokens, 0) + coalesce({row}.output_tokens, 0) + coalesce({row}.cache_creation_tokens, 0)"
        " + coalesce({row}.cache_read_tokens, 0)",
        "coalesce({row}.event_at, '-infinity'::TIMESTAMPTZ)",
        "{row}.source_offset",
    ),
)


def parse_timestamp(text: pl.Expr) -> pl.Expr:
    return text.str.to_datetime(time_unit="us", time_zone="UTC", strict=False, ambiguous="earliest")


def timestamp_error(text: pl.Expr, parsed: pl.Expr) -> pl.Expr:
    """A timestamp that is there but unreadable is an error; a missing one is allowed (old lines)."""
    return pl.when(text.is_not_null() & parsed.is_null()).then(pl.lit("timestamp=") + text.str.head(40) + pl.lit(" is not ISO 8601"))


def parse_lines(sources: list[str], offsets: list[int], lines: list[bytes], raw_bound: int = 4096) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(request rows, quarantine rows, lines skipped as not requests): the general path, which
    decodes every line holding `"usage"` with polars and isolates bad lines one by one."""
    decoded, quarantine, skipped = decode_wanted(sources, offsets, lines, (b'"usage"',), LINE, "a Claude Code transcript line", raw_bound)
    flat = _flat(decoded)
    # A line that decoded but holds no request (a "usage" key elsewhere, e.g. in a tool result) is skipped too.
    return _rows(flat), pl.DataFrame(quarantine, schema=QUARANTINE_SCHEMA), skipped + decoded.height - flat.height


def _flat(decoded: pl.DataFrame) -> pl.DataFrame:
    """The decoded struct as the flat columns `_rows` shapes (requests only: lines with usage)."""
    line = pl.col("request")
    message, usage = line.struct.field("message"), line.struct.field("message").struct.field("usage")
    split = usage.struct.field("cache_creation")
    fields = {name: line.struct.field(name) for name in TOP_FIELDS}
    fields |= {"message_id": message.struct.field("id"), "model": message.struct.field("model")}
    fields |= {name: usage.struct.field(name) for name in USAGE_FIELDS}
    fields |= {name: split.struct.field(name) for name in SPLIT_FIELDS}
    return decoded.filter(usage.is_not_null()).select(
        *(expr.alias(name) for name, expr in fields.items()), "source_file", "source_offset", "line"
    )


def _rows(flat: pl.DataFrame) -> pl.DataFrame:
    """Flat columns (`_flat`'s, `_flat_columns`') to request rows: typed, checked, keyed. A column arrives as
    String (from JSON: checked here, value by value) or already typed (the fast path's, when all
    its values had their type: nothing to check)."""
    col = pl.col
    tokens, errors = [], []
    token_fields = [*TOKEN_FIELDS.items(), ("cache_creation_5m_tokens", "ephemeral_5m_input_tokens"), ("cache_creation_1h_tokens", "ephemeral_1h_input_tokens")]
    for column, name in token_fields:
        value, error = (col(name), None) if flat.schema[name] == pl.Int64 else _int(col(name), name)
        tokens.append(value.alias(column))
        errors.append(error)
    cost = col("costUSD")
    cost_value = cost.cast(pl.Float64, strict=False)
    if flat.schema["costUSD"] == pl.String:
        errors.append(pl.when(cost.is_not_null() & cost_value.is_null()).then(pl.lit("costUSD=") + cost.str.head(40) + pl.lit(" is not a number")))
    sidechain = col("isSidechain") if flat.schema["isSidechain"] == pl.Boolean else col("isSidechain").str.to_lowercase() == "true"
    timestamp = parse_timestamp(col("timestamp"))
    errors.append(timestamp_error(col("timestamp"), timestamp))
    cwd = col("cwd")
    out = flat.select(
        pl.lit("claude_code").alias("agent"),
        col("sessionId").alias("session_id"),
        col("message_id"),
        col("requestId").alias("request_id"),
        col("model"),
        col("speed"),
        timestamp.alias("event_at"),
        timestamp.dt.date().alias("event_date"),
        *tokens,
        cost_value.alias("reported_cost_usd"),
        col("version").alias("agent_version"),
        sidechain.fill_null(False).alias("is_sidechain"),
        col("gitBranch").alias("git_branch"),
        cwd.alias("cwd"),
        # The project as people name it: the last folder of cwd, else the transcript's folder name.
        pl.coalesce(cwd.str.extract(r"([^/\\]+)[/\\]*$"), col("source_file").str.extract(r"projects/([^/]+)/")).alias("project"),
        col("source_file"),
        col("source_offset"),
        pl.concat_str([e for e in errors if e is not None], separator="; ", ignore_nulls=True).alias("attr_errors"),
        # One row per request: streaming writes of a response, a resumed session's copy of it and the
        # same line read twice share its ids, and the load keeps the one with the largest token total
        # (see REQUEST_RANK). A line without both ids is a request of its own even when another line
        # has the same bytes, so its place is in its key.
        pl.when(col("message_id").is_not_null() & col("requestId").is_not_null())
        .then(pl.concat_str(pl.lit("request"), col("message_id"), col("requestId"), separator=":"))
        .otherwise(pl.concat_str(col("source_file"), col("source_offset").cast(S), col("line"), separator="\x1e"))
        .alias("record_key_src"),
    )
    return out.with_columns(
        pl.when(pl.col("attr_errors") != "").then(pl.col("attr_errors")).alias("attr_errors"),
    )


# The fast path. msgspec decodes a whole line against these typed shapes, skipping every other
# field (message text, tool results: most of the bytes) without building Python objects for it.
# A line they do not fit — broken JSON, a token count that is an object or a bool, a torn write —
# goes to the general path above, which says exactly what is wrong with it.
_Num = Union[int, float, str, None]


class _Split(msgspec.Struct, gc=False):
    ephemeral_5m_input_tokens: _Num = None
    ephemeral_1h_input_tokens: _Num = None


class _Usage(msgspec.Struct, gc=False):
    input_tokens: _Num = None
    output_tokens: _Num = None
    cache_creation_input_tokens: _Num = None
    cache_read_input_tokens: _Num = None
    cache_creation: Union[_Split, None] = None
    speed: Union[str, None] = None


class _Message(msgspec.Struct, gc=False):
    id: Union[str, None] = None
    model: Union[str, None] = None
    usage: Union[_Usage, None] = None


class _Line(msgspec.Struct, gc=False):
    timestamp: Union[str, None] = None
    sessionId: Union[str, None] = None
    cwd: Union[str, None] = None
    gitBranch: Union[str, None] = None
    version: Union[str, None] = None
    isSidechain: Union[bool, str, None] = None
    requestId: Union[str, None] = None
    costUSD: _Num = None
    message: Union[_Message, None] = None


_DECODER = msgspec.json.Decoder(_Line)
_DECODE, _DECODE_LINES = _DECODER.decode, _DECODER.decode_lines
_FALLBACK_ERRORS = (msgspec.DecodeError, msgspec.ValidationError)
# Columns whose values are numbers in the JSON (any of int, float, string there).
_NUMBERS = frozenset({"costUSD", *USAGE_FIELDS[:4], *SPLIT_FIELDS})


@dataclass
class Scan:
    """What one pass over blocks of lines found: request lines (decoded, with where they came
    from), lines for the general path, oversize lines (source, offset, length, head) and counts."""

    found: list = field(default_factory=list)  # decoded _Line objects holding a request
    found_sources: list = field(default_factory=list)
    found_offsets: list = field(default_factory=list)
    found_texts: list = field(default_factory=list)  # the line's text where it is its key, else None
    # Requests already turned into columns: frames, or in a forked scanner (which must not use
    # polars) dicts of Python lists, made frames by `merge` in the parent.
    parts: list = field(default_factory=list)
    python_only: bool = False
    other_sources: list = field(default_factory=list)
    other_offsets: list = field(default_factory=list)
    other_lines: list = field(default_factory=list)
    oversize: list = field(default_factory=list)
    lines: int = 0
    skipped: int = 0


def scan_block(scan: Scan, source: str, data: bytes, offset: int, max_line_bytes: int) -> None:
    """Add the complete lines of `data` (file `source`, starting at byte `offset`) to `scan`.
    Good lines are decoded a slice (~1 MB) per call; a slice with a line that does not fit, and a
    block that may hold an oversize line, line by line."""
    if len(data) > max_line_bytes:
        _scan_lines(scan, source, data, offset, max_line_bytes)
    else:
        starts, find, start, end = [], data.find, 0, len(data)
        while start < end:
            starts.append(start)
            stop = find(b"\n", start)
            start = end if stop < 0 else stop + 1
        starts.append(end + 1)
        # A slice, not the whole block, per call: a C call holds the GIL, and the reader and writer
        # threads should not wait for a whole file.
        first = 0
        while first < len(starts) - 1:
            last = bisect_left(starts, starts[first] + SLICE_BYTES, first + 1, len(starts) - 1)
            _scan_slice(scan, source, data, offset, starts, first, last, max_line_bytes)
            first = last
    if len(scan.found) >= ROWS_PER_FRAME:
        _seal(scan)


def _seal(scan: Scan) -> None:
    """The requests found so far as one part (far smaller than the decoded objects)."""
    columns = _flat_columns(scan)
    scan.parts.append(columns if scan.python_only else _frame(columns))
    scan.found, scan.found_sources, scan.found_offsets, scan.found_texts = [], [], [], []


def export(scan: Scan) -> bytes:
    """A forked scanner's result for the parent: requests as column lists, in msgpack (encoding
    and decoding it costs about half of what pickling these millions of small values does)."""
    if scan.found:
        _seal(scan)
    return _MSGPACK.encode((scan.parts, scan.other_sources, scan.other_offsets, scan.other_lines, scan.oversize, scan.lines, scan.skipped))


def merge(into: Scan, part: bytes) -> None:
    """Add a forked scanner's exported scan to the parent's."""
    parts, other_sources, other_offsets, other_lines, oversize, lines, skipped = _UNMSGPACK.decode(part)
    into.parts.extend(_frame(p) for p in parts)
    into.other_sources.extend(other_sources)
    into.other_offsets.extend(other_offsets)
    into.other_lines.extend(other_lines)
    into.oversize.extend(oversize)
    into.lines += lines
    into.skipped += skipped


_MSGPACK, _UNMSGPACK = msgspec.msgpack.Encoder(), msgspec.msgpack.Decoder()


SLICE_BYTES = 1 << 20


def _scan_slice(scan: Scan, source: str, data: bytes, offset: int, starts: list[int], first: int, last: int, max_line_bytes: int) -> None:
    """Lines first..last-1 of `data` (starts[i]: where line i starts; starts[-1]: one past the end)."""
    lo, hi = starts[first], starts[last] - 1
    try:
        decoded = _DECODE_LINES(memoryview(data)[lo:hi])
    except _FALLBACK_ERRORS:
        decoded = None
    if decoded is None or len(decoded) != last - first:  # a bad line, or a blank one
        _scan_lines(scan, source, data[lo:hi], offset + lo, max_line_bytes)
        return
    for index, line in enumerate(decoded, first):
        _keep(scan, line, source, offset, data, starts[index], starts[index + 1] - 1)
    scan.lines += len(decoded)


def _keep(scan: Scan, line: _Line, source: str, offset: int, data: bytes, start: int, stop: int) -> None:
    """Keep a decoded line (data[start:stop], file offset `offset` + start) if it is a request, else count it skipped."""
    message = line.message
    if message is None or message.usage is None:
        scan.skipped += 1
        return
    scan.found.append(line)
    scan.found_sources.append(source)
    scan.found_offsets.append(offset + start)
    # Only a line without its ids is keyed by its text (see record_key_src).
    keyed = message.id is not None and line.requestId is not None
    scan.found_texts.append(None if keyed else data[start:stop].rstrip(b"\r").decode("utf-8", "replace"))


def _scan_lines(scan: Scan, source: str, data: bytes, offset: int, max_line_bytes: int) -> None:
    """`scan_block` one line at a time: bad lines go to the general path, oversize ones aside."""
    find, view, decode = data.find, memoryview(data), _DECODE
    start, end = 0, len(data)
    while start < end:
        stop = find(b"\n", start)
        if stop < 0:
            stop = end
        if stop - start > max_line_bytes:
            scan.oversize.append((source, offset + start, stop - start + 1, data[start : start + 4096]))
            start = stop + 1
            continue
        scan.lines += 1
        try:
            line = decode(view[start:stop])
        except _FALLBACK_ERRORS:
            scan.other_sources.append(source)
            scan.other_offsets.append(offset + start)
            scan.other_lines.append(data[start:stop].rstrip(b"\r"))
            start = stop + 1
            continue
        _keep(scan, line, source, offset, data, start, stop)
        start = stop + 1


ROWS_PER_FRAME = 20_000  # requests held as Python objects before they become a (far smaller) frame


def _column(name: str, values: list) -> pl.Series:
    """One flat column. Typed when every value has its type (the normal case: `_rows` then has
    nothing to check); else as the String the general path's JSON decoding renders, checked there."""
    typed = pl.Boolean if name == "isSidechain" else pl.Float64 if name == "costUSD" else pl.Int64 if name in _NUMBERS else None
    if typed is not None:
        try:
            return pl.Series(name, values, dtype=typed, strict=True)
        except (TypeError, OverflowError, pl.exceptions.PolarsError):
            values = [v if v is None or isinstance(v, str) else ("true" if v else "false") if isinstance(v, bool) else str(v) for v in values]
    return pl.Series(name, values, dtype=S)


def _flat_columns(scan: Scan) -> dict[str, list]:
    """The requests found, as `_flat`'s columns of Python values (no polars: a forked scanner runs this)."""
    lines = scan.found
    messages = list(map(attrgetter("message"), lines))
    usages = list(map(attrgetter("usage"), messages))
    splits = [usage.cache_creation or _NO_SPLIT for usage in usages]
    columns = {name: list(map(attrgetter(name), lines)) for name in TOP_FIELDS}
    columns |= {"message_id": list(map(attrgetter("id"), messages)), "model": list(map(attrgetter("model"), messages))}
    columns |= {name: list(map(attrgetter(name), usages)) for name in USAGE_FIELDS}
    columns |= {name: list(map(attrgetter(name), splits)) for name in SPLIT_FIELDS}
    return columns | {"source_file": scan.found_sources, "source_offset": scan.found_offsets, "line": scan.found_texts}


def _frame(columns: dict[str, list]) -> pl.DataFrame:
    special = {"source_file": S, "source_offset": pl.Int64, "line": S}
    return pl.DataFrame([
        pl.Series(name, values, dtype=special[name]) if name in special else _column(name, values) for name, values in columns.items()
    ])


def _flat_frame(scan: Scan) -> pl.DataFrame:
    return _frame(_flat_columns(scan))


_NO_SPLIT = _Split()


def finish(scan: Scan, raw_bound: int = 4096) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(request rows, quarantine rows, lines skipped) of a scan: the fast rows and the general
    path's, shaped by the same `_rows`."""
    flat = pl.concat([*scan.parts, _flat_frame(scan)], how="vertical_relaxed")
    rows, skipped = _rows(flat), scan.skipped
    quarantine = pl.DataFrame(schema=QUARANTINE_SCHEMA)
    if scan.other_lines:
        other, quarantine, other_skipped = parse_lines(scan.other_sources, scan.other_offsets, scan.other_lines, raw_bound)
        rows, skipped = pl.concat([rows, other]), skipped + other_skipped
    return rows, quarantine, skipped
