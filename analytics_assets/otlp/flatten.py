"""OTLP/JSON request lines to three flat polars frames: spans, log records and metric points.

Pure polars (no Dagster, no DuckDB). The caller hands complete lines with their byte offsets;
it gets back the flat records and a quarantine frame for whatever could not be decoded. Every
line is accounted for: it yields records, or it is quarantined whole (undecodable), or some of
its records are quarantined one by one (unknown AnyValue kind).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import polars as pl

from ..ingest.jsonlines import LINES_SCHEMA, chunked, decode_with_fallback, quarantine_row, text_lines, why_undecodable
from ..ingest.runner import QUARANTINE_SCHEMA
from . import fast_otlp
from .attributes import Attr, long_attributes, typed_attributes
from .normalize import normalize_request
from .wire import KNOWN_VALUE_KINDS, LEAN_REQUESTS, SIGNALS, WIDE_REQUESTS

Z = "zen."
RESOURCE_ATTRS = (
    Attr("service_name", "service.name"),
    Attr("service_version", "service.version"),
    Attr("host_name", "host.name"),
    Attr("os_type", "os.type"),
)
ZEN_TOKENS = ("input", "output", "cache_read", "cache_creation", "tools", "total")
ZEN_COSTS = ("input", "output", "cache_read", "cache_creation", "total")
SPAN_ATTRS = (
    Attr("zen_command", Z + "instance.command"),
    Attr("zen_command_type", Z + "instance.command_type"),
    Attr("zen_status", Z + "instance.status"),
    Attr("zen_duration_ms", Z + "instance.duration_ms", pl.Float64),
    Attr("zen_workspace_hash", Z + "workspace.hash"),
    Attr("zen_session_hash", Z + "session.hash"),
    Attr("zen_batch_id", Z + "batch.id"),
    *(Attr(f"zen_tokens_{t}", f"{Z}tokens.{t}", pl.Int64) for t in ZEN_TOKENS),
    *(Attr(f"zen_cost_usd_{c}", f"{Z}cost.usd_{c}", pl.Float64) for c in ZEN_COSTS),
    Attr("session_id", "session.id"),
)
ZEN_TOOL_PREFIX = Z + "tools."

# Claude Code's standard attributes (on every metric point and event; monitoring docs), then the
# attributes of its log events and of its metrics.
CLAUDE_STANDARD = (
    Attr("session_id", "session.id"),
    Attr("user_account_uuid", "user.account_uuid"),
    Attr("user_email", "user.email"),
    Attr("user_id", "user.id"),
    Attr("organization_id", "organization.id"),
    Attr("terminal_type", "terminal.type"),
    Attr("app_version", "app.version"),
)
LOG_ATTRS = (
    Attr("event_name", "event.name"),
    Attr("event_timestamp", "event.timestamp"),
    *CLAUDE_STANDARD,
    Attr("model", "model"),
    Attr("cost_usd", "cost_usd", pl.Float64),
    Attr("duration_ms", "duration_ms", pl.Float64),
    Attr("input_tokens", "input_tokens", pl.Int64),
    Attr("output_tokens", "output_tokens", pl.Int64),
    Attr("cache_read_tokens", "cache_read_tokens", pl.Int64),
    Attr("cache_creation_tokens", "cache_creation_tokens", pl.Int64),
    Attr("request_id", "request_id"),
    Attr("tool_name", "tool_name"),
    Attr("success", "success", pl.Boolean),
    Attr("decision", "decision"),
    Attr("decision_source", "source"),
    Attr("error", "error"),
    Attr("status_code", "status_code"),
    Attr("attempt", "attempt", pl.Int64),
    Attr("prompt_length", "prompt_length", pl.Int64),
)
METRIC_ATTRS = (
    *CLAUDE_STANDARD,
    Attr("model", "model"),
    Attr("type", "type"),
    Attr("tool_name", "tool_name"),
    Attr("decision", "decision"),
    Attr("language", "language"),
)
IDENTITY_COLUMNS = ("user_account_uuid", "user_email", "user_id")
# Identities other agents send under keys we do not model as columns (Codex: its ChatGPT account),
# hashed inside the kept attributes.
JSON_IDENTITY_KEYS = ("user.account_id",)

_ENUM_PREFIXES = r"^(span_kind_|status_code_|aggregation_temporality_)"
SPAN_KINDS = {"0": "unspecified", "1": "internal", "2": "server", "3": "client", "4": "producer", "5": "consumer"}
STATUS_CODES = {"0": "unset", "1": "ok", "2": "error"}
TEMPORALITIES = {"0": "unspecified", "1": "delta", "2": "cumulative"}


@dataclass
class Decoded:
    spans: pl.DataFrame
    logs: pl.DataFrame
    metric_points: pl.DataFrame
    quarantine: pl.DataFrame  # source_file, source_offset, signal, reason, raw_text

    def frames(self) -> dict[str, pl.DataFrame]:
        return {"spans": self.spans, "logs": self.logs, "metric_points": self.metric_points}


def _enum(expr: pl.Expr, mapping: dict[str, str]) -> pl.Expr:
    text = expr.str.to_lowercase().str.replace(_ENUM_PREFIXES, "")
    return text.replace(mapping)


def _time(expr: pl.Expr) -> pl.Expr:
    # Microseconds, as DuckDB's TIMESTAMPTZ stores them: in-flight frames and stored rows then
    # share one dtype, and one pandera contract serves both.
    ns = expr.cast(pl.Int64, strict=False)
    return pl.when(ns > 0).then(ns).cast(pl.Datetime("ns")).dt.cast_time_unit("us").dt.replace_time_zone("UTC")


def _hex_id(expr: pl.Expr) -> pl.Expr:
    lowered = expr.str.to_lowercase()
    return pl.when(lowered.str.len_chars() > 0).then(lowered)


def _floats(expr: pl.Expr) -> pl.Expr:
    return expr.list.eval(pl.element().cast(pl.Float64, strict=False))


def _ints(expr: pl.Expr) -> pl.Expr:
    return expr.list.eval(pl.element().cast(pl.Int64, strict=False))


# Resource and scope context every record carries, and the columns that close every row.
_CONTEXT_COLUMNS = (
    *[pl.col(a.column) for a in RESOURCE_ATTRS], "resource_attributes", "scope_name", "scope_version", "scope_attributes"
)


def _bookkeeping(time: pl.Expr) -> list:
    return ["attributes", time.dt.date().alias("event_date"), "source_file", "source_offset"]


def _key_src(*parts: str | pl.Expr) -> pl.Expr:
    """The text a content hash is taken of: every part, nulls kept distinct from empty strings."""
    exprs = [pl.col(p) if isinstance(p, str) else p for p in parts]
    return pl.concat_str([e.cast(pl.String).fill_null("\x00") for e in exprs], separator="\x1e").alias("record_key_src")


# -- decoding ---------------------------------------------------------------------------------

_UNKNOWN_KIND = r'"[a-z][A-Za-z]*Value"\s*:'
_PYTHON_PATH_KINDS = ("arrayValue", "kvlistValue", "bytesValue")
_KNOWN_KIND = '"(?:' + "|".join(KNOWN_VALUE_KINDS) + r')"\s*:'


def decode_requests(
    sources: list[str], offsets: list[int], lines: list[bytes], raw_bound: int = 4096
) -> tuple[dict[str, list[pl.DataFrame]], list[dict]]:
    """Per signal, frames of (source_file, source_offset, request struct) for the lines carrying
    it (one frame from the lean fast path, one from the slow path when it had lines), and
    quarantine rows for the lines (or records) that could not be decoded. Lines from many files
    are decoded together: polars' per-call overhead is paid once per batch, not once per file."""
    frame, quarantine = text_lines(sources, offsets, lines, raw_bound)

    # Nested or rare AnyValues and unknown kinds take the Python path; everything else stays in polars.
    # One pass finds every known kind's key; when each `Value"` of the line is one of them, no
    # unknown kind can be there, and only the other lines pay the two regex scans that tell.
    line = pl.col("line")
    kinds = line.str.extract_many([f'"{kind}"' for kind in KNOWN_VALUE_KINDS])
    nested = kinds.list.eval(pl.element().is_in([f'"{kind}"' for kind in _PYTHON_PATH_KINDS])).list.any()
    only_known = line.str.count_matches('Value"', literal=True) == kinds.list.len()
    markers = {f"_{signal}": line.str.contains(f'"{keys[0]}"', literal=True) for signal, keys in SIGNALS.items()}
    # The scans over every byte run on the chunked frame so polars spreads them over its threads.
    frame = chunked(frame).lazy().with_columns(nested.alias("slow"), only_known.alias("_only_known"), **markers).collect()
    suspects = frame.select(pl.arg_where(~pl.col("_only_known") & ~pl.col("slow"))).to_series()
    if len(suspects):
        unknown = frame[suspects].select(line.str.count_matches(_UNKNOWN_KIND) != line.str.count_matches(_KNOWN_KIND)).to_series()
        frame = frame.with_columns(frame.get_column("slow").scatter(suspects, unknown))
    frame = frame.drop("_only_known")
    rewritten = []
    for source, offset, text in frame.filter(pl.col("slow")).select("source_file", "source_offset", "line").iter_rows():
        try:
            request = json.loads(text)
        except ValueError as exc:
            quarantine.append(quarantine_row(source, offset, f"invalid JSON: {exc}", text, raw_bound))
            continue
        if not isinstance(request, dict):
            quarantine.append(quarantine_row(source, offset, f"a request must be a JSON object, got {type(request).__name__}", text, raw_bound))
            continue
        request, rejected = normalize_request(request)
        quarantine.extend(quarantine_row(source, offset, reason, record, raw_bound) for reason, record in rejected)
        rewritten.append((source, offset, json.dumps(request, separators=(",", ":"))))
    paths = {
        "lean": (frame.filter(~pl.col("slow")).drop("slow"), LEAN_REQUESTS),
        "wide": (pl.DataFrame(rewritten, schema=LINES_SCHEMA, orient="row").with_columns(**markers), WIDE_REQUESTS),
    }
    for source, offset, text in (
        pl.concat([f for f, _ in paths.values()])
        .filter(~pl.any_horizontal([pl.col(m) for m in markers]))
        .select("source_file", "source_offset", "line")
        .iter_rows()
    ):
        reason = why_undecodable(text, "an OTLP request", "no resourceSpans, resourceLogs or resourceMetrics")
        quarantine.append(quarantine_row(source, offset, reason, text, raw_bound))

    decoded: dict[str, list[pl.DataFrame]] = {signal: [] for signal in SIGNALS}
    failed: set[tuple[str, int]] = set()  # a line of several signals is quarantined once
    for name, (lines_frame, dtypes) in paths.items():
        for signal in SIGNALS:
            group = lines_frame.filter(pl.col(f"_{signal}")).select("source_file", "source_offset", "line")
            if group.height == 0 and name == "wide":
                continue
            requests, bad = decode_with_fallback(group, dtypes[signal], "an OTLP request")
            decoded[signal].append(requests)
            for source, offset, text, reason in bad:
                if (source, offset) not in failed:
                    failed.add((source, offset))
                    quarantine.append(quarantine_row(source, offset, reason, text, raw_bound))
    return decoded, quarantine


