"""Cursor's Admin API (https://api.cursor.com, team plans): HTTP Basic auth with the admin key (from the variable
`cursor.key_env` names, default CURSOR_API_KEY) as the user name; retries and errors as every vendor API's
(vendor_api.py). No Dagster import."""

from __future__ import annotations

import datetime as dt

from ..github_api import RetryPolicy
from ..vendor_api import MAX_PAGES, DaysRefused, VendorAccessError, VendorClient

BASE_URL = "https://api.cursor.com"
KEY_ENV = "CURSOR_API_KEY"
PAGE_SIZE = 500            # usage events per page
GRANT = ("an Admin API key of the team (cursor.com/dashboard -> Settings -> Admin API keys, created by a team admin; "
         "read-only is enough)")


class CursorAccessError(VendorAccessError):
    """A request Cursor refused or could not answer after the retries; the message says what to fix."""


class WindowRefused(CursorAccessError, DaysRefused):
    """Cursor answered 400/422 for a date window (older than it keeps, or too long): the days are reported, not fatal."""


def epoch_ms(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), dt.timezone.utc).timestamp() * 1000)


class CursorClient(VendorClient):
    vendor = "Cursor"
    grant = GRANT
    config_key = "cursor.source"
    access_error = CursorAccessError
    refused_error = WindowRefused

    def __init__(self, base_url: str = BASE_URL, key_env: str = KEY_ENV, policy: RetryPolicy | None = None):
        super().__init__(base_url, key_env, policy)

    def authenticate(self, session, key):
        session.auth = (key, "")  # Basic auth, the key as the user name

    def members(self) -> dict:
        return self.call("GET", "/teams/members", "the team members")

    def spend(self) -> list[dict]:
        """Every page of the current billing cycle's spend per member."""
        pages, page = [], 1
        while page <= MAX_PAGES:
            body = self.call("POST", "/teams/spend", f"the team spend (page {page})", {"page": page, "pageSize": 100})
            pages.append(body)
            if page >= int((body or {}).get("totalPages") or 1):
                break
            page += 1
        return pages

    def daily_usage(self, start: dt.date, end: dt.date) -> dict:
        """Daily usage of the days start..end (inclusive)."""
        return self.call("POST", "/teams/daily-usage-data", f"the daily usage of {start}..{end}",
                          {"startDate": epoch_ms(start), "endDate": epoch_ms(end + dt.timedelta(days=1)) - 1})

    def usage_events(self, start: dt.date, end: dt.date) -> list[dict]:
        """Every page of the usage events of the days start..end (inclusive)."""
        pages, page = [], 1
        while page <= MAX_PAGES:
            body = self.call("POST", "/teams/filtered-usage-events", f"the usage events of {start}..{end} (page {page})",
                              {"startDate": epoch_ms(start), "endDate": epoch_ms(end + dt.timedelta(days=1)) - 1,
                               "page": page, "pageSize": PAGE_SIZE})
            pages.append(body)
            if not ((body or {}).get("pagination") or {}).get("hasNextPage"):
                break
            page += 1
        return pages

