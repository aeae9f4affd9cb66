"""Where the Claude Code usage report comes from: Anthropic's Admin API, or a folder of the same response bodies
(air-gapped sites, the demo). No Dagster import. `claude_code(day)` answers [(label, body)], one per page.

Folder layout under `landing/anthropic/`: `claude_code/<YYYY-MM-DD>[-<page>].json`, one usage day each.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Protocol

from ..vendor_records import read_response
from .client import AnthropicClient


class AnthropicSource(Protocol):
    def claude_code(self, day: dt.date) -> list[tuple[str, object]]: ...


class ApiSource:
    def __init__(self, client: AnthropicClient):
        self.client = client

    def claude_code(self, day):
        return [(f"GET usage_report/claude_code {day} page {i}", body)
                for i, body in enumerate(self.client.claude_code_day(day), 1)]


class FolderSource:
    def __init__(self, root: Path):
        self.root = Path(root)

    def claude_code(self, day):
        return [(str(path), read_response(path)) for path in sorted((self.root / "claude_code").glob(f"{day.isoformat()}*.json"))]