# -- flattening -------------------------------------------------------------------------------


def _records(requests: pl.DataFrame, signal: str) -> pl.DataFrame:
    """One row per record with resource and scope columns beside it."""
    resource_key, scope_key, records_key = SIGNALS[signal]
    resources = (
        requests.select("source_file", "source_offset", pl.col("request").struct.field(resource_key).alias("r"))
        .explode("r")
        .drop_nulls("r")
        .with_row_index("_resource_id")
    )
    resource_cols = typed_attributes(
        resources.select("_resource_id", pl.col("r").struct.field("resource").struct.field("attributes").alias("a")),
        "_resource_id",
        "a",
        RESOURCE_ATTRS,
        "resource_attributes",
        fingerprint=False,
    ).drop("attr_errors")
    scopes = (
        resources.select("source_file", "source_offset", "_resource_id", pl.col("r").struct.field(scope_key).alias("s"))
        .explode("s")
        .drop_nulls("s")
        .with_row_index("_scope_id")
    )
    scope = pl.col("s").struct.field("scope")
    scope_cols = typed_attributes(
        scopes.select("_scope_id", scope.struct.field("attributes").alias("a")), "_scope_id", "a", (), "scope_attributes",
        fingerprint=False,
    ).drop("attr_errors")
    records = (
        scopes.select(
            "source_file",
            "source_offset",
            "_resource_id",
            "_scope_id",
            scope.struct.field("name").alias("scope_name"),
            scope.struct.field("version").alias("scope_version"),
            pl.col("s").struct.field(records_key).alias("rec"),
        )
        .explode("rec")
        .drop_nulls("rec")
        .unnest("rec")
        .join(resource_cols, on="_resource_id", how="left")
        .join(scope_cols, on="_scope_id", how="left")
        .drop("_resource_id", "_scope_id")
    )
    return records.with_row_index("_rid")


