"""What the vendors' admin APIs (Cursor, Anthropic) share: a key read from the environment variable the config names,
bounded retries on 429/5xx and dropped connections (Retry-After honoured), and errors that say what to fix.
No Dagster import.

The key is read when the client is made and kept only in the session; it is never logged, stored or put in an
error message (a vendor's own error text is quoted, short, never the request).
"""

from __future__ import annotations

import logging
import os

import requests

from .github_api import RetryPolicy, _wait_hint

LOG = logging.getLogger(__name__)
RETRY_STATUSES = {429, 500, 502, 503, 504, 529}  # 529: Anthropic's "overloaded"
MAX_PAGES = 10_000  # a bound, so a server that always says "next page" cannot loop us forever


class VendorAccessError(RuntimeError):
    """A request the vendor refused or could not answer after the retries; the message says what to fix."""


class DaysRefused(VendorAccessError):
    """The vendor answered 400/422 for a date range (older than it keeps, or too long): reported, not fatal."""


class VendorClient:
    """One vendor's JSON API. Subclasses name the vendor, what a key must grant, and how the key is sent."""

    vendor = "the vendor"
    grant = "an admin API key"
    config_key = "source"
    access_error: type[VendorAccessError] = VendorAccessError
    refused_error: type[DaysRefused] = DaysRefused

    def __init__(self, base_url: str, key_env: str, policy: RetryPolicy | None = None):
        key = os.environ.get(key_env, "")
        if not key:
            raise self.access_error(f"{self.config_key} is 'api' but {key_env} is not set: export {self.grant} in "
                                    f"{key_env}, or use {self.config_key}: folder")
        self.base_url = base_url.rstrip("/")
        self.key_env = key_env
        self.policy = policy or RetryPolicy()
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json"
        self.authenticate(self.session, key)
        self.retries = 0
        self.requests = 0

    def authenticate(self, session: requests.Session, key: str) -> None:
        raise NotImplementedError

    def call(self, method: str, path: str, what: str, body: dict | None = None, params: dict | None = None):
        policy = self.policy
        for attempt in range(1, policy.attempts + 1):
            self.requests += 1
            try:
                response = self.session.request(method, self.base_url + path, json=body, params=params, timeout=(10, 60))
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt == policy.attempts:
                    raise self.access_error(f"{self.vendor} is unreachable at {self.base_url} for {what}: "
                                            f"{type(exc).__name__}") from None
                self.retries += 1
                policy.sleep(min(policy.max_wait, policy.backoff * 2 ** (attempt - 1)))
                continue
            if response.status_code in RETRY_STATUSES and attempt < policy.attempts:
                hint = _wait_hint(response, policy.clock())
                wait = min(policy.max_wait, hint if hint is not None else policy.backoff * 2 ** (attempt - 1))
                LOG.info("%s answered %s for %s; retry %d in %.1fs", self.vendor, response.status_code, what, attempt, wait)
                self.retries += 1
                policy.sleep(wait)
                continue
            break
        status = response.status_code
        if status == 200:
            try:
                return response.json()
            except ValueError:
                raise self.access_error(f"{self.vendor} answered {what} with a body that is not JSON") from None
        detail = _detail(response)
        if status in (401, 403):
            raise self.access_error(f"{self.vendor} refused {what} ({status}{detail}) with the key in {self.key_env}. "
                                    f"It needs {self.grant}.")
        if status in (400, 422):
            raise self.refused_error(f"{self.vendor} refused {what} ({status}{detail})")
        raise self.access_error(f"{self.vendor} could not answer {what} ({status}{detail}) after {policy.attempts} attempts")


def _detail(response: requests.Response) -> str:
    """The vendor's own error text, short; never the request (which carries the key)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    text = None
    if isinstance(body, dict):
        error = body.get("error")
        text = error.get("message") if isinstance(error, dict) else error or body.get("message")
    return f": {str(text)[:200]}" if text else ""
