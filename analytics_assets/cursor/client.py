"""Cursor's Admin API (https://api.cursor.com, team plans): HTTP Basic auth with the admin key as the user name,
bounded retries on 429/5xx and dropped connections (Retry-After honoured), errors that say what to fix.
No Dagster import.

The key is read from the environment variable the config names (`cursor.key_env`, default CURSOR_API_KEY) when
the client is made and kept only in the session's auth; it is never logged, stored or put in an error message.
"""

from __future__ import annotations

import datetime as dt
import logging
import os

import requests

from ..github_api import RetryPolicy, _wait_hint

LOG = logging.getLogger(__name__)

BASE_URL = "https://api.cursor.com"
KEY_ENV = "CURSOR_API_KEY"
RETRY_STATUSES = {429, 500, 502, 503, 504}
PAGE_SIZE = 500            # usage events per page
MAX_PAGES = 10_000         # a bound, so a server that always says "next page" cannot loop us forever
GRANT = ("an Admin API key of the team (cursor.com/dashboard -> Settings -> Admin API keys, created by a team admin; "
         "read-only is enough)")


class CursorAccessError(RuntimeError):
    """A request Cursor refused or could not answer after the retries; the message says what to fix."""


class WindowRefused(CursorAccessError):
    """Cursor answered 400/422 for a date window (older than it keeps, or too long): the days are reported, not fatal."""


def epoch_ms(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), dt.timezone.utc).timestamp() * 1000)


class CursorClient:
    def __init__(self, base_url: str = BASE_URL, key_env: str = KEY_ENV, policy: RetryPolicy | None = None):
        key = os.environ.get(key_env, "")
        if not key:
            raise CursorAccessError(f"cursor.source is 'api' but {key_env} is not set: export {GRANT} in {key_env}, "
                                    "or use cursor.source: folder")
        self.base_url = base_url.rstrip("/")
        self.key_env = key_env
        self.policy = policy or RetryPolicy()
        self.session = requests.Session()
        self.session.auth = (key, "")
        self.session.headers["Accept"] = "application/json"
        self.retries = 0
        self.requests = 0

    def _call(self, method: str, path: str, what: str, body: dict | None = None):
        policy = self.policy
        for attempt in range(1, policy.attempts + 1):
            self.requests += 1
            try:
                response = self.session.request(method, self.base_url + path, json=body, timeout=(10, 60))
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt == policy.attempts:
                    raise CursorAccessError(f"Cursor is unreachable at {self.base_url} for {what}: {type(exc).__name__}") from None
                self.retries += 1
                policy.sleep(min(policy.max_wait, policy.backoff * 2 ** (attempt - 1)))
                continue
            if response.status_code in RETRY_STATUSES and attempt < policy.attempts:
                hint = _wait_hint(response, policy.clock())
                wait = min(policy.max_wait, hint if hint is not None else policy.backoff * 2 ** (attempt - 1))
                LOG.info("Cursor answered %s for %s; retry %d in %.1fs", response.status_code, what, attempt, wait)
                self.retries += 1
                policy.sleep(wait)
                continue
            break
        status = response.status_code
        if status == 200:
            try:
                return response.json()
            except ValueError:
                raise CursorAccessError(f"Cursor answered {what} with a body that is not JSON") from None
        detail = _detail(response)
        if status in (401, 403):
            raise CursorAccessError(f"Cursor refused {what} ({status}{detail}) with the key in {self.key_env}. "
                                    f"It needs {GRANT}.")
        if status in (400, 422):
            raise WindowRefused(f"Cursor refused {what} ({status}{detail})")
        raise CursorAccessError(f"Cursor could not answer {what} ({status}{detail}) after {policy.attempts} attempts")

    def members(self) -> dict:
        return self._call("GET", "/teams/members", "the team members")

    def spend(self) -> list[dict]:
        """Every page of the current billing cycle's spend per member."""
        pages, page = [], 1
        while page <= MAX_PAGES:
            body = self._call("POST", "/teams/spend", f"the team spend (page {page})", {"page": page, "pageSize": 100})
            pages.append(body)
            if page >= int((body or {}).get("totalPages") or 1):
                break
            page += 1
        return pages

    def daily_usage(self, start: dt.date, end: dt.date) -> dict:
        """Daily usage of the days start..end (inclusive)."""
        return self._call("POST", "/teams/daily-usage-data", f"the daily usage of {start}..{end}",
                          {"startDate": epoch_ms(start), "endDate": epoch_ms(end + dt.timedelta(days=1)) - 1})

    def usage_events(self, start: dt.date, end: dt.date) -> list[dict]:
        """Every page of the usage events of the days start..end (inclusive)."""
        pages, page = [], 1
        while page <= MAX_PAGES:
            body = self._call("POST", "/teams/filtered-usage-events", f"the usage events of {start}..{end} (page {page})",
                              {"startDate": epoch_ms(start), "endDate": epoch_ms(end + dt.timedelta(days=1)) - 1,
                               "page": page, "pageSize": PAGE_SIZE})
            pages.append(body)
            if not ((body or {}).get("pagination") or {}).get("hasNextPage"):
                break
            page += 1
        return pages


def _detail(response: requests.Response) -> str:
    """Cursor's own error text, short; never the request (which carries the key)."""
    try:
        body = response.json()
        text = body.get("error") or body.get("message") if isinstance(body, dict) else None
    except ValueError:
        text = None
    return f": {str(text)[:200]}" if text else ""