def _attributes_of(records: pl.DataFrame, modeled: tuple[Attr, ...], exclude_prefix: str | None = None, fingerprint: bool = True):
    long = long_attributes(records, "_rid", "attributes")
    rest = long.filter(~pl.col("key").str.starts_with(exclude_prefix)) if exclude_prefix else long
    typed = typed_attributes(records, "_rid", "attributes", modeled, "attributes", long=rest, fingerprint=fingerprint)
    return records.drop("attributes").join(typed, on="_rid", how="left"), long


def _zen_tools(long: pl.DataFrame) -> pl.DataFrame:
    """`zen.tools.invocations.<tool>` / `zen.tools.tokens.<tool>` to a list of (tool, invocations, tokens)."""
    tool_rows = long.filter(pl.col("key").str.starts_with(ZEN_TOOL_PREFIX)).with_columns(
        pl.col("key").str.strip_prefix(ZEN_TOOL_PREFIX).str.splitn(".", 2).alias("parts")
    )
    tool_rows = tool_rows.with_columns(
        pl.col("parts").struct.field("field_0").alias("measure"),
        pl.col("parts").struct.field("field_1").alias("tool"),
        pl.col("text").cast(pl.Float64, strict=False).alias("number"),
    ).filter(pl.col("measure").is_in(["invocations", "tokens"]) & pl.col("tool").is_not_null())
    bad = tool_rows.filter(pl.col("number").is_null() | (pl.col("number") < 0) | (pl.col("number") != pl.col("number").floor()))
    errors = bad.group_by("_rid").agg(
        (pl.col("key") + pl.lit("=") + pl.col("text").fill_null("null").str.head(40) + pl.lit(" is not a count"))
        .str.join("; ")
        .alias("tool_errors")
    )
    per_tool = (
        tool_rows.filter(pl.col("number").is_not_null())
        .group_by("_rid", "tool")
        .agg(
            pl.col("number").filter(pl.col("measure") == "invocations").first().cast(pl.Int64).alias("invocations"),
            pl.col("number").filter(pl.col("measure") == "tokens").first().cast(pl.Int64).alias("tokens"),
        )
        .sort("_rid", "tool")
        .group_by("_rid", maintain_order=True)
        .agg(pl.struct("tool", "invocations", "tokens").alias("zen_tools"))
    )
    return per_tool.join(errors, on="_rid", how="full", coalesce=True)


