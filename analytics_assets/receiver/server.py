"""`analytics-assets receive`: an OTLP/HTTP receiver (POST /v1/traces, /v1/logs, /v1/metrics;
JSON or protobuf, optionally gzip) that lands what it accepts in landing/otlp for the ingest.

Responses follow the OTLP/HTTP spec: 200 (with `partial_success` when records were rejected),
400 undecodable body, 401 bearer token missing or wrong (when ANALYTICS_RECEIVER_TOKEN is set),
413 body over the limit, 415 other content types, 503 + Retry-After when the landing disk is
near full. Logs are one JSON object per line on stderr: never a payload, never a token.
"""

from __future__ import annotations

import hmac
import http.server
import json
import os
import signal
import sys
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import orjson
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from . import otlp_json
from .writer import LandingWriter

TOKEN_ENV = "ANALYTICS_RECEIVER_TOKEN"
JSON, PROTOBUF = "application/json", "application/x-protobuf"
RETRY_AFTER_SECONDS = 30

# path -> (signal, request type, response type, resource key, scope key, records key, rejected field)
ROUTES = {
    "/v1/traces": ("traces", trace_service_pb2.ExportTraceServiceRequest, trace_service_pb2.ExportTraceServiceResponse,
                   "resourceSpans", "scopeSpans", "spans", "rejected_spans"),
    "/v1/logs": ("logs", logs_service_pb2.ExportLogsServiceRequest, logs_service_pb2.ExportLogsServiceResponse,
                 "resourceLogs", "scopeLogs", "logRecords", "rejected_log_records"),
    "/v1/metrics": ("metrics", metrics_service_pb2.ExportMetricsServiceRequest, metrics_service_pb2.ExportMetricsServiceResponse,
                    "resourceMetrics", "scopeMetrics", "metrics", "rejected_data_points"),
}
TO_JSON = {"traces": otlp_json.traces, "logs": otlp_json.logs, "metrics": otlp_json.metrics}


@dataclass
class ReceiverConfig:
    host: str = "127.0.0.1"
    port: int = 4318
    landing: Path = Path("landing/otlp")
    max_body_bytes: int = 16 << 20        # as sent (compressed or not)
    max_decompressed_bytes: int = 64 << 20
    rotate_bytes: int = 64 << 20
    rotate_seconds: float = 300.0
    min_free_bytes: int = 256 << 20
    token: str = ""                       # from TOKEN_ENV; empty = no authentication (loopback default)


class BadRequest(ValueError):
    pass


def _valid_hex(value, length: int) -> bool:
    return isinstance(value, str) and len(value) == length and value.strip("0") != "" and all(c in "0123456789abcdefABCDEF" for c in value)


def reject_invalid(payload: dict, signal: str) -> tuple[int, int, str]:
    """Remove the records the ingest could never use; returns (kept, rejected, why). Spans need
    a valid trace and span id; log records and metrics must be objects, metrics need a name."""
    _, _, _, resource_key, scope_key, records_key, _ = ROUTES[f"/v1/{signal}"]
    kept = rejected = 0
    reasons = set()
    resources = payload.get(resource_key)
    if resources is None:
        return 0, 0, ""
    if not isinstance(resources, list):
        raise BadRequest(f"{resource_key} is not a list")
    for resource in resources:
        for scope in (resource or {}).get(scope_key) or []:
            records = scope.get(records_key) if isinstance(scope, dict) else None
            if not isinstance(records, list):
                continue
            good = []
            for record in records:
                if not isinstance(record, dict):
                    reasons.add(f"{records_key} entries must be objects")
                elif signal == "traces" and not (_valid_hex(record.get("traceId"), 32) and _valid_hex(record.get("spanId"), 16)):
                    reasons.add("spans need a 32-hex-digit traceId and a 16-hex-digit spanId")
                elif signal == "metrics" and not record.get("name"):
                    reasons.add("metrics need a name")
                else:
                    good.append(record)
                    continue
                rejected += 1
            kept += len(good)
            scope[records_key] = good
    return kept, rejected, "; ".join(sorted(reasons))


