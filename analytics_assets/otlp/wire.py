"""Polars dtypes for the OTLP/JSON wire format (ExportTrace/Logs/MetricsServiceRequest).

Every scalar leaf is decoded as String: OTLP/JSON writes int64 as strings *or* numbers and
doubles may be "NaN"/"Infinity", and polars coerces any JSON scalar into a String field, so one
schema accepts every producer. Casting to typed columns happens after flattening.

AnyValue's `arrayValue` / `kvlistValue` nest without bound, which a fixed struct cannot express;
`normalize.py` rewrites them into our own `jsonValue` (the plain JSON text) before decoding.
Each signal has two schemas: a lean one (the four common scalar kinds) for the fast path, and a
wide one (plus `bytesValue` and `jsonValue`) for the few lines the slow path rewrote. Decoding
costs in proportion to the fields of the target struct, and the lean schema is ~30 % faster.
Only the fields we use are decoded; unknown fields are skipped.
"""

from __future__ import annotations

import polars as pl

S = pl.String

LEAN_VALUE_KINDS = ("stringValue", "intValue", "doubleValue", "boolValue")
WIDE_VALUE_KINDS = (*LEAN_VALUE_KINDS, "bytesValue", "jsonValue")  # jsonValue: written by normalize.py

# AnyValue kinds the OTLP spec defines; anything else is an unknown kind.
KNOWN_VALUE_KINDS = (*LEAN_VALUE_KINDS, "bytesValue", "arrayValue", "kvlistValue")

SIGNALS = {
    "spans": ("resourceSpans", "scopeSpans", "spans"),
    "logs": ("resourceLogs", "scopeLogs", "logRecords"),
    "metric_points": ("resourceMetrics", "scopeMetrics", "metrics"),
}


def _signal_dtypes(kinds: tuple[str, ...]) -> dict[str, pl.Struct]:
    any_value = pl.Struct({k: S for k in kinds})
    attributes = pl.List(pl.Struct({"key": S, "value": any_value}))
    span = pl.Struct(
        {
            "traceId": S, "spanId": S, "parentSpanId": S, "traceState": S, "name": S, "kind": S,
            "startTimeUnixNano": S, "endTimeUnixNano": S, "attributes": attributes,
            "events": pl.List(pl.Struct({"name": S})), "links": pl.List(pl.Struct({"spanId": S})),
            "status": pl.Struct({"code": S, "message": S}),
        }
    )
    log_record = pl.Struct(
        {
            "timeUnixNano": S, "observedTimeUnixNano": S, "severityNumber": S, "severityText": S,
            "eventName": S, "body": any_value, "attributes": attributes, "traceId": S, "spanId": S,
        }
    )
    common = {"attributes": attributes, "startTimeUnixNano": S, "timeUnixNano": S}
    number_point = pl.Struct({**common, "asDouble": S, "asInt": S})
    stats = {"count": S, "sum": S, "min": S, "max": S}
    buckets = pl.Struct({"offset": S, "bucketCounts": pl.List(S)})
    metric = pl.Struct(
        {
            "name": S,
            "description": S,
            "unit": S,
            "sum": pl.Struct({"dataPoints": pl.List(number_point), "aggregationTemporality": S, "isMonotonic": S}),
            "gauge": pl.Struct({"dataPoints": pl.List(number_point)}),
            "histogram": pl.Struct(
                {
                    "dataPoints": pl.List(pl.Struct({**common, **stats, "bucketCounts": pl.List(S), "explicitBounds": pl.List(S)})),
                    "aggregationTemporality": S,
                }
            ),
            "exponentialHistogram": pl.Struct(
                {
                    "dataPoints": pl.List(
                        pl.Struct({**common, **stats, "scale": S, "zeroCount": S, "positive": buckets, "negative": buckets})
                    ),
                    "aggregationTemporality": S,
                }
            ),
            "summary": pl.Struct(
                {"dataPoints": pl.List(pl.Struct({**common, "count": S, "sum": S,
                                                   "quantileValues": pl.List(pl.Struct({"quantile": S, "value": S}))}))}
            ),
        }
    )
    resource = pl.Struct({"attributes": attributes})
    scope = pl.Struct({"name": S, "version": S, "attributes": attributes})
    records = {"spans": span, "logs": log_record, "metric_points": metric}
    return {
        signal: pl.Struct(
            {
                resource_key: pl.List(
                    pl.Struct({"resource": resource, scope_key: pl.List(pl.Struct({"scope": scope, records_key: pl.List(records[signal])}))})
                )
            }
        )
        for signal, (resource_key, scope_key, records_key) in SIGNALS.items()
    }


LEAN_REQUESTS = _signal_dtypes(LEAN_VALUE_KINDS)
WIDE_REQUESTS = _signal_dtypes(WIDE_VALUE_KINDS)
