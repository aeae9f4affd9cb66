"""Load test of the OTLP/HTTP receiver (loopback only, bounded): 4 concurrent client processes
POST batches of 512 spans for a fixed time, protobuf then JSON; prints accepted spans per second
and the p99 request latency. Target: >= 20k spans/s protobuf on 2 cores.

    make bench-receiver      (or: python tests/bench/bench_receiver.py --seconds 10)
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLIENTS = 4
SPANS_PER_REQUEST = 512


def request_bodies() -> tuple[bytes, bytes]:
    import orjson
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    from analytics_assets.receiver import otlp_json

    request = ExportTraceServiceRequest()
    rs = request.resource_spans.add()
    for key, value in (("service.name", "zen"), ("host.name", "bench-host")):
        kv = rs.resource.attributes.add()
        kv.key, kv.value.string_value = key, value
    ss = rs.scope_spans.add()
    ss.scope.name = "zen"
    for i in range(SPANS_PER_REQUEST):
        span = ss.spans.add()
        span.trace_id, span.span_id = (i + 1).to_bytes(16, "big"), (i + 1).to_bytes(8, "big")
        span.name = "zen.command"
        span.start_time_unix_nano = 1763600000000000000 + i
        span.end_time_unix_nano = span.start_time_unix_nano + 1_000_000
        for key, value in (("zen.command", "review"), ("zen.model", "claude-sonnet-4-5"), ("zen.status", "success")):
            a = span.attributes.add()
            a.key, a.value.string_value = key, value
        for key, value in (("zen.tokens.input", 1200), ("zen.tokens.output", 300), ("zen.duration_ms", 950)):
            a = span.attributes.add()
            a.key, a.value.int_value = key, value
    return request.SerializeToString(), orjson.dumps(otlp_json.traces(request))


def client(url: str, body: bytes, content_type: str, seconds: float, out: mp.Queue) -> None:
    import requests

    latencies, accepted = [], 0
    deadline = time.perf_counter() + seconds
    with requests.Session() as session:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            answer = session.post(url, data=body, headers={"Content-Type": content_type}, timeout=30)
            latencies.append(time.perf_counter() - started)
            if answer.status_code == 200:
                accepted += SPANS_PER_REQUEST
    out.put((accepted, latencies))


def run(fmt: str, body: bytes, content_type: str, seconds: float) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as landing:
        cli = str(Path(sys.executable).parent / "analytics-assets")
        proc = subprocess.Popen([cli, "receive", "--port", "0", "--landing", landing, "--min-free-mb", "64"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        url = proc.stdout.readline().split()[-1] + "/v1/traces"
        queue: mp.Queue = mp.Queue()
        started = time.perf_counter()
        workers = [mp.Process(target=client, args=(url, body, content_type, seconds, queue)) for _ in range(CLIENTS)]
        for w in workers:
            w.start()
        results = [queue.get() for _ in workers]
        elapsed = time.perf_counter() - started
        for w in workers:
            w.join()
        proc.terminate()
        proc.wait(timeout=20)
    accepted = sum(r[0] for r in results)
    latencies = sorted(x for r in results for x in r[1])
    p99 = latencies[int(0.99 * (len(latencies) - 1))] if latencies else float("nan")
    return accepted / elapsed, p99


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    protobuf, json_body = request_bodies()
    print(f"receiver load test: {CLIENTS} client processes, {SPANS_PER_REQUEST} spans per request, {args.seconds:.0f} s per format")
    for fmt, body, content_type in (("protobuf", protobuf, "application/x-protobuf"), ("json", json_body, "application/json")):
        rate, p99 = run(fmt, body, content_type, args.seconds)
        target = "  (target >= 20,000: " + ("met)" if rate >= 20_000 else "NOT met)") if fmt == "protobuf" else ""
        print(f"  {fmt:<9} {rate:>10,.0f} spans/s accepted   p99 {p99 * 1000:7.1f} ms   request {len(body):,} bytes{target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
