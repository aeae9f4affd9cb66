"""The slow path for the few request lines the fixed polars schema cannot decode as they are.

Two cases reach here (the fast path sends only lines that mention them):
- `arrayValue` / `kvlistValue` AnyValues, which nest without bound. They become
  `{"jsonValue": "<plain JSON>"}` (`["many","values"]`, `{"some.map.key":"some value"}`) so the
  attribute keeps its whole value as JSON text.
- an AnyValue kind the spec does not define. The record that carries it is taken out of the
  request and returned for quarantine (with the key and kind in the reason), so one bad record
  never costs the rest of the batch.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from .wire import KNOWN_VALUE_KINDS, SIGNALS


class UnknownValueKind(ValueError):
    pass


def plain_value(value: Any) -> Any:
    """An OTLP AnyValue as the plain JSON value it stands for."""
    if not isinstance(value, dict):
        raise UnknownValueKind(f"AnyValue is a {type(value).__name__}, not an object")
    if not value:
        return None
    kind = next(iter(value))
    if len(value) > 1 or kind not in KNOWN_VALUE_KINDS:
        raise UnknownValueKind(f"unknown AnyValue kind {sorted(value)!r}")
    inner = value[kind]
    if kind == "arrayValue":
        return [plain_value(v) for v in (inner or {}).get("values", [])]
    if kind == "kvlistValue":
        return {kv.get("key"): plain_value(kv.get("value", {})) for kv in (inner or {}).get("values", [])}
    if kind == "intValue":
        return int(inner)
    if kind == "doubleValue":
        return float(inner) if not isinstance(inner, str) else inner
    if kind == "bytesValue":  # base64 in OTLP/JSON; kept as text (checked, not decoded)
        base64.b64decode(inner, validate=True)
        return inner
    return inner


def _wire_value(value: Any) -> dict:
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("arrayValue", "kvlistValue"):
        return {"jsonValue": json.dumps(plain_value(value), separators=(",", ":"), ensure_ascii=False)}
    plain_value(value)  # raises on an unknown kind
    return value


def _fix_attributes(holder: dict) -> None:
    for kv in holder.get("attributes") or []:
        where = kv.get("key")
        try:
            kv["value"] = _wire_value(kv.get("value", {}))
        except (UnknownValueKind, ValueError, TypeError) as exc:
            raise UnknownValueKind(f"attribute {where!r}: {exc}") from exc


def _fix_record(signal: str, record: dict) -> None:
    _fix_attributes(record)
    if signal == "logs" and "body" in record:
        try:
            record["body"] = _wire_value(record["body"])
        except (UnknownValueKind, ValueError, TypeError) as exc:
            raise UnknownValueKind(f"body: {exc}") from exc
    if signal == "metric_points":
        for kind in ("sum", "gauge", "histogram", "exponentialHistogram", "summary"):
            for point in (record.get(kind) or {}).get("dataPoints") or []:
                _fix_attributes(point)


def normalize_request(request: dict) -> tuple[dict, list[tuple[str, str]]]:
    """Rewrite nested AnyValues in place; return the request and the (reason, record JSON) of
    every record that had to be taken out."""
    rejected: list[tuple[str, str]] = []
    for signal, (resource_key, scope_key, records_key) in SIGNALS.items():
        for resource_entry in request.get(resource_key) or []:
            try:
                _fix_attributes(resource_entry.get("resource") or {})
                resource_error = None
            except UnknownValueKind as exc:
                resource_error = f"resource {exc}"
            for scope_entry in resource_entry.get(scope_key) or []:
                try:
                    _fix_attributes(scope_entry.get("scope") or {})
                    scope_error = resource_error
                except UnknownValueKind as exc:
                    scope_error = resource_error or f"scope {exc}"
                kept = []
                for record in scope_entry.get(records_key) or []:
                    error = scope_error
                    if error is None:
                        try:
                            _fix_record(signal, record)
                        except UnknownValueKind as exc:
                            error = str(exc)
                    if error is None:
                        kept.append(record)
                    else:
                        rejected.append((error, json.dumps(record, separators=(",", ":"))))
                scope_entry[records_key] = kept
    return request, rejected
