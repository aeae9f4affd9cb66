"""The OTLP/HTTP receiver as a real process on 127.0.0.1: the OpenTelemetry Python SDK's OTLP/HTTP
exporters (protobuf) and the official OTLP/JSON examples sent to it, then the real ingest;
errors by status code, partial success, SIGKILL after a 200, concurrent clients, SIGTERM."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import requests

from analytics_assets.otlp.assets import OTLP

CLI = str(Path(sys.executable).parent / "analytics-assets")
TRACE = "5b8efff798038103d269b633813fc60c"


class ReceiverProcess:
    def __init__(self, landing: Path, *args: str, env: dict | None = None):
        self.proc = subprocess.Popen([CLI, "receive", "--port", "0", "--landing", str(landing), *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
        line = self.proc.stdout.readline()
        assert line.startswith("listening on "), self.proc.stderr.read()
        self.url = line.split()[-1]

    def stop(self, sig=signal.SIGTERM) -> tuple[int, str]:
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=20)
        return code, self.proc.stderr.read()


@pytest.fixture
def receiver(project_env):
    started = ReceiverProcess(project_env["landing"] / "otlp")
    yield started
    if started.proc.poll() is None:
        started.stop()


def ingest(project_env) -> dg.ExecuteInProcessResult:
    with dg.instance_for_test(temp_dir=str(project_env["dagster_home"])) as instance:
        result = dg.materialize([OTLP["landing"], OTLP["asset"]], instance=instance, resources={
            "warehouse": __import__("analytics_assets.resources", fromlist=["WarehouseResource"]).WarehouseResource()})
        assert result.success
        return result


def query(project_env, sql: str):
    con = duckdb.connect(str(project_env["duckdb"]), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_sdk_exporters_and_official_json_examples_land_and_ingest(receiver, project_env, shared_fixtures):
    from opentelemetry._logs import LogRecord, SeverityNumber
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": "zen", "host.name": "test-host"})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{receiver.url}/v1/traces")))
    tracer = tracer_provider.get_tracer("zen.test")
    for i in range(25):
        with tracer.start_as_current_span(f"zen.command.{i % 3}") as span:
            span.set_attribute("zen.tokens.total", 100 + i)
            span.set_attribute("zen.command", f"cmd-{i % 3}")
    tracer_provider.force_flush()
    tracer_provider.shutdown()

    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(OTLPLogExporter(endpoint=f"{receiver.url}/v1/logs")))
    logger = logger_provider.get_logger("claude_code")
    for i in range(7):
        logger.emit(LogRecord(timestamp=time.time_ns(), body="claude_code.api_request", severity_number=SeverityNumber.INFO,
                              attributes={"event.name": "api_request", "model": "claude-sonnet-4-5", "input_tokens": i}))
    logger_provider.shutdown()

    reader = PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=f"{receiver.url}/v1/metrics"), export_interval_millis=3_600_000)
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
    counter = meter_provider.get_meter("claude_code").create_counter("claude_code.token.usage")
    for kind in ("input", "output", "cacheRead"):
        counter.add(10, {"type": kind})
    meter_provider.shutdown()  # one final export (a flush before it would send the cumulative points twice)

    # OTLP/JSON: the official example requests, as a client would POST them (one gzip-compressed).
    for path, name in (("/v1/traces", "trace.json"), ("/v1/logs", "logs.json"), ("/v1/metrics", "metrics.json")):
        body = (shared_fixtures / "otlp" / name).read_bytes()
        headers = {"Content-Type": "application/json"}
        if name == "logs.json":
            body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
        answer = requests.post(f"{receiver.url}{path}", data=body, headers=headers, timeout=10)
        assert answer.status_code == 200 and answer.json() == {}

    code, log = receiver.stop()
    assert code == 0 and '"event":"stopped"' in log and "claude_code.api_request" not in log  # no payloads in logs
    ingest(project_env)
    example_spans = sum(len(ss["spans"]) for rs in json.loads((shared_fixtures / "otlp" / "trace.json").read_text())["resourceSpans"]
                        for ss in rs["scopeSpans"])
    example_logs = sum(len(sl["logRecords"]) for rl in json.loads((shared_fixtures / "otlp" / "logs.json").read_text())["resourceLogs"]
                       for sl in rl["scopeLogs"])
    [(spans, tokens)] = query(project_env, "SELECT count(*), sum(zen_tokens_total) FROM raw.otlp_spans WHERE service_name = 'zen'")
    assert spans == 25 and tokens == sum(100 + i for i in range(25))
    assert query(project_env, "SELECT count(*) FROM raw.otlp_spans")[0][0] == 25 + example_spans
    assert query(project_env, "SELECT count(*) FROM raw.otlp_logs WHERE service_name = 'zen'")[0][0] == 7
    assert query(project_env, "SELECT count(*) FROM raw.otlp_logs")[0][0] == 7 + example_logs
    points = query(project_env, "SELECT count(*), sum(value_int) FROM raw.otlp_metric_points WHERE metric_name = 'claude_code.token.usage'")
    assert points == [(3, 30)]
    assert query(project_env, "SELECT count(*) FROM raw.quarantine")[0][0] == 0


def test_status_codes_and_partial_success(project_env):
    started = ReceiverProcess(project_env["landing"] / "otlp", "--max-body-mb", "0.01", env={"ANALYTICS_RECEIVER_TOKEN": "s3cret"})
    url, auth = started.url, {"Authorization": "Bearer s3cret"}
    post = lambda path, body, **headers: requests.post(f"{url}{path}", data=body, headers=headers, timeout=10)  # noqa: E731
    good = {"resourceSpans": [{"resource": {}, "scopeSpans": [{"scope": {}, "spans": [
        {"traceId": TRACE, "spanId": "eee19b7ec3c1b174", "name": "ok", "startTimeUnixNano": "1", "endTimeUnixNano": "2"},
        {"traceId": "nothex", "spanId": "eee19b7ec3c1b174", "name": "bad"}]}]}]}
    try:
        assert post("/v1/traces", json.dumps(good), **{"Content-Type": "application/json"}).status_code == 401
        assert post("/v1/traces", json.dumps(good), **{"Content-Type": "application/json", "Authorization": "Bearer nope"}).status_code == 401
        assert post("/v1/traces", "{", **{"Content-Type": "application/json"}, **auth).status_code == 400
        assert post("/v1/traces", b"\xff\x00garbage", **{"Content-Type": "application/x-protobuf"}, **auth).status_code == 400
        assert post("/v1/logs", b"not gzip", **{"Content-Type": "application/json", "Content-Encoding": "gzip"}, **auth).status_code == 400
        assert post("/v1/traces", "x" * 20_000, **{"Content-Type": "application/json"}, **auth).status_code == 413
        assert post("/v1/traces", "{}", **{"Content-Type": "text/plain"}, **auth).status_code == 415
        partial = post("/v1/traces", json.dumps(good), **{"Content-Type": "application/json"}, **auth)
        assert partial.status_code == 200
        assert partial.json()["partialSuccess"]["rejectedSpans"] == "1" and "traceId" in partial.json()["partialSuccess"]["errorMessage"]
        assert requests.get(f"{url}/healthz", timeout=5).json()["status"] == "ok"
    finally:
        code, log = started.stop()
    assert code == 0 and "s3cret" not in log
    lines = [json.loads(line) for p in (project_env["landing"] / "otlp").glob("receiver-traces-*.jsonl") for line in p.read_text().splitlines()]
    assert [s["name"] for line in lines for s in line["resourceSpans"][0]["scopeSpans"][0]["spans"]] == ["ok"]


def test_disk_nearly_full_answers_503_with_retry_after(project_env):
    started = ReceiverProcess(project_env["landing"] / "otlp", "--min-free-mb", str(10 ** 12))
    try:
        answer = requests.post(f"{started.url}/v1/traces", data="{}", headers={"Content-Type": "application/json"}, timeout=10)
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "30"
    finally:
        started.stop()


def test_sigkill_after_200_loses_nothing_and_ingests_once(receiver, project_env):
    request = {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "zen"}}]},
                                  "scopeSpans": [{"scope": {}, "spans": [
                                      {"traceId": TRACE, "spanId": f"{i:016x}", "name": "s", "startTimeUnixNano": "1763600000000000000",
                                       "endTimeUnixNano": "1763600001000000000"} for i in range(1, 41)]}]}]}
    answer = requests.post(f"{receiver.url}/v1/traces", data=json.dumps(request), headers={"Content-Type": "application/json"}, timeout=10)
    assert answer.status_code == 200
    receiver.proc.kill()  # SIGKILL: no shutdown, no close
    receiver.proc.wait(timeout=10)
    ingest(project_env)
    ingest(project_env)
    assert query(project_env, "SELECT count(*), count(DISTINCT span_id) FROM raw.otlp_spans") == [(40, 40)]


def test_concurrent_clients_all_land(receiver, project_env):
    def client(n: int, failures: list):
        with requests.Session() as session:
            for j in range(15):
                spans = [{"traceId": TRACE, "spanId": f"{n:04x}{j:04x}{k:08x}", "name": "c", "startTimeUnixNano": "1763600000000000000",
                          "endTimeUnixNano": "1763600000000000001"} for k in range(10)]
                body = json.dumps({"resourceSpans": [{"resource": {}, "scopeSpans": [{"scope": {}, "spans": spans}]}]})
                status = session.post(f"{receiver.url}/v1/traces", data=body, headers={"Content-Type": "application/json"}, timeout=10).status_code
                if status != 200:
                    failures.append(status)

    failures: list = []
    threads = [threading.Thread(target=client, args=(n, failures)) for n in range(1, 5)]  # an all-zero span id is invalid
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    receiver.stop()
    lines = [line for p in (project_env["landing"] / "otlp").glob("receiver-traces-*.jsonl") for line in p.read_text().splitlines()]
    assert len(lines) == 60 and all(json.loads(line) for line in lines)  # whole lines only, never interleaved
    ingest(project_env)
    assert query(project_env, "SELECT count(DISTINCT span_id) FROM raw.otlp_spans")[0][0] == 600
