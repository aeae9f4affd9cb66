"""Shared helpers for decoding JSON lines with polars: UTF-8 checks, parallel decoding over
chunks, and a fallback that isolates bad lines so one bad line never costs a batch."""

from __future__ import annotations

import json

import polars as pl

LINES_SCHEMA = {"source_file": pl.String, "source_offset": pl.Int64, "line": pl.String}


def truncate(text: str, bound: int) -> str:
    return text if len(text) <= bound else text[:bound] + f"…[{len(text) - bound} more chars]"


def chunked(lines: pl.DataFrame) -> pl.DataFrame:
    """The frame in as many chunks as polars has threads: a lazy query over it then works on the
    chunks in parallel (decoding JSON is the most expensive step of ingestion)."""
    parts = max(1, min(pl.thread_pool_size(), lines.height // 16))
    if parts == 1:
        return lines
    step = -(-lines.height // parts)
    return pl.concat([lines.slice(i * step, step) for i in range(parts)], rechunk=False)


def decode(lines: pl.DataFrame, dtype: pl.DataType) -> pl.DataFrame:
    """(source_file, source_offset, request) with `line` decoded as `dtype`."""
    request = pl.col("line").str.json_decode(dtype).alias("request")
    return chunked(lines).lazy().select("source_file", "source_offset", request).collect()


def decode_with_fallback(
    lines: pl.DataFrame, dtype: pl.DataType, what: str = "the expected shape"
) -> tuple[pl.DataFrame, list[tuple[str, int, str, str]]]:
    """Decode every line; when the batch fails, find the offending lines one by one so the good
    ones still load. Returns the decoded frame and (source, offset, text, reason) per bad line."""
    try:
        return decode(lines, dtype), []
    except pl.exceptions.PolarsError:
        pass
    good, bad = [], []
    for row in lines.iter_rows():
        one = pl.DataFrame([row], schema=lines.schema, orient="row")
        try:
            good.append(decode(one, dtype))
        except pl.exceptions.PolarsError as exc:
            source, offset, text = row
            try:
                json.loads(text)
                reason = f"not {what}: " + str(exc).splitlines()[0]
            except ValueError as json_exc:
                reason = f"invalid JSON: {json_exc}"
            bad.append((source, offset, text, reason))
    if not good:
        return decode(lines.head(0), dtype), bad
    return pl.concat(good), bad


FRAME_SCHEMA = {"source_file": pl.String, "source_offset": pl.Int64, "line": pl.String, "raw": pl.Binary}


def lines_frame(parts: list, max_line_bytes: int, raw_bound: int) -> tuple[pl.DataFrame, list[dict]]:
    """Split chunks (source, landing.Chunk) into one frame of lines (source_file, source_offset,
    line, raw) in polars, and quarantine rows for lines over max_line_bytes. `line` is null for a
    line that is not UTF-8 (its bytes are then in `raw`, else `raw` is null)."""
    frames, oversize = [], []
    for source, chunk in parts:
        if not chunk.data:
            continue
        try:
            text = chunk.data.decode("utf-8")  # validates the whole chunk at C speed
        except UnicodeDecodeError:
            frames.append(_slow_frame(source, chunk))
            continue
        if chunk.document:
            frames.append(pl.DataFrame({"source_file": [source], "source_offset": [chunk.start], "line": [text], "raw": [None]}, schema=FRAME_SCHEMA))
            continue
        lines = pl.Series("line", [text]).str.split("\n").explode().head(-1)  # the chunk ends with a newline
        sizes = lines.str.len_bytes().cast(pl.Int64) + 1
        frames.append(pl.DataFrame({
            "source_file": pl.repeat(source, len(lines), dtype=pl.String, eager=True),
            "source_offset": chunk.start + sizes.cum_sum() - sizes,
            "line": lines.str.strip_suffix("\r"),
            "raw": pl.repeat(None, len(lines), dtype=pl.Binary, eager=True),
        }))
    frame = pl.concat(frames) if frames else pl.DataFrame(schema=FRAME_SCHEMA)
    too_long = frame.filter(pl.col("line").str.len_bytes() > max_line_bytes)
    for src, off, line, _ in too_long.iter_rows():
        oversize.append(quarantine_row(src, off, f"line of {len(line.encode()) + 1} bytes exceeds the {max_line_bytes}-byte limit",
                                       line[:raw_bound], raw_bound))
    return frame.filter(pl.col("line").is_null() | (pl.col("line").str.len_bytes() <= max_line_bytes)), oversize


def _slow_frame(source: str, chunk) -> pl.DataFrame:
    """A chunk with invalid UTF-8 somewhere: line by line, so only the bad lines are set aside."""
    rows = []
    for offset, raw in chunk.split():
        try:
            rows.append((source, offset, raw.decode("utf-8"), None))
        except UnicodeDecodeError:
            rows.append((source, offset, None, raw))
    return pl.DataFrame(rows, schema=FRAME_SCHEMA, orient="row")


def frame_from_lists(sources: list[str], offsets: list[int], lines: list[bytes]) -> pl.DataFrame:
    """The same frame from parallel lists (tests, and callers that already hold lines)."""
    rows = []
    for source, offset, raw in zip(sources, offsets, lines):
        try:
            rows.append((source, offset, raw.decode("utf-8"), None))
        except UnicodeDecodeError:
            rows.append((source, offset, None, raw))
    return pl.DataFrame(rows, schema=FRAME_SCHEMA, orient="row")


def text_lines(frame: pl.DataFrame, raw_bound: int) -> tuple[pl.DataFrame, list[dict]]:
    """(source_file, source_offset, line) for the lines worth decoding, and quarantine rows for
    the rest: not UTF-8, or cut short. A line is cut short when it does not end with "}" — cheap
    to see without decoding, so lines that are skipped undecoded (transcript turns without usage)
    are still never lost to a torn write. Blank lines are ignored."""
    quarantine = [
        quarantine_row(src, off, "not UTF-8", raw.decode("utf-8", "replace"), raw_bound)
        for src, off, raw in frame.filter(pl.col("line").is_null()).select("source_file", "source_offset", "raw").iter_rows()
    ]
    stripped = pl.col("line").str.strip_chars()
    frame = frame.drop("raw").filter(pl.col("line").is_not_null() & (stripped != ""))
    torn = frame.filter(~stripped.str.ends_with("}"))
    quarantine += [quarantine_row(src, off, "truncated line (does not end with '}')", text, raw_bound) for src, off, text in torn.iter_rows()]
    return frame.filter(stripped.str.ends_with("}")), quarantine


def quarantine_row(source: str, offset: int, reason: str, raw: str, bound: int) -> dict:
    return {"source_file": source, "source_offset": offset, "signal": None, "reason": reason, "raw_text": truncate(raw, bound)}


def decode_wanted(
    frame: pl.DataFrame, wanted: pl.Expr, dtype: pl.DataType, what: str, raw_bound: int
) -> tuple[pl.DataFrame, list[dict], int]:
    """For line-per-record sources: decode the lines `wanted` selects (a cheap substring test), skip
    the rest undecoded. Returns (source_file, source_offset, request, line), quarantine rows, and
    how many lines were skipped."""
    frame, quarantine = text_lines(frame, raw_bound)
    kept = frame.filter(wanted)
    decoded, bad = decode_with_fallback(kept, dtype, what)
    quarantine += [quarantine_row(src, off, reason, text, raw_bound) for src, off, text, reason in bad]
    decoded = decoded.join(kept, on=["source_file", "source_offset"], how="left")
    return decoded, quarantine, frame.height - kept.height
