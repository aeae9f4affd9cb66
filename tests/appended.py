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
