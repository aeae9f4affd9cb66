"""One more Claude Code request at the end of a transcript: a copy of its last line under new ids
(tests and the freshness bench append it, then look for it downstream)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path


def append_request(transcript: Path, key: str, when: dt.datetime | None = None, model: str | None = None,
                   usage: dict | None = None, **fields) -> str:
    """Append a copy of the last line as request `req_<key>` (message `msg_<key>`), at `when` and of
    `model` if given, its usage updated by `usage` and its top-level fields by `fields` (gitBranch=...);
    returns the request id."""
    line = json.loads(transcript.read_text().splitlines()[-1])
    line["message"] = {**line["message"], "id": f"msg_{key}", **({"model": model} if model else {})}
    if usage:
        line["message"]["usage"] = {**line["message"]["usage"], **usage}
    line.update(fields)
    line["requestId"], line["uuid"] = f"req_{key}", str(uuid.uuid5(uuid.NAMESPACE_URL, key))
    if when is not None:
        line["timestamp"] = when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    with transcript.open("a") as f:
        f.write(json.dumps(line, separators=(",", ":")) + "\n")
    return line["requestId"]


def append_codex_turn(rollout: Path, when: dt.datetime) -> None:
    """One more Codex turn at the end of a rollout: a token_count event whose cumulative totals grow by
    the last turn's usage (the staging model counts a turn per growth of the totals)."""
    lines = rollout.read_text().splitlines()
    last = next(json.loads(line) for line in reversed(lines) if '"token_count"' in line)
    info = last["payload"]["info"]
    info["total_token_usage"] = {k: v + info["last_token_usage"].get(k, 0) for k, v in info["total_token_usage"].items()}
    last["timestamp"] = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
    with rollout.open("a") as f:
        f.write(json.dumps(last, separators=(",", ":")) + "\n")


def append_copilot_cli_call(otel_file: Path, key: str, when: dt.datetime) -> None:
    """One more Copilot CLI model call: a copy of the file's last chat span under new trace, span and
    response ids, at `when`."""
    line = next(json.loads(line) for line in reversed(otel_file.read_text().splitlines()) if '"chat ' in line)
    digest = uuid.uuid5(uuid.NAMESPACE_URL, key).hex
    line["traceId"], line["spanId"] = digest, digest[:16]
    line["attributes"]["gen_ai.response.id"] = f"resp_{key}"
    seconds = int(when.timestamp())
    line["startTime"], line["endTime"] = [seconds, 0], [seconds + 1, 0]
    with otel_file.open("a") as f:
        f.write(json.dumps(line, separators=(",", ":")) + "\n")


def append_opencode_message(database: Path, key: str, when: dt.datetime) -> None:
    """One more OpenCode assistant message: a copy of the database's last one under a new id, at `when`."""
    import sqlite3

    with sqlite3.connect(database) as con:
        session, data = con.execute("SELECT session_id, data FROM message ORDER BY rowid DESC LIMIT 1").fetchone()
        message = json.loads(data)
        millis = int(when.timestamp() * 1000)
        message["id"], message["time"] = f"msg_{key}", {"created": millis, "completed": millis + 500}
        con.execute("INSERT INTO message VALUES (?, ?, ?, ?)", [message["id"], session, millis, json.dumps(message)])
