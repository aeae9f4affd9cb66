"""`analytics-assets receive`: an OTLP/HTTP receiver (POST /v1/traces, /v1/logs, /v1/metrics;
JSON or protobuf, optionally gzip) that lands what it accepts in landing/otlp for the ingest.

Responses follow the OTLP/HTTP spec: 200 (with `partial_success` when records were rejected),
400 undecodable body, 401 bearer token missing or wrong (when ANALYTICS_RECEIVER_TOKEN is set or
the tokens file holds tokens), 413 body over the limit, 415 other content types, 503 + Retry-After
when the landing disk is near full. Logs are one JSON object per line on stderr: never a payload,
never a token.

The team's machines also push their transcripts here (`POST /v1/push`, see pushed.py): a per-machine
token (tokens.py) says which machine and developer a request comes from; OTLP resources from such a
token are stamped with `analytics.machine` and `analytics.developer`, whatever the client sent.
"""

from __future__ import annotations

import hmac
import http.server
import ipaddress
import json
import os
import ssl
import signal
import sys
import threading
import time
import urllib.parse
import zlib
from dataclasses import dataclass
from pathlib import Path

import orjson
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from . import gzip_codec, otlp_json
from .pushed import PushLanding, PushRefused
from .tokens import Identity, TokenError, TokenStore
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
    token: str = ""                       # from TOKEN_ENV; with no tokens file either: no authentication (loopback only)
    tokens_file: Path | None = None       # per-machine tokens (`token add`); read again when it changes
    push_landing: Path | None = None      # landing/ (pushes land in landing/claude/<machine>/...); None: no pushes
    max_push_bytes: int = 64 << 20        # a push chunk, decompressed
    tls_cert: str = ""
    tls_key: str = ""
    drain_factor: int = 4                 # an oversize body is read and dropped up to this many times the limit


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


IDENTITY_ATTRIBUTES = ("analytics.machine", "analytics.developer")


def stamp_identity(payload: dict, signal: str, identity: Identity | None) -> None:
    """Who sent the records is the token's to say: client-sent `analytics.*` identity attributes
    are dropped, and a per-machine token's machine and developer are set on every resource."""
    _, _, _, resource_key, *_ = ROUTES[f"/v1/{signal}"]
    for entry in payload.get(resource_key) or []:
        if not isinstance(entry, dict):
            continue
        resource = entry.setdefault("resource", {})
        if not isinstance(resource, dict):
            continue
        attributes = [a for a in resource.get("attributes") or [] if not (isinstance(a, dict) and a.get("key") in IDENTITY_ATTRIBUTES)]
        if identity is not None:
            attributes += [{"key": "analytics.machine", "value": {"stringValue": identity.machine}},
                           {"key": "analytics.developer", "value": {"stringValue": identity.developer}}]
        resource["attributes"] = attributes