def flatten_spans(requests: pl.DataFrame) -> pl.DataFrame:
    """Spans from the decoded `resourceSpans` requests."""
    records = _records(requests, "spans")
    records, long = _attributes_of(records, SPAN_ATTRS, exclude_prefix=ZEN_TOOL_PREFIX, fingerprint=False)
    tools = _zen_tools(long)
    records = records.join(tools, on="_rid", how="left")
    start, end = _time(pl.col("startTimeUnixNano")), _time(pl.col("endTimeUnixNano"))
    status = pl.col("status")
    out = records.select(
        _hex_id(pl.col("traceId")).alias("trace_id"),
        _hex_id(pl.col("spanId")).alias("span_id"),
        _hex_id(pl.col("parentSpanId")).alias("parent_span_id"),
        pl.col("name").alias("span_name"),
        _enum(pl.col("kind").fill_null("0"), SPAN_KINDS).alias("span_kind"),
        start.alias("start_time"),
        end.alias("end_time"),
        ((end - start).dt.total_microseconds() / 1000.0).alias("duration_ms"),
        _enum(status.struct.field("code").fill_null("0"), STATUS_CODES).alias("status_code"),
        status.struct.field("message").alias("status_message"),
        pl.col("traceState").alias("trace_state"),
        pl.col("events").list.len().fill_null(0).cast(pl.Int32).alias("event_count"),
        pl.col("links").list.len().fill_null(0).cast(pl.Int32).alias("link_count"),
        *_CONTEXT_COLUMNS,
        *[pl.col(a.column) for a in SPAN_ATTRS],
        pl.col("zen_tools"),
        "attributes",
        start.dt.date().alias("event_date"),
        "source_file",
        "source_offset",
        pl.concat_str(
            [pl.col("attr_errors"), pl.col("tool_errors")], separator="; ", ignore_nulls=True
        ).alias("attr_errors"),
    )
    out = out.with_columns(
        pl.when(pl.col("attr_errors") != "").then(pl.col("attr_errors")).alias("attr_errors"),
        pl.col("zen_tools").cast(pl.List(pl.Struct({"tool": pl.String, "invocations": pl.Int64, "tokens": pl.Int64}))),
        (pl.col("trace_id").fill_null("") + pl.lit(":") + pl.col("span_id").fill_null("")).alias("record_key_src"),
    )
    return out


