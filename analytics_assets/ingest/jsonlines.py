"""Shared helpers for decoding JSON lines with polars: UTF-8 checks, parallel decoding over
chunks, and a fallback that isolates bad lines so one bad line never costs a batch."""

from __future__ import annotations

import json

import polars as pl

LINES_SCHEMA = {"source_file": pl.String, "source_offset": pl.Int64, "line": pl.String}


def truncate(text: str, bound: int) -> str:
    return text if len(text) <= bound else text[:bound] + f"…[{len(text) - bound} more chars]"


def utf8(binary: pl.Series) -> pl.Series:
    """Lines as text; null where a line is not valid UTF-8 (checked one by one only then)."""
    try:
        return binary.cast(pl.String)
    except pl.exceptions.ComputeError:
        texts = []
        for raw in binary.to_list():
            try:
                texts.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                texts.append(None)
        return pl.Series(texts, dtype=pl.String)


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


def why_undecodable(text: str, what: str, detail: str) -> str:
    """The quarantine reason for a line that did not decode: broken JSON, or JSON of another shape."""
    try:
        json.loads(text)
    except ValueError as exc:
        return f"invalid JSON: {exc}"
    return f"not {what}: {detail}"


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
            bad.append((source, offset, text, why_undecodable(text, what, str(exc).splitlines()[0])))
    if not good:
        return decode(lines.head(0), dtype), bad
    return pl.concat(good), bad


def text_lines(sources: list[str], offsets: list[int], lines: list[bytes], raw_bound: int) -> tuple[pl.DataFrame, list[dict]]:
    """(source_file, source_offset, line) for the lines worth decoding, and quarantine rows for
    the rest: not UTF-8, or cut short. A line is cut short when it does not end with "}" — cheap
    to see without decoding, so lines that are skipped undecoded (transcript turns without usage)
    are still never lost to a torn write. Blank lines are ignored."""
    binary = pl.Series("raw", lines, dtype=pl.Binary)
    frame = pl.DataFrame(
        {"source_file": pl.Series(sources, dtype=pl.String), "source_offset": pl.Series(offsets, dtype=pl.Int64),
         "line": utf8(binary), "raw": binary}
    )
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
    sources: list[str], offsets: list[int], lines: list[bytes], markers: tuple[bytes, ...], dtype: pl.DataType, what: str,
    raw_bound: int
) -> tuple[pl.DataFrame, list[dict], int]:
    """For line-per-record sources: decode the lines holding one of `markers` (byte substrings, e.g.
    b'"usage"'), skip the rest undecoded. Returns (source_file, source_offset, request, line),
    quarantine rows, and how many lines were skipped.

    The skipped lines (in transcripts most bytes: tool results, prompts) are looked at in place, as
    bytes: a substring search, then their last non-blank byte so a torn write is still quarantined.
    They are never copied into a frame, UTF-8 checked or stripped, which is what made them costly."""
    keep_sources, keep_offsets, keep_lines, quarantine, skipped = [], [], [], [], 0
    for source, offset, raw in zip(sources, offsets, lines):
        if any(marker in raw for marker in markers):
            keep_sources.append(source)
            keep_offsets.append(offset)
            keep_lines.append(raw)
            continue
        end = len(raw)
        while end and raw[end - 1] in _BLANK:
            end -= 1
        if end == 0:
            continue  # a blank line
        if raw[end - 1] != _CLOSE:
            text = raw[:raw_bound * 4].decode("utf-8", "replace")
            quarantine.append(quarantine_row(source, offset, "truncated line (does not end with '}')", text, raw_bound))
        else:
            skipped += 1
    frame, bad_text = text_lines(keep_sources, keep_offsets, keep_lines, raw_bound)
    quarantine += bad_text
    decoded, bad = decode_with_fallback(frame, dtype, what)
    quarantine += [quarantine_row(src, off, reason, text, raw_bound) for src, off, text, reason in bad]
    decoded = decoded.join(frame, on=["source_file", "source_offset"], how="left")
    return decoded, quarantine, skipped


_BLANK = frozenset(b" \t\r\n")
_CLOSE = ord("}")
