"""Rules every vendor API's records are read by (pure: no Dagster, no HTTP). A record that lacks a field its row
needs, carries a count that is not a number (a number written as text included: the APIs send numbers, so text
means something upstream changed) or a negative count becomes a quarantine row with the reason; nothing is
dropped silently. Emails are lowered (the config's are too) and then hashed or kept by the caller's privacy
setting."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from .ingest.runner import QUARANTINE_SCHEMA

RAW_TEXT_LIMIT = 2000


class Bad(ValueError):
    """A record that cannot become a row; the message is the quarantine reason."""


def count(record: dict, key: str, required: bool = True, number=int):
    value = record.get(key)
    if value is None:
        if required:
            raise Bad(f"{key} is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Bad(f"{key} is {type(value).__name__} {str(value)[:40]!r}, not a number")
    if value < 0:
        raise Bad(f"{key} is negative ({value})")
    if number is int and value != int(value):
        raise Bad(f"{key} is not a whole number ({value})")
    return number(value)


def email(record: dict, key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or "@" not in value:
        raise Bad(f"{key} is missing" if value in (None, "") else f"{key} is not an email address")
    return value.strip().lower()


def text(record: dict, key: str, required: bool = False) -> str | None:
    value = record.get(key)
    if value is None or value == "":
        if required:
            raise Bad(f"{key} is missing")
        return None
    return str(value)


def flag(record: dict, key: str) -> bool | None:
    value = record.get(key)
    return value if isinstance(value, bool) else None


def obj(record: dict, key: str, required: bool = True) -> dict:
    """A nested object of the record ({} when absent and not required)."""
    value = record.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise Bad(f"{key} is missing" if value is None else f"{key} is not an object")
    return value


def read_response(path: Path):
    """A response body saved as a file (folder mode); a file that is not JSON becomes a body its parser quarantines."""
    try:
        return json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except ValueError as exc:
        return {"__not_json__": f"{path.name}: {exc}"}


class Records:
    """The records of one response and the quarantine rows of what could not be read, for one signal."""

    def __init__(self, signal: str, label: str):
        self.signal, self.label, self.quarantine = signal, label, []

    def of(self, body, key: str) -> list:
        if isinstance(body, dict) and isinstance(body.get(key), list):
            return body[key]
        self.bad(0, f"the response has no {key} list", body)
        return []

    def bad(self, offset: int, reason: str, record) -> None:
        self.quarantine.append({"source_file": self.label, "source_offset": offset, "signal": self.signal, "reason": reason,
                                "raw_text": json.dumps(record, default=str)[:RAW_TEXT_LIMIT]})

    def frames(self, rows: list[dict], schema: dict) -> tuple[pl.DataFrame, pl.DataFrame]:
        return (pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema),
                pl.DataFrame(self.quarantine, schema=QUARANTINE_SCHEMA) if self.quarantine else pl.DataFrame(schema=QUARANTINE_SCHEMA))