def flatten_logs(requests: pl.DataFrame) -> pl.DataFrame:
    records = _records(requests, "logs")
    records, _ = _attributes_of(records, LOG_ATTRS)
    body = long_attributes(
        records.select("_rid", pl.concat_list(pl.struct(pl.lit("body").alias("key"), pl.col("body").alias("value"))).alias("b")),
        "_rid",
        "b",
    ).select("_rid", pl.col("text").alias("body"))
    records = records.drop("body").join(body, on="_rid", how="left")
    time = pl.coalesce(_time(pl.col("timeUnixNano")), _time(pl.col("observedTimeUnixNano")))
    out = records.select(
        time.alias("time"),
        _time(pl.col("observedTimeUnixNano")).alias("observed_time"),
        pl.col("severityNumber").cast(pl.Int32, strict=False).alias("severity_number"),
        pl.col("severityText").alias("severity_text"),
        pl.col("eventName").alias("otel_event_name"),
        pl.col("body"),
        _hex_id(pl.col("traceId")).alias("trace_id"),
        _hex_id(pl.col("spanId")).alias("span_id"),
        *_CONTEXT_COLUMNS,
        *[pl.col(a.column) for a in LOG_ATTRS],
        *_bookkeeping(time),
        "attr_errors",
        _key_src(
            "timeUnixNano", "observedTimeUnixNano", "severityNumber", "severityText", "eventName", "body",
            _hex_id(pl.col("traceId")), _hex_id(pl.col("spanId")), "resource_attributes", "scope_name", "_fingerprint",
        ),
    )
    return out


