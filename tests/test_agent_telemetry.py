"""Gemini CLI's and GitHub Copilot CLI's own telemetry reach the agent marts through the receiver: Gemini CLI's OTel
log events (`gemini_cli.api_response`, the attributes of its telemetry docs) and Copilot CLI's OTLP spans (service
`github-copilot`, GenAI conventions: `chat <model>` and `invoke_agent` spans) are sent to a real receiver with a
per-machine token, ingested by the real OTLP assets, built by dbt. A session that also arrived as a file (a saved
chat, a file export) is counted once, from the file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import requests

from analytics_assets.config import DBT_PROJECT_DIR
from analytics_assets.copilot_cli.assets import COPILOT_CLI
from analytics_assets.gemini.assets import GEMINI
from analytics_assets.otlp.assets import OTLP
from analytics_assets.resources import WarehouseResource
from analytics_assets.transform.sources import ensure_sources
from tests.test_codex_telemetry import attrs
from tests.test_push import Receiver, add_token

START = 1_764_000_000_000_000_000  # 2025-11-24
GEMINI_ONLY, GEMINI_FILED = "3f1c0000-0000-4000-8000-000000000001", "3f1c0000-0000-4000-8000-000000000002"
COPILOT_ONLY, COPILOT_FILED = "c0b11070-0000-4000-8000-000000000001", "c0b11070-0000-4000-8000-000000000002"


def gemini_events(session: str, responses: list[tuple[int, int, int, int, int]]) -> dict:
    """(prompt, cached, output, thoughts, tool) per response, as Gemini CLI logs them (an api_request before each)."""
    common = dict(session__id=session, installation__id="inst-1", user__email="ada@example.com", model="gemini-2.5-pro",
                  prompt_id=f"{session}#1", auth_type="oauth-personal")
    records = []
    for i, (prompt, cached, out, thoughts, tool) in enumerate(responses):
        at = START + (i + 1) * 10_000_000_000
        records += [
            {"timeUnixNano": str(at), "body": {"stringValue": "API request to gemini-2.5-pro."},
             "attributes": attrs(event__name="gemini_cli.api_request", event__timestamp="2025-11-24T16:00:00Z", **common)},
            {"timeUnixNano": str(at + 1), "body": {"stringValue": "API response from gemini-2.5-pro. Status: 200."},
             "attributes": attrs(event__name="gemini_cli.api_response", event__timestamp="2025-11-24T16:00:01Z", status_code=200,
                                 duration_ms=1800, input_token_count=prompt, cached_content_token_count=cached,
                                 output_token_count=out, thoughts_token_count=thoughts, tool_token_count=tool,
                                 total_token_count=prompt + out + thoughts + tool, **common)},
        ]
    return {"resourceLogs": [{"resource": {"attributes": attrs(service__name="gemini-cli", session__id=session)},
                              "scopeLogs": [{"scope": {"name": "gemini-cli"}, "logRecords": records}]}]}


def copilot_spans(session: str, trace: str, chats: list[tuple[int, int, int, int, int]], summary: tuple | None) -> dict:
    """A trace of `invoke_agent` (with `summary` usage, or none) over `chat gpt-5` spans with (input incl. cache
    reads, output incl. reasoning, cache read, cache write, reasoning) each, and a tool span."""
    def span(span_id, name, at, **usage):
        extra = {f"gen_ai.usage.{k}": v for k, v in usage.items()}
        return {"traceId": trace, "spanId": span_id, "name": name, "kind": 3, "startTimeUnixNano": str(at),
                "endTimeUnixNano": str(at + 2_000_000_000),
                "attributes": attrs(**{"gen_ai.operation.name".replace(".", "__"): name.split()[0]},
                                    gen_ai__conversation__id=session, gen_ai__request__model="gpt-5", gen_ai__response__model="gpt-5-2025-08-07",
                                    **{k.replace(".", "__"): v for k, v in extra.items()})}
    spans = []
    for i, (t_in, out, read, write, reasoning) in enumerate(chats):
        spans.append(span(f"{i + 1:016x}", "chat gpt-5", START + i * 5_000_000_000, input_tokens=t_in, output_tokens=out,
                          **{"cache_read.input_tokens": read, "cache_write.input_tokens": write, "reasoning.output_tokens": reasoning}))
    spans.append({**span("00000000000000ee", "execute_tool bash", START + 1), "attributes": attrs(gen_ai__tool__name="bash")})
    usage = dict(zip(("input_tokens", "output_tokens"), summary)) if summary else {}
    spans.append(span("00000000000000ff", "invoke_agent copilot", START, **usage))
    return {"resourceSpans": [{"resource": {"attributes": attrs(service__name="github-copilot", service__version="0.0.365")},
                               "scopeSpans": [{"scope": {"name": "github.copilot"}, "spans": spans}]}]}


def test_gemini_and_copilot_cli_telemetry_reach_the_agent_marts_once(project_env, tmp_path):
    tokens = project_env["duckdb"].parent / "receiver_tokens.json"
    token = add_token(tokens, "Ada Lovelace", "ada-laptop", tmp_path).read_text()
    gemini_only = [(12_000, 8_000, 350, 420, 0), (5_000, 0, 100, 0, 30), (7_000, 3_000, 50, 10, 0)]
    copilot_chats = [(20_000, 900, 15_000, 0, 300), (26_000, 1_200, 24_000, 500, 0)]
    receiver = Receiver(project_env["landing"], tokens)
    try:
        for path, body in (("/v1/logs", gemini_events(GEMINI_ONLY, gemini_only)),
                           ("/v1/logs", gemini_events(GEMINI_FILED, [(1_000, 0, 10, 0, 0)])),
                           ("/v1/traces", copilot_spans(COPILOT_ONLY, "a" * 32, copilot_chats, (46_000, 2_100))),
                           ("/v1/traces", copilot_spans(COPILOT_ONLY, "b" * 32, [], (3_000, 40))),  # no chat span: the summary counts
                           ("/v1/traces", copilot_spans(COPILOT_FILED, "c" * 32, [(900, 9, 0, 0, 0)], None))):
            answer = requests.post(f"{receiver.url}{path}", json=body, timeout=10, headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200, answer.text
    finally:
        receiver.stop()
    # The second Gemini session's saved chat and the second Copilot session's file export were pushed too.
    chats = project_env["landing"] / "gemini" / "ada-laptop" / "tmp" / ("ab" * 32) / "chats"
    chats.mkdir(parents=True)
    (chats / "session-2025-11-24T16-00-3f1c0000.json").write_text(json.dumps({
        "sessionId": GEMINI_FILED, "projectHash": "ab" * 32, "startTime": "2025-11-24T16:00:00.000Z", "lastUpdated": "2025-11-24T16:05:00.000Z",
        "messages": [{"id": f"m{i}", "timestamp": f"2025-11-24T16:0{i}:00.000Z", "type": "gemini", "content": "(answer)", "model": "gemini-2.5-pro",
                      "tokens": {"input": 900, "output": 20, "cached": 0, "thoughts": 0, "tool": 0, "total": 920}} for i in range(2)]},
        indent=2))  # pretty-printed, as Gemini CLI saves a chat
    export = project_env["landing"] / "copilot_cli" / "ada-laptop" / "otel"
    export.mkdir(parents=True)
    (export / "copilot-otel-2025-11-24.jsonl").write_text(json.dumps({
        "type": "span", "traceId": "c" * 32, "spanId": "1" * 16, "name": "chat gpt-5", "endTime": [1_764_000_002, 0],
        "attributes": {"gen_ai.operation.name": "chat", "gen_ai.conversation.id": COPILOT_FILED, "gen_ai.response.model": "gpt-5",
                       "gen_ai.usage.input_tokens": 900, "gen_ai.usage.output_tokens": 9}}) + "\n")

    with dg.instance_for_test(temp_dir=str(project_env["dagster_home"])) as instance:
        for source in (OTLP, GEMINI, COPILOT_CLI):
            assert dg.materialize([source["landing"], source["asset"]], instance=instance, resources={"warehouse": WarehouseResource()}).success
    con = duckdb.connect(str(project_env["duckdb"]))
    try:
        ensure_sources(con, b"test-salt")
        assert con.execute("SELECT count(*) FROM raw.otlp_logs WHERE attributes LIKE '%ada@example.com%' "
                           "OR user_email = 'ada@example.com'").fetchone()[0] == 0  # the email is hashed
    finally:
        con.close()
    subprocess.run([str(Path(sys.executable).parent / "dbt"), "build", "--quiet", "--select", "+fct_agent_requests",
                    "--exclude", "resource_type:test", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
                   env={**os.environ}, check=True)
    con = duckdb.connect(str(project_env["duckdb"]), read_only=True)
    try:
        rows = con.execute("""SELECT agent, source, session_id, count(*), sum(input_tokens), sum(cache_read_tokens), sum(output_tokens),
                                     sum(reasoning_output_tokens), sum(cache_creation_tokens), min(machine), bool_and(cost_usd > 0)
                              FROM marts.fct_agent_requests GROUP BY ALL ORDER BY ALL""").fetchall()
    finally:
        con.close()
    gemini = (sum(p - c + t for p, c, _, _, t in gemini_only), sum(c for _, c, _, _, _ in gemini_only),
              sum(o + th for _, _, o, th, _ in gemini_only), sum(th for _, _, _, th, _ in gemini_only), 0)
    copilot = (sum(i - r for i, _, r, _, _ in copilot_chats) + 3_000, sum(r for _, _, r, _, _ in copilot_chats),
               sum(o for _, o, _, _, _ in copilot_chats) + 40, sum(x for *_, x in copilot_chats), sum(w for _, _, _, w, _ in copilot_chats))
    assert rows == [
        ("copilot_cli", "otel", COPILOT_ONLY, 3, *copilot, "ada-laptop", True),     # two chat spans + one summary-only trace
        ("copilot_cli", "otel_file", COPILOT_FILED, 1, 900, 0, 9, 0, 0, "ada-laptop", True),  # its spans sent too: counted from the file
        ("gemini_cli", "otel", GEMINI_ONLY, 3, *gemini, "ada-laptop", True),
        ("gemini_cli", "transcript", GEMINI_FILED, 2, 1_800, 0, 40, 0, 0, "ada-laptop", True),
    ]
