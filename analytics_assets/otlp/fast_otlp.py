"""The compiled fast path for trace and log request lines (`_fastotlp.c`): flat span and log record
rows straight from the JSON, for the lines it takes; the lines it declines go through flatten.py,
the reference.

Without the compiled module (a checkout not installed, a platform with no compiler) every line
takes the reference path: same rows, slower. `ANALYTICS_FAST_OTLP=0` forces that too (the parity
tests and the benchmark compare both paths)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import polars as pl
import pyarrow as pa

try:
    from . import _fastotlp
except ImportError:  # not built: the reference path does everything
    _fastotlp = None

TOOLS = pa.struct([("tool", pa.large_string()), ("invocations", pa.int64()), ("tokens", pa.int64())])
_TYPES = {"start_time": pa.timestamp("us", tz="UTC"), "end_time": pa.timestamp("us", tz="UTC"),
          "time": pa.timestamp("us", tz="UTC"), "observed_time": pa.timestamp("us", tz="UTC"), "event_date": pa.date32()}


@dataclass
class Fast:
    # Each with helper columns beside flatten's (the rows' line, resource and scope; for logs the raw
    # texts their record key is made of): flatten.decode_lines selects its own columns.
    spans: pl.DataFrame
    logs: pl.DataFrame
    declined: list[int]


def available() -> bool:
    return _fastotlp is not None and os.environ.get("ANALYTICS_FAST_OTLP", "1") != "0"


def _array(name: str, column: tuple, rows: int) -> pa.Array:
    kind, data, offsets, validity = column
    bits = pa.py_buffer(validity) if validity is not None else None
    if kind == _fastotlp.STR:
        return pa.Array.from_buffers(pa.large_string(), rows, [bits, pa.py_buffer(offsets), pa.py_buffer(data)])
    default = {_fastotlp.I64: pa.int64(), _fastotlp.F64: pa.float64(), _fastotlp.I32: pa.int32(), _fastotlp.BOOL: pa.bool_()}[kind]
    return pa.Array.from_buffers(_TYPES.get(name, default), rows, [bits, pa.py_buffer(data)])


def _table(part: tuple, extra: dict | None = None) -> pl.DataFrame:
    rows, columns = part
    return pl.from_arrow(pa.table({**{name: _array(name, column, rows) for name, column in columns.items()}, **(extra or {})}))


def _records(out: dict, name: str, sources: pl.DataFrame, extra: dict | None = None) -> pl.DataFrame:
    """A record table with its resource and scope columns and source file and offset beside it."""
    frame = _table(out[name], extra)
    context = {}
    for table, index in (("resources", "_resource"), ("scopes", "_scope")):
        context.update(_table(out[table]).select(pl.all().gather(frame.get_column(index))).to_dict())
    line = sources.select(pl.all().gather(frame.get_column("_line"))).to_dict()
    return frame.with_columns(**context, **line, attr_errors=pl.lit(None, pl.String))


def decode(sources: list[str], offsets: list[int], lines: list[bytes]) -> Fast | None:
    """The span and log record rows of the lines taken, and the indices of the lines declined; None
    when the fast path is not available. Rows of a taken line equal what the polars path makes of it."""
    if not available():
        return None
    out = _fastotlp.decode(lines)
    where = pl.DataFrame({"source_file": pl.Series(sources, dtype=pl.String), "source_offset": pl.Series(offsets, dtype=pl.Int64)})
    rows, spans = out["spans"]
    tool_rows, tools = out["tools"]
    tool_structs = pa.StructArray.from_arrays([_array(n, tools[n], tool_rows) for n in ("tool", "invocations", "tokens")], fields=list(TOOLS))
    _, ends, _, valid = spans.pop("_tools_end")
    zen_tools = pa.Array.from_buffers(pa.large_list(TOOLS), rows, [pa.py_buffer(valid) if valid is not None else None,
                                                                   pa.py_buffer(b"\0" * 8 + ends)], children=[tool_structs])
    return Fast(_records(out, "spans", where, {"zen_tools": zen_tools}), _records(out, "logs", where), out["declined"])