_POINT_KINDS = {
    "sum": "sum",
    "gauge": "gauge",
    "histogram": "histogram",
    "exponentialHistogram": "exponential_histogram",
    "summary": "summary",
}


def _points(metrics: pl.DataFrame) -> pl.DataFrame:
    parts = []
    base = ["_metric_id", "metric_name", "metric_description", "metric_unit"]
    for field, kind in _POINT_KINDS.items():
        data = pl.col(field)
        sel = metrics.select(
            *base,
            data.struct.field("dataPoints").alias("p"),
            (data.struct.field("aggregationTemporality") if kind not in ("gauge", "summary") else pl.lit(None, pl.String)).alias("temporality"),
            (data.struct.field("isMonotonic") if kind == "sum" else pl.lit(None, pl.String)).alias("is_monotonic"),
        ).filter(pl.col("p").list.len() > 0)
        points = sel.explode("p").unnest("p").with_columns(pl.lit(kind).alias("metric_type"))
        parts.append(points)
    return pl.concat(parts, how="diagonal_relaxed")


def flatten_metric_points(requests: pl.DataFrame) -> pl.DataFrame:
    metrics = _records(requests, "metric_points").rename(
        {"name": "metric_name", "description": "metric_description", "unit": "metric_unit", "_rid": "_metric_id"}
    )
    context = metrics.drop("sum", "gauge", "histogram", "exponentialHistogram", "summary", "metric_name", "metric_description", "metric_unit")
    points = _points(metrics)
    wanted = {
        "asDouble": pl.String, "asInt": pl.String, "count": pl.String, "sum": pl.String, "min": pl.String,
        "max": pl.String, "bucketCounts": pl.List(pl.String), "explicitBounds": pl.List(pl.String),
        "scale": pl.String, "zeroCount": pl.String, "zeroThreshold": pl.String,
        "positive": pl.Struct({"offset": pl.String, "bucketCounts": pl.List(pl.String)}),
        "negative": pl.Struct({"offset": pl.String, "bucketCounts": pl.List(pl.String)}),
        "quantileValues": pl.List(pl.Struct({"quantile": pl.String, "value": pl.String})),
        "startTimeUnixNano": pl.String, "timeUnixNano": pl.String, "flags": pl.String,
    }
    for name, dtype in wanted.items():
        if name not in points.columns:
            points = points.with_columns(pl.lit(None).cast(dtype).alias(name))
    points = points.with_row_index("_rid").join(context, on="_metric_id", how="left")
    points, _ = _attributes_of(points, METRIC_ATTRS)
    time = _time(pl.col("timeUnixNano"))
    out = points.select(
        "metric_name",
        "metric_description",
        "metric_unit",
        "metric_type",
        _enum(pl.col("temporality"), TEMPORALITIES).alias("temporality"),
        (pl.col("is_monotonic").str.to_lowercase() == "true").alias("is_monotonic"),
        _time(pl.col("startTimeUnixNano")).alias("start_time"),
        time.alias("time"),
        pl.coalesce(pl.col("asDouble").cast(pl.Float64, strict=False), pl.col("asInt").cast(pl.Float64, strict=False)).alias("value"),
        pl.col("asInt").cast(pl.Int64, strict=False).alias("value_int"),
        pl.col("count").cast(pl.Int64, strict=False).alias("count"),
        pl.col("sum").cast(pl.Float64, strict=False).alias("sum"),
        pl.col("min").cast(pl.Float64, strict=False).alias("min"),
        pl.col("max").cast(pl.Float64, strict=False).alias("max"),
        _ints(pl.col("bucketCounts")).alias("bucket_counts"),
        _floats(pl.col("explicitBounds")).alias("explicit_bounds"),
        pl.col("scale").cast(pl.Int32, strict=False).alias("exp_scale"),
        pl.col("zeroCount").cast(pl.Int64, strict=False).alias("exp_zero_count"),
        pl.col("positive").struct.field("offset").cast(pl.Int32, strict=False).alias("exp_positive_offset"),
        _ints(pl.col("positive").struct.field("bucketCounts")).alias("exp_positive_bucket_counts"),
        pl.col("negative").struct.field("offset").cast(pl.Int32, strict=False).alias("exp_negative_offset"),
        _ints(pl.col("negative").struct.field("bucketCounts")).alias("exp_negative_bucket_counts"),
        pl.col("quantileValues").list.eval(
            pl.struct(
                pl.element().struct.field("quantile").cast(pl.Float64, strict=False).alias("quantile"),
                pl.element().struct.field("value").cast(pl.Float64, strict=False).alias("value"),
            )
        ).alias("quantile_values"),
        *_CONTEXT_COLUMNS,
        *[pl.col(a.column) for a in METRIC_ATTRS],
        *_bookkeeping(time),
        "attr_errors",
        _key_src(
            "metric_name", "metric_type", "startTimeUnixNano", "timeUnixNano", "asDouble", "asInt", "count",
            "sum", pl.col("bucketCounts").list.join(","), "resource_attributes", "scope_name", "_fingerprint",
        ),
    )
    return out


