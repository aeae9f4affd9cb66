"""Where Cursor's responses come from: the Admin API, or a folder of the same response bodies (air-gapped sites, the
demo). No Dagster import. Every method answers [(label, body)], one per response (a page is a response).

Folder layout under `landing/cursor/`: `daily-usage/<YYYY-MM-DD>.json` and `usage-events/<YYYY-MM-DD>[-<page>].json`
(one usage day each), `members/<YYYY-MM-DD>.json` and `spend/<YYYY-MM-DD>.json` (snapshots; the newest is read).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Protocol

from ..vendor_records import read_response as _read
from .client import CursorClient


class CursorSource(Protocol):
    def daily_usage(self, start: dt.date, end: dt.date) -> list[tuple[str, object]]: ...
    def usage_events(self, start: dt.date, end: dt.date) -> list[tuple[str, object]]: ...
    def members(self) -> list[tuple[str, object]]: ...
    def spend(self) -> list[tuple[str, object]]: ...


class ApiSource:
    def __init__(self, client: CursorClient):
        self.client = client

    def daily_usage(self, start, end):
        return [(f"POST /teams/daily-usage-data {start}..{end}", self.client.daily_usage(start, end))]

    def usage_events(self, start, end):
        return [(f"POST /teams/filtered-usage-events {start}..{end} page {i}", body)
                for i, body in enumerate(self.client.usage_events(start, end), 1)]

    def members(self):
        return [("GET /teams/members", self.client.members())]

    def spend(self):
        return [(f"POST /teams/spend page {i}", body) for i, body in enumerate(self.client.spend(), 1)]


class FolderSource:
    def __init__(self, root: Path):
        self.root = Path(root)

    def _days(self, folder: str, start: dt.date, end: dt.date):
        out = []
        for path in sorted((self.root / folder).glob("*.json")):
            try:
                day = dt.date.fromisoformat(path.stem[:10])
            except ValueError:
                continue
            if start <= day <= end:
                out.append((str(path), _read(path)))
        return out

    def daily_usage(self, start, end):
        return self._days("daily-usage", start, end)

    def usage_events(self, start, end):
        return self._days("usage-events", start, end)

    def _latest(self, folder: str):
        files = sorted((self.root / folder).glob("*.json"))
        return [(str(files[-1]), _read(files[-1]))] if files else []

    def members(self):
        return self._latest("members")

    def spend(self):
        return self._latest("spend")