def log(**fields) -> None:
    fields["ts"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    sys.stderr.write(json.dumps(fields, separators=(",", ":")) + "\n")
    sys.stderr.flush()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: exporters reuse connections
    server: "Receiver"

    def log_message(self, *args):  # replaced by structured logs
        pass

    def _send(self, status: int, body: bytes = b"", content_type: str = JSON, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, message: str, content_type: str, headers: dict | None = None) -> None:
        # An OTLP error body is a google.rpc.Status; JSON clients get its JSON form.
        body = json.dumps({"code": status, "message": message}).encode() if content_type != PROTOBUF else b""
        self._send(status, body, JSON if content_type != PROTOBUF else PROTOBUF, headers)

    def do_GET(self):  # noqa: N802
        if self.path == "/healthz":
            self._send(200, json.dumps({"status": "ok", "disk_ok": self.server.writer.disk_ok()}).encode())
        else:
            self._send(404, b'{"message": "not found"}')

    def do_POST(self):  # noqa: N802
        started = time.perf_counter()
        status, records, rejected, size = self._handle()
        log(event="request", path=self.path.split("?")[0], status=status, records=records, rejected=rejected, bytes=size,
            ms=round((time.perf_counter() - started) * 1000, 2))

    def _handle(self) -> tuple[int, int, int, int]:
        route = ROUTES.get(self.path.split("?")[0])
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        length = int(self.headers.get("Content-Length") or 0)
        config = self.server.config
        if route is None:
            self._drain(length)
            self._error(404, "not found: POST /v1/traces, /v1/logs or /v1/metrics", content_type)
            return 404, 0, 0, length
        if config.token and not hmac.compare_digest(self.headers.get("Authorization", ""), f"Bearer {config.token}"):
            self._drain(length)
            self._error(401, "missing or wrong bearer token", content_type, {"WWW-Authenticate": "Bearer"})
            return 401, 0, 0, length
        if content_type not in (JSON, PROTOBUF):
            self._drain(length)
            self._error(415, f"unsupported content type {content_type or '(none)'}: use {JSON} or {PROTOBUF}", JSON)
            return 415, 0, 0, length
        if length > config.max_body_bytes:
            self.close_connection = True  # do not read a body this size
            self._error(413, f"body of {length} bytes over the {config.max_body_bytes}-byte limit", content_type)
            return 413, 0, 0, length
        body = self.rfile.read(length)
        if not self.server.writer.disk_ok():
            self._error(503, "landing disk nearly full; retry later", content_type, {"Retry-After": str(RETRY_AFTER_SECONDS)})
            return 503, 0, 0, length
        signal_name, request_type, response_type, *_, rejected_field = route
        try:
            if (self.headers.get("Content-Encoding") or "").lower() == "gzip":
                body = _gunzip(body, config.max_decompressed_bytes)
            if content_type == PROTOBUF:
                payload = TO_JSON[signal_name](request_type.FromString(body))
            else:
                payload = orjson.loads(body)
                if not isinstance(payload, dict):
                    raise BadRequest("the body is not a JSON object")
            kept, rejected, why = reject_invalid(payload, signal_name)
        except TooLarge as exc:
            self._error(413, str(exc), content_type)
            return 413, 0, 0, length
        except (DecodeError, orjson.JSONDecodeError, BadRequest, OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
            self._error(400, f"undecodable {signal_name} request: {type(exc).__name__}", content_type)
            return 400, 0, 0, length
        if kept:
            self.server.writer.write(signal_name, orjson.dumps(payload))
        if content_type == PROTOBUF:
            response = response_type()
            if rejected:
                setattr(response.partial_success, rejected_field, rejected)
                response.partial_success.error_message = why
            self._send(200, response.SerializeToString(), PROTOBUF)
        else:
            camel = "".join(w.capitalize() if i else w for i, w in enumerate(rejected_field.split("_")))
            body = {"partialSuccess": {camel: str(rejected), "errorMessage": why}} if rejected else {}
            self._send(200, json.dumps(body).encode())
        return 200, kept, rejected, length

    def _drain(self, length: int) -> None:
        if 0 < length <= self.server.config.max_body_bytes:
            self.rfile.read(length)
        else:
            self.close_connection = True


class TooLarge(ValueError):
    pass


def _gunzip(body: bytes, limit: int) -> bytes:
    """Decompress with a bound: a small gzip bomb must not take the receiver down."""
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = decompressor.decompress(body, limit + 1)
    if len(out) > limit or decompressor.unconsumed_tail:
        raise TooLarge(f"decompressed body over the {limit}-byte limit")
    if not decompressor.eof:
        raise EOFError("truncated gzip body")
    return out


class Receiver(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, config: ReceiverConfig):
        self.config = config
        self.writer = LandingWriter(config.landing, config.rotate_bytes, config.rotate_seconds, config.min_free_bytes)
        super().__init__((config.host, config.port), Handler)

    @property
    def url(self) -> str:
        return f"http://{self.server_address[0]}:{self.server_address[1]}"


def serve(config: ReceiverConfig) -> int:
    receiver = Receiver(config)
    stopping = threading.Event()

    def stop(signum, frame):  # SIGTERM / SIGINT: finish in-flight requests, close the files, exit 0
        if not stopping.is_set():
            stopping.set()
            log(event="shutdown", signal=signal.Signals(signum).name)
            threading.Thread(target=receiver.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log(event="listening", url=receiver.url, landing=str(config.landing), auth=bool(config.token))
    print(f"listening on {receiver.url}", flush=True)  # the first stdout line: tests and scripts read the port here
    try:
        receiver.serve_forever(poll_interval=0.2)
    finally:
        receiver.server_close()
        receiver.writer.close()
        log(event="stopped", files_written=receiver.writer.files_written)
    return 0


def config_from_args(args, landing_dir: Path) -> ReceiverConfig:
    return ReceiverConfig(
        host=args.host, port=args.port, landing=Path(args.landing) if args.landing else landing_dir / "otlp",
        max_body_bytes=int(args.max_body_mb * (1 << 20)), max_decompressed_bytes=int(args.max_body_mb * 4 * (1 << 20)),
        rotate_bytes=int(args.rotate_mb * (1 << 20)), rotate_seconds=args.rotate_seconds,
        min_free_bytes=int(args.min_free_mb * (1 << 20)), token=os.environ.get(TOKEN_ENV, ""),
    )