def decode_lines(sources: list[str], offsets: list[int], lines: list[bytes], raw_bound: int = 4096) -> Decoded:
    """The flat records of the lines, and the quarantine rows of what could not be decoded. Trace
    and log lines go through the compiled fast path (fast_otlp.py) when it is built; whatever it
    declines, and every other line, through the polars path below, which defines the results."""
    fast = fast_otlp.decode(sources, offsets, lines) if lines else None
    if fast is None:
        return _decode_lines(sources, offsets, lines, raw_bound)
    empty = _empty()
    spans, logs = fast.spans.select(empty.spans.columns), fast_logs(fast.logs)
    if not fast.declined:
        return Decoded(spans=spans, logs=logs, metric_points=empty.metric_points, quarantine=empty.quarantine)
    declined = fast.declined
    rest = _decode_lines([sources[i] for i in declined], [offsets[i] for i in declined], [lines[i] for i in declined], raw_bound)
    rest.spans = pl.concat([spans, rest.spans], how="vertical_relaxed") if rest.spans.height else spans
    rest.logs = pl.concat([logs, rest.logs], how="vertical_relaxed") if rest.logs.height else logs
    return rest


def fast_logs(logs: pl.DataFrame) -> pl.DataFrame:
    """The fast path's log rows in flatten_logs' columns, their record key made by the same `_key_src`
    of the same texts (the raw time and severity texts, the fingerprint of every attribute)."""
    key = _key_src("_time_text", "_observed_text", "_severity_number_text", "severity_text", "otel_event_name", "body",
                   "trace_id", "span_id", "resource_attributes", "scope_name", "_fingerprint")
    return logs.with_columns(key).select(_empty().logs.columns)


@functools.cache
def _empty() -> Decoded:
    """What the polars path makes of no lines: the fast path's rows take its columns, in its order,
    and a batch with nothing else its empty frames (decoding nothing costs ~10 ms: once a process)."""
    return _decode_lines([], [], [], 0)


def _decode_lines(sources: list[str], offsets: list[int], lines: list[bytes], raw_bound: int) -> Decoded:
    requests, quarantine = decode_requests(sources, offsets, lines, raw_bound)
    flatteners = {"spans": flatten_spans, "logs": flatten_logs, "metric_points": flatten_metric_points}
    frames = {
        signal: pl.concat([flatteners[signal](r) for r in requests[signal]], how="vertical_relaxed")
        for signal in SIGNALS
    }
    return Decoded(
        spans=frames["spans"],
        logs=frames["logs"],
        metric_points=frames["metric_points"],
        quarantine=pl.DataFrame(quarantine, schema=QUARANTINE_SCHEMA),
    )
