"""Polars dtypes for the OTLP/JSON wire format (ExportTrace/Logs/MetricsServiceRequest).

Every scalar leaf is decoded as String: OTLP/JSON writes int64 as strings *or* numbers and
doubles may be "NaN"/"Infinity", and polars coerces any JSON scalar into a String field, so one
schema accepts every producer. Casting to typed columns happens after flattening.

AnyValue's `arrayValue` / `kvlistValue` nest without bound, which a fixed struct cannot express;
`normalize.py` rewrites them into our own `jsonValue` (the plain JSON text) before decoding.
"""

from __future__ import annotations

import polars as pl

S = pl.String

ANY_VALUE = pl.Struct(
    {
        "stringValue": S,
        "intValue": S,
        "doubleValue": S,
        "boolValue": S,
        "bytesValue": S,
        "jsonValue": S,  # written by normalize.py for arrayValue / kvlistValue
    }
)
ATTRIBUTES = pl.List(pl.Struct({"key": S, "value": ANY_VALUE}))

# AnyValue kinds the OTLP spec defines; anything else is an unknown kind.
KNOWN_VALUE_KINDS = ("stringValue", "intValue", "doubleValue", "boolValue", "bytesValue", "arrayValue", "kvlistValue")

RESOURCE = pl.Struct({"attributes": ATTRIBUTES, "droppedAttributesCount": S})
SCOPE = pl.Struct({"name": S, "version": S, "attributes": ATTRIBUTES})

SPAN = pl.Struct(
    {
        "traceId": S,
        "spanId": S,
        "parentSpanId": S,
        "traceState": S,
        "flags": S,
        "name": S,
        "kind": S,
        "startTimeUnixNano": S,
        "endTimeUnixNano": S,
        "attributes": ATTRIBUTES,
        "droppedAttributesCount": S,
        "events": pl.List(pl.Struct({"name": S, "timeUnixNano": S})),
        "links": pl.List(pl.Struct({"traceId": S, "spanId": S})),
        "status": pl.Struct({"code": S, "message": S}),
    }
)

LOG_RECORD = pl.Struct(
    {
        "timeUnixNano": S,
        "observedTimeUnixNano": S,
        "severityNumber": S,
        "severityText": S,
        "eventName": S,
        "body": ANY_VALUE,
        "attributes": ATTRIBUTES,
        "droppedAttributesCount": S,
        "flags": S,
        "traceId": S,
        "spanId": S,
    }
)

_POINT_COMMON = {"attributes": ATTRIBUTES, "startTimeUnixNano": S, "timeUnixNano": S, "flags": S}
NUMBER_POINT = pl.Struct({**_POINT_COMMON, "asDouble": S, "asInt": S})
HISTOGRAM_POINT = pl.Struct(
    {
        **_POINT_COMMON,
        "count": S,
        "sum": S,
        "min": S,
        "max": S,
        "bucketCounts": pl.List(S),
        "explicitBounds": pl.List(S),
    }
)
BUCKETS = pl.Struct({"offset": S, "bucketCounts": pl.List(S)})
EXP_HISTOGRAM_POINT = pl.Struct(
    {
        **_POINT_COMMON,
        "count": S,
        "sum": S,
        "min": S,
        "max": S,
        "scale": S,
        "zeroCount": S,
        "zeroThreshold": S,
        "positive": BUCKETS,
        "negative": BUCKETS,
    }
)
SUMMARY_POINT = pl.Struct(
    {**_POINT_COMMON, "count": S, "sum": S, "quantileValues": pl.List(pl.Struct({"quantile": S, "value": S}))}
)

METRIC = pl.Struct(
    {
        "name": S,
        "description": S,
        "unit": S,
        "sum": pl.Struct(
            {"dataPoints": pl.List(NUMBER_POINT), "aggregationTemporality": S, "isMonotonic": S}
        ),
        "gauge": pl.Struct({"dataPoints": pl.List(NUMBER_POINT)}),
        "histogram": pl.Struct({"dataPoints": pl.List(HISTOGRAM_POINT), "aggregationTemporality": S}),
        "exponentialHistogram": pl.Struct(
            {"dataPoints": pl.List(EXP_HISTOGRAM_POINT), "aggregationTemporality": S}
        ),
        "summary": pl.Struct({"dataPoints": pl.List(SUMMARY_POINT)}),
    }
)


def _resource_list(scope_key: str, records_key: str, record: pl.DataType) -> pl.List:
    scoped = pl.Struct({"scope": SCOPE, "schemaUrl": S, records_key: pl.List(record)})
    return pl.List(pl.Struct({"resource": RESOURCE, "schemaUrl": S, scope_key: pl.List(scoped)}))


# One line may hold any of the three request kinds; a single decode serves them all.
REQUEST = pl.Struct(
    {
        "resourceSpans": _resource_list("scopeSpans", "spans", SPAN),
        "resourceLogs": _resource_list("scopeLogs", "logRecords", LOG_RECORD),
        "resourceMetrics": _resource_list("scopeMetrics", "metrics", METRIC),
    }
)

SIGNALS = {
    "spans": ("resourceSpans", "scopeSpans", "spans"),
    "logs": ("resourceLogs", "scopeLogs", "logRecords"),
    "metric_points": ("resourceMetrics", "scopeMetrics", "metrics"),
}
