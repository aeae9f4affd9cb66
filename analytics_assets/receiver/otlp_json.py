"""OTLP protobuf requests (decoded by the `opentelemetry-proto` package) → OTLP/JSON, the shape
the collector's file exporter writes and our ingest reads: camelCase names, int64 as strings,
enums as integers, trace and span ids as lowercase hex (protobuf's own JSON mapping would write
base64 there, which is not OTLP/JSON).

Spans and log records, the high-volume signals, are mapped field by field (several times faster
than `json_format.MessageToDict`); metrics go through MessageToDict with the ids fixed after.
"""

from __future__ import annotations

from google.protobuf.json_format import MessageToDict

ID_KEYS = ("traceId", "spanId", "parentSpanId")


def any_value(value) -> dict:
    kind = value.WhichOneof("value")
    if kind is None:
        return {}
    if kind == "string_value":
        return {"stringValue": value.string_value}
    if kind == "int_value":
        return {"intValue": str(value.int_value)}
    if kind == "double_value":
        return {"doubleValue": value.double_value}
    if kind == "bool_value":
        return {"boolValue": value.bool_value}
    if kind == "bytes_value":
        import base64

        return {"bytesValue": base64.b64encode(value.bytes_value).decode()}
    if kind == "array_value":
        return {"arrayValue": {"values": [any_value(v) for v in value.array_value.values]}}
    return {"kvlistValue": {"values": attributes(value.kvlist_value.values)}}


def attributes(items) -> list[dict]:
    return [{"key": kv.key, "value": any_value(kv.value)} for kv in items]


def _resource(resource) -> dict:
    out = {"attributes": attributes(resource.attributes)}
    if resource.dropped_attributes_count:
        out["droppedAttributesCount"] = resource.dropped_attributes_count
    return out


def _scope(scope) -> dict:
    out = {"name": scope.name}
    if scope.version:
        out["version"] = scope.version
    if scope.attributes:
        out["attributes"] = attributes(scope.attributes)
    return out


def _span(span) -> dict:
    out = {"traceId": span.trace_id.hex(), "spanId": span.span_id.hex(), "name": span.name, "kind": span.kind,
           "startTimeUnixNano": str(span.start_time_unix_nano), "endTimeUnixNano": str(span.end_time_unix_nano),
           "attributes": attributes(span.attributes)}
    if span.parent_span_id:
        out["parentSpanId"] = span.parent_span_id.hex()
    if span.trace_state:
        out["traceState"] = span.trace_state
    if span.events:
        out["events"] = [{"timeUnixNano": str(e.time_unix_nano), "name": e.name, "attributes": attributes(e.attributes)}
                         for e in span.events]
    if span.links:
        out["links"] = [{"traceId": link.trace_id.hex(), "spanId": link.span_id.hex(), "attributes": attributes(link.attributes)}
                        for link in span.links]
    if span.status.code or span.status.message:
        out["status"] = {"code": span.status.code, **({"message": span.status.message} if span.status.message else {})}
    return out


def _log(record) -> dict:
    out = {"timeUnixNano": str(record.time_unix_nano), "observedTimeUnixNano": str(record.observed_time_unix_nano),
           "severityNumber": record.severity_number, "body": any_value(record.body), "attributes": attributes(record.attributes)}
    if record.severity_text:
        out["severityText"] = record.severity_text
    if record.trace_id:
        out["traceId"] = record.trace_id.hex()
    if record.span_id:
        out["spanId"] = record.span_id.hex()
    if record.event_name:
        out["eventName"] = record.event_name
    return out


def traces(request) -> dict:
    return {"resourceSpans": [
        {"resource": _resource(rs.resource), "schemaUrl": rs.schema_url,
         "scopeSpans": [{"scope": _scope(ss.scope), "spans": [_span(s) for s in ss.spans], "schemaUrl": ss.schema_url}
                        for ss in rs.scope_spans]}
        for rs in request.resource_spans]}


def logs(request) -> dict:
    return {"resourceLogs": [
        {"resource": _resource(rl.resource), "schemaUrl": rl.schema_url,
         "scopeLogs": [{"scope": _scope(sl.scope), "logRecords": [_log(r) for r in sl.log_records], "schemaUrl": sl.schema_url}
                       for sl in rl.scope_logs]}
        for rl in request.resource_logs]}


def _hex_ids(node):
    """MessageToDict writes bytes as base64; OTLP/JSON wants hex for ids (exemplars carry them)."""
    import base64

    if isinstance(node, dict):
        for key, value in node.items():
            if key in ID_KEYS and isinstance(value, str):
                node[key] = base64.b64decode(value).hex()
            else:
                _hex_ids(value)
    elif isinstance(node, list):
        for item in node:
            _hex_ids(item)
    return node


def metrics(request) -> dict:
    return _hex_ids(MessageToDict(request, use_integers_for_enums=True))
