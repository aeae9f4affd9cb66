"""Anthropic's Admin API, Claude Code usage report (https://api.anthropic.com): the Admin key (from the variable
`anthropic.admin_key_env` names, default ANTHROPIC_ADMIN_KEY) in `x-api-key`; retries and errors as every vendor
API's (vendor_api.py). No Dagster import.

`GET /v1/organizations/usage_report/claude_code?starting_at=YYYY-MM-DD&limit=N&page=CURSOR` answers one UTC day
per request, paginated by an opaque cursor (`has_more`, `next_page`)."""

from __future__ import annotations

import datetime as dt

from ..github_api import RetryPolicy
from ..vendor_api import MAX_PAGES, DaysRefused, VendorAccessError, VendorClient

BASE_URL = "https://api.anthropic.com"
KEY_ENV = "ANTHROPIC_ADMIN_KEY"
API_VERSION = "2023-06-01"
PAGE_SIZE = 1000  # the most the report answers per page
REPORT = "/v1/organizations/usage_report/claude_code"
GRANT = ("an Admin API key of the organization (sk-ant-admin..., Claude Console -> Settings -> Admin keys, made by an "
         "organization admin; an ordinary API key is refused)")


class AnthropicAccessError(VendorAccessError):
    """A request Anthropic refused or could not answer after the retries; the message says what to fix."""


class DayRefused(AnthropicAccessError, DaysRefused):
    """Anthropic answered 400/422 for a day (older than the report keeps, or not yet aggregated): reported, not fatal."""


class AnthropicClient(VendorClient):
    vendor = "Anthropic"
    grant = GRANT
    config_key = "anthropic.source"
    access_error = AnthropicAccessError
    refused_error = DayRefused

    def __init__(self, base_url: str = BASE_URL, key_env: str = KEY_ENV, policy: RetryPolicy | None = None):
        super().__init__(base_url, key_env, policy)

    def authenticate(self, session, key):
        session.headers["x-api-key"] = key
        session.headers["anthropic-version"] = API_VERSION
        session.headers["User-Agent"] = "agent-analytics (claude code usage report)"

    def claude_code_day(self, day: dt.date) -> list[dict]:
        """Every page of the Claude Code usage report of one UTC day."""
        pages, cursor, seen = [], None, set()
        while len(pages) < MAX_PAGES:
            params = {"starting_at": day.isoformat(), "limit": PAGE_SIZE, **({"page": cursor} if cursor else {})}
            body = self.call("GET", REPORT, f"the Claude Code usage of {day} (page {len(pages) + 1})", params=params)
            pages.append(body)
            cursor = (body or {}).get("next_page") if isinstance(body, dict) and body.get("has_more") else None
            if not cursor or cursor in seen:  # a cursor served twice would loop: the pages so far are the answer
                break
            seen.add(cursor)
        return pages
