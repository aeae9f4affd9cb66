"""Codex's OTel log events (the shapes of Codex's docs, [otel] section) reach the agent marts: sent
through a real receiver with a per-machine token, ingested by the real OTLP assets, built by dbt."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import requests

from analytics_assets.config import DBT_PROJECT_DIR
from analytics_assets.otlp.assets import OTLP
from analytics_assets.resources import WarehouseResource
from analytics_assets.transform.sources import ensure_sources
from tests.test_push import Receiver, add_token
from tests.parity_corpus import write_codex

START = 1_764_000_000_000_000_000  # 2025-11-24


def attrs(**values) -> list[dict]:
    out = []
    for key, value in values.items():
        key = key.replace("__", ".")
        out.append({"key": key, "value": {"intValue": str(value)} if isinstance(value, int) else {"stringValue": value}})
    return out


def codex_events(conversation: str, turns: list[tuple[int, int, int, int]], account: str = "acct-ada-123") -> dict:
    common = dict(conversation__id=conversation, app__version="0.46.0", auth_mode="ChatGPT", user__account_id=account,
                  terminal__type="vscode", model="gpt-5-codex", slug="gpt-5-codex")
    records = [{"timeUnixNano": str(START), "body": {"stringValue": "codex.user_prompt"},
                "attributes": attrs(event__name="codex.user_prompt", prompt_length=42, prompt="[REDACTED]", **common)}]
    for i, (t_in, cached, t_out, reasoning) in enumerate(turns):
        at = START + (i + 1) * 10_000_000_000
        records += [
            {"timeUnixNano": str(at), "body": {"stringValue": "codex.api_request"},
             "attributes": attrs(event__name="codex.api_request", attempt=1, duration_ms=900, **{"http.response.status_code": 200}, **common)},
            {"timeUnixNano": str(at + 1), "body": {"stringValue": "codex.sse_event"},
             "attributes": attrs(event__name="codex.sse_event", event__kind="response.output_text.delta", duration_ms=3, **common)},
            {"timeUnixNano": str(at + 2), "body": {"stringValue": "codex.sse_event"},
             "attributes": attrs(event__name="codex.sse_event", event__kind="response.completed", duration_ms=5,
                                 input_token_count=t_in, cached_token_count=cached, output_token_count=t_out,
                                 reasoning_token_count=reasoning, tool_token_count=0, **common)},
            {"timeUnixNano": str(at + 3), "body": {"stringValue": "codex.tool_result"},
             "attributes": attrs(event__name="codex.tool_result", tool_name="shell", call_id=f"call_{i}", arguments="ls",
                                 duration_ms=12, success="true", output="...", **common)},
        ]
    return {"resourceLogs": [{"resource": {"attributes": attrs(service__name="codex_cli_rs", service__version="0.46.0")},
                              "scopeLogs": [{"scope": {"name": "codex_otel"}, "logRecords": records}]}]}


def test_codex_telemetry_turns_reach_the_agent_marts_once(project_env, tmp_path):
    tokens = project_env["duckdb"].parent / "receiver_tokens.json"
    token = add_token(tokens, "Ada Lovelace", "ada-laptop", tmp_path).read_text()
    telemetry_only = [(12_000, 8_000, 700, 300), (15_500, 12_000, 1_100, 0), (9_000, 0, 250, 40)]
    also_in_a_file = [(5_000, 1_000, 100, 10)]
    receiver = Receiver(project_env["landing"], tokens)
    try:
        for conversation, turns in (("c0ffee00-0000-4000-8000-000000000001", telemetry_only),
                                    ("c0ffee00-0000-4000-8000-000000000002", also_in_a_file)):
            answer = requests.post(f"{receiver.url}/v1/logs", json=codex_events(conversation, turns), timeout=10,
                                   headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200, answer.text
    finally:
        receiver.stop()
    # The second conversation's session file was pushed too: it is counted from the file, once.
    machine = project_env["landing"] / "codex" / "ada-laptop"
    file_turns = write_codex(machine, ["gpt-5-codex"], days=1, turns=3, seed=4)
    session_file = next((machine / "sessions").rglob("*.jsonl"))
    session_id = "00040000-0000-4000-9000-000000000000"  # write_codex's id for seed 4, its first model and day
    assert session_id in session_file.name
    renamed = session_file.with_name(session_file.name.replace(session_id, "c0ffee00-0000-4000-8000-000000000002"))
    renamed.write_text(session_file.read_text().replace(session_id, "c0ffee00-0000-4000-8000-000000000002"))
    session_file.unlink()

    with dg.instance_for_test(temp_dir=str(project_env["dagster_home"])) as instance:
        assert dg.materialize([OTLP["landing"], OTLP["asset"]], instance=instance, resources={"warehouse": WarehouseResource()}).success
    from analytics_assets.transcripts.assets import CODEX as codex  # the real Codex ingest too

    with dg.instance_for_test(temp_dir=str(project_env["dagster_home"])) as instance:
        assert dg.materialize([codex["landing"], codex["asset"]], instance=instance, resources={"warehouse": WarehouseResource()}).success
    con = duckdb.connect(str(project_env["duckdb"]))
    try:
        ensure_sources(con, b"test-salt")
        assert con.execute("SELECT count(*) FROM raw.otlp_logs WHERE attributes LIKE '%acct-ada-123%'").fetchone()[0] == 0
    finally:
        con.close()
    subprocess.run([str(Path(sys.executable).parent / "dbt"), "build", "--quiet", "--select", "+fct_agent_requests",
                    "--exclude", "resource_type:test", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
                   env={**os.environ}, check=True)
    con = duckdb.connect(str(project_env["duckdb"]), read_only=True)
    try:
        rows = con.execute("""SELECT source, session_id, count(*), sum(input_tokens), sum(cache_read_tokens), sum(output_tokens),
                                     sum(reasoning_output_tokens), min(machine), count(DISTINCT user_account_hash)
                              FROM marts.fct_agent_requests WHERE agent = 'codex' GROUP BY ALL ORDER BY ALL""").fetchall()
    finally:
        con.close()
    expected = (sum(t[0] - t[1] for t in telemetry_only), sum(t[1] for t in telemetry_only),
                sum(t[2] for t in telemetry_only), sum(t[3] for t in telemetry_only))
    assert rows[0] == ("otel", "c0ffee00-0000-4000-8000-000000000001", 3, *expected, "ada-laptop", 1)
    assert [r[:3] for r in rows[1:]] == [("transcript", "c0ffee00-0000-4000-8000-000000000002", file_turns)]
