"""The compiled fast path for trace request lines (`_fastspans.c`): flat span rows straight from
the JSON, for the lines it takes; the lines it declines go through flatten.py, the reference.

Without the compiled module (a checkout not installed, a platform with no compiler) every line
takes the reference path: same rows, slower. `ANALYTICS_FAST_SPANS=0` forces that too (the
parity tests and the benchmark compare both paths)."""

from __future__ import annotations

import os

import polars as pl
import pyarrow as pa

try:
    from . import _fastspans
except ImportError:  # not built: the reference path does everything
    _fastspans = None

TOOLS = pa.struct([("tool", pa.large_string()), ("invocations", pa.int64()), ("tokens", pa.int64())])
_TIMES = ("start_time", "end_time")


def available() -> bool:
    return _fastspans is not None and os.environ.get("ANALYTICS_FAST_SPANS", "1") != "0"


def _array(column: tuple, rows: int, arrow_type: pa.DataType | None = None) -> pa.Array:
    kind, data, offsets, validity = column
    bits = pa.py_buffer(validity) if validity is not None else None
    if kind == _fastspans.STR:
        return pa.Array.from_buffers(pa.large_string(), rows, [bits, pa.py_buffer(offsets), pa.py_buffer(data)])
    default = {_fastspans.I64: pa.int64(), _fastspans.F64: pa.float64(), _fastspans.I32: pa.int32()}[kind]
    return pa.Array.from_buffers(arrow_type or default, rows, [bits, pa.py_buffer(data)])


def decode(sources: list[str], offsets: list[int], lines: list[bytes]) -> tuple[pl.DataFrame, list[int]] | None:
    """(span rows in flatten_spans' columns, indices of the lines declined), or None when the
    fast path is not available. Rows of a taken line equal what flatten.decode_lines makes of it."""
    if not available():
        return None
    out = _fastspans.decode_spans(lines)
    rows, spans = out["spans"]
    tool_rows, tools = out["tools"]
    children = [_array(tools[name], tool_rows) for name in ("tool", "invocations", "tokens")]
    tool_structs = pa.StructArray.from_arrays(children, fields=list(TOOLS))
    _, ends, _, valid = spans.pop("_tools_end")
    zen_tools = pa.Array.from_buffers(pa.large_list(TOOLS), rows, [pa.py_buffer(valid) if valid is not None else None,
                                                                   pa.py_buffer(b"\0" * 8 + ends)], children=[tool_structs])
    arrays = {}
    for name, column in spans.items():
        arrow_type = pa.timestamp("us", tz="UTC") if name in _TIMES else pa.date32() if name == "event_date" else None
        arrays[name] = _array(column, rows, arrow_type)
    arrays["zen_tools"] = zen_tools
    frame = pl.from_arrow(pa.table(arrays))
    context = {}
    for table, index in (("resources", "_resource"), ("scopes", "_scope")):
        n, columns = out[table]
        part = pl.from_arrow(pa.table({name: _array(column, n) for name, column in columns.items()}))
        context.update(part.select(pl.all().gather(frame.get_column(index))).to_dict())
    line = frame.get_column("_line")
    where = pl.DataFrame({"source_file": pl.Series(sources, dtype=pl.String), "source_offset": pl.Series(offsets, dtype=pl.Int64)})
    frame = frame.with_columns(**context, **where.select(pl.all().gather(line)).to_dict(), attr_errors=pl.lit(None, pl.String))
    return frame.select(COLUMNS), out["declined"]


COLUMNS = (
    "trace_id", "span_id", "parent_span_id", "span_name", "span_kind", "start_time", "end_time", "duration_ms",
    "status_code", "status_message", "trace_state", "event_count", "link_count", "service_name", "service_version",
    "host_name", "os_type", "resource_attributes", "scope_name", "scope_version", "scope_attributes", "zen_command",
    "zen_command_type", "zen_status", "zen_duration_ms", "zen_workspace_hash", "zen_session_hash", "zen_batch_id",
    "zen_tokens_input", "zen_tokens_output", "zen_tokens_cache_read", "zen_tokens_cache_creation", "zen_tokens_tools",
    "zen_tokens_total", "zen_cost_usd_input", "zen_cost_usd_output", "zen_cost_usd_cache_read",
    "zen_cost_usd_cache_creation", "zen_cost_usd_total", "session_id", "zen_tools", "attributes", "event_date",
    "source_file", "source_offset", "attr_errors", "record_key_src",
)