def log(**fields) -> None:
    fields["ts"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    sys.stderr.write(json.dumps(fields, separators=(",", ":")) + "\n")
    sys.stderr.flush()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: exporters reuse connections
    timeout = 300  # seconds a connection may sit idle (or in its TLS handshake) before it is closed
    # An answer is two writes (headers, body): with Nagle's algorithm the body waited for the client's delayed
    # ACK, 40 ms a request (measured: a 1 GiB push took 28 s of which the receiver's work was 3 s).
    disable_nagle_algorithm = True
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

    def setup(self):
        super().setup()
        if isinstance(self.request, ssl.SSLSocket):  # the TLS handshake in this request's thread, not the accept loop
            try:
                self.request.do_handshake()
            except (ssl.SSLError, OSError):
                self.close_connection = True
                self.rfile = self.wfile = None

    def handle(self):
        if self.rfile is not None:
            super().handle()

    def finish(self):
        if self.rfile is not None:
            super().finish()

    def _authenticate(self) -> tuple[bool, Identity | None]:
        """(allowed, identity): a per-machine token names its machine; the single shared token and
        an open receiver (nothing configured, loopback only) name none."""
        header = self.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else ""
        config, tokens = self.server.config, self.server.tokens
        try:
            identity = tokens.lookup(token) if tokens else None
            per_machine = bool(tokens and tokens.configured())
        except TokenError as exc:  # a broken tokens file refuses everyone, and says so once per request in the log
            log(event="tokens_file_unreadable", error=str(exc))
            return False, None
        if identity is not None:
            return True, identity
        if config.token:
            return hmac.compare_digest(header, f"Bearer {config.token}"), None
        return not per_machine, None

    def do_GET(self):  # noqa: N802
        path = self.path.split("?")[0]
        if path == "/healthz":
            self._send(200, json.dumps({"status": "ok", "disk_ok": self.server.writer.disk_ok()}).encode())
        elif path == "/v1/push/whoami":
            allowed, identity = self._authenticate()
            if not allowed or identity is None:
                self._error(401, "pushes need a per-machine token (`analytics-assets token add` on the server)", JSON,
                            {"WWW-Authenticate": "Bearer"})
            else:
                self._send(200, json.dumps({"machine": identity.machine, "developer": identity.developer}).encode())
        else:
            self._send(404, b'{"message": "not found"}')

    def do_POST(self):  # noqa: N802
        started = time.perf_counter()
        status, records, rejected, size = self._handle()
        log(event="request", path=self.path.split("?")[0], status=status, records=records, rejected=rejected, bytes=size,
            ms=round((time.perf_counter() - started) * 1000, 2))

    def _handle(self) -> tuple[int, int, int, int]:
        path = self.path.split("?")[0]
        route = ROUTES.get(path)
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        config = self.server.config
        if length < 0:
            self.close_connection = True
            self._error(400, "a body needs a valid Content-Length", content_type)
            return 400, 0, 0, 0
        if route is None and path != "/v1/push":
            self._drain(length)
            self._error(404, "not found: POST /v1/traces, /v1/logs, /v1/metrics or /v1/push", content_type)
            return 404, 0, 0, length
        allowed, identity = self._authenticate()
        if not allowed:
            self._drain(length)
            self._error(401, "missing or wrong bearer token", content_type, {"WWW-Authenticate": "Bearer"})
            return 401, 0, 0, length
        if path == "/v1/push":
            return self._push(identity, length)
        if content_type not in (JSON, PROTOBUF):
            self._drain(length)
            self._error(415, f"unsupported content type {content_type or '(none)'}: use {JSON} or {PROTOBUF}", JSON)
            return 415, 0, 0, length
        if length > config.max_body_bytes:
            self._drain(length)  # read (up to a bound) before answering, so the client reads the 413, not a broken pipe
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
            stamp_identity(payload, signal_name, identity)
        except TooLarge as exc:
            self._error(413, str(exc), content_type)
            return 413, 0, 0, length
        except (DecodeError, orjson.JSONDecodeError, BadRequest, OSError, EOFError, *gzip_codec.ERRORS, UnicodeDecodeError) as exc:
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

    def _push(self, identity: Identity | None, length: int) -> tuple[int, int, int, int]:
        """One chunk of a pushed transcript (headers X-Push-Path, X-Push-Offset, X-Push-Tail, optional
        X-Push-Replace: 1; body gzip or plain bytes). 200 {"offset"} applied, 409 {"offset", "tail"}
        what the server holds instead."""
        config, landing = self.server.config, self.server.push_landing
        if landing is None or identity is None:
            self._drain(length)
            message = "this receiver takes no pushes" if landing is None else \
                "pushes need a per-machine token (`analytics-assets token add` on the server)"
            self._error(403, message, JSON)
            return 403, 0, 0, length
        if length > config.max_body_bytes:
            self._drain(length)
            self._error(413, f"chunk of {length} bytes over the {config.max_body_bytes}-byte limit: send smaller chunks", JSON)
            return 413, 0, 0, length
        body = self.rfile.read(length)
        try:
            target = landing.target(identity.machine, urllib.parse.unquote(self.headers.get("X-Push-Path", "")))
            try:
                offset = int(self.headers.get("X-Push-Offset", ""))
            except ValueError:
                raise PushRefused(400, "X-Push-Offset must be a byte offset") from None
            tail = self.headers.get("X-Push-Tail", "")
            if offset < 0 or len(tail) != 64:
                raise PushRefused(400, "X-Push-Offset must be >= 0 and X-Push-Tail a sha256 in hex")
            if (self.headers.get("Content-Encoding") or "").lower() == "gzip":
                body = _gunzip(body, config.max_push_bytes)
            if not self.server.writer.disk_ok():
                self._error(503, "landing disk nearly full; retry later", JSON, {"Retry-After": str(RETRY_AFTER_SECONDS)})
                return 503, 0, 0, length
            outcome = landing.append(target, offset, tail, body, replace=self.headers.get("X-Push-Replace") == "1")
        except PushRefused as exc:
            self._error(exc.status, str(exc), JSON)
            return exc.status, 0, 0, length
        except TooLarge as exc:
            self._error(413, str(exc), JSON)
            return 413, 0, 0, length
        except (OSError, EOFError, *gzip_codec.ERRORS) as exc:
            self._error(400, f"undecodable push chunk: {type(exc).__name__}", JSON)
            return 400, 0, 0, length
        status = 200 if outcome.applied else 409
        self._send(status, json.dumps({"offset": outcome.offset, "tail": outcome.tail}).encode())
        return status, len(body) if outcome.applied else 0, 0, length

    def _drain(self, length: int) -> None:
        """Read and drop a body we will not use, so the client gets to read our answer. Up to a bound
        (a few times the limit): beyond it, answer and close."""
        bound = self.server.config.max_body_bytes * self.server.config.drain_factor
        if length > bound:
            self.close_connection = True
            return
        remaining = length
        while remaining > 0:
            piece = self.rfile.read(min(remaining, 1 << 20))
            if not piece:
                self.close_connection = True
                return
            remaining -= len(piece)
        if length > self.server.config.max_body_bytes:
            self.close_connection = True


class TooLarge(ValueError):
    pass


def _gunzip(body: bytes, limit: int) -> bytes:
    """Decompress with a bound: a small gzip bomb must not take the receiver down."""
    decompressor = gzip_codec.decompressor()
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
        self.tokens = TokenStore(config.tokens_file) if config.tokens_file else None
        self.push_landing = PushLanding(config.push_landing) if config.push_landing else None
        super().__init__((config.host, config.port), Handler)
        if config.tls_cert:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(config.tls_cert, config.tls_key or None)
            self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    @property
    def url(self) -> str:
        return f"{'https' if self.config.tls_cert else 'http'}://{self.server_address[0]}:{self.server_address[1]}"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refusal(config: ReceiverConfig) -> str:
    """Why this configuration must not listen ("" when it may): anyone who reaches a non-loopback
    address could write the team's numbers, so it needs a token."""
    if is_loopback(config.host) or config.token:
        return ""
    try:
        if config.tokens_file and TokenStore(config.tokens_file).configured():
            return ""
    except TokenError as exc:
        return str(exc)
    return (f"refusing to listen on {config.host} with no token: add one with "
            f"`analytics-assets token add --developer NAME --machine NAME` (tokens file {config.tokens_file}), "
            f"or set {TOKEN_ENV}, or listen on 127.0.0.1 behind a reverse proxy")


def serve(config: ReceiverConfig) -> int:
    why = refusal(config)
    if why:
        print(f"analytics-assets receive: {why}", file=sys.stderr)
        return 2
    if config.tls_key and not config.tls_cert:
        print("analytics-assets receive: --tls-key needs --tls-cert", file=sys.stderr)
        return 2
    receiver = Receiver(config)
    stopping = threading.Event()

    def stop(signum, frame):  # SIGTERM / SIGINT: finish in-flight requests, close the files, exit 0
        if not stopping.is_set():
            stopping.set()
            log(event="shutdown", signal=signal.Signals(signum).name)
            threading.Thread(target=receiver.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log(event="listening", url=receiver.url, landing=str(config.landing), shared_token=bool(config.token),
        tokens_file=str(config.tokens_file or ""), pushes=bool(config.push_landing))
    print(f"listening on {receiver.url}", flush=True)  # the first stdout line: tests and scripts read the port here
    try:
        receiver.serve_forever(poll_interval=0.2)
    finally:
        receiver.server_close()
        receiver.writer.close()
        log(event="stopped", files_written=receiver.writer.files_written)
    return 0


def config_from_args(args, landing_dir: Path, tokens_file: Path) -> ReceiverConfig:
    return ReceiverConfig(
        host=args.host, port=args.port, landing=Path(args.landing) if args.landing else landing_dir / "otlp",
        max_body_bytes=int(args.max_body_mb * (1 << 20)), max_decompressed_bytes=int(args.max_body_mb * 4 * (1 << 20)),
        rotate_bytes=int(args.rotate_mb * (1 << 20)), rotate_seconds=args.rotate_seconds,
        min_free_bytes=int(args.min_free_mb * (1 << 20)), token=os.environ.get(TOKEN_ENV, ""),
        tokens_file=Path(args.tokens) if args.tokens else tokens_file, push_landing=landing_dir,
        tls_cert=args.tls_cert, tls_key=args.tls_key,
    )

