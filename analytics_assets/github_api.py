"""The GitHub REST API through github3.py: one session with the token, the API version header,
bounded retries (rate limits, 5xx, dropped connections) and errors that say what to fix.

github3.py owns the session and pagination; this module adds what the Copilot and commit
sources need on top: the report endpoints (which answer with signed `download_links`), the
download itself (a plain GET without our token: the links are signed and point elsewhere), and
re-requesting links that expired. No Dagster import.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import logging
import os
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import github3
import requests
from github3 import exceptions as gh_errors
from github3.session import GitHubSession

LOG = logging.getLogger(__name__)

API_VERSION = "2022-11-28"
TOKEN_ENV = "GITHUB_TOKEN"
RETRY_STATUSES = {429, 500, 502, 503, 504}
LEGACY_METRICS_CLOSED = dt.date(2026, 4, 2)

# What each endpoint family needs, for the 401/403 message.
PERMISSIONS = {
    "reports": 'a fine-grained token with "Organization Copilot metrics" (read) or "Enterprise Copilot metrics" (read), '
    "or a classic token with read:org (organizations) / read:enterprise (enterprises)",
    "seats": 'a fine-grained token with "GitHub Copilot Business" (read), or a classic token with manage_billing:copilot or read:org',
    "commits": 'a token with "Contents" (read) on the repository (classic: repo)',
}


class GitHubAccessError(RuntimeError):
    """A request GitHub refused or could not answer after the retries; the message says what to fix."""


class LegacyEndpointError(GitHubAccessError):
    pass


@dataclass
class RetryPolicy:
    attempts: int = 5            # tries per request, first included
    backoff: float = 1.0         # seconds, doubled per retry when the server gives no hint
    max_wait: float = 120.0      # never sleep longer than this for one retry
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time  # the wall clock a reset time is compared with


def _wait_hint(response: requests.Response, now: float) -> float | None:
    """Seconds the server asked us to wait: Retry-After (seconds or HTTP date), or the rate
    limit's reset time when the limit is spent."""
    after = response.headers.get("Retry-After")
    if after:
        if after.strip().isdigit():
            return float(after)
        parsed = email.utils.parsedate_to_datetime(after)
        if parsed is not None:
            return max(0.0, parsed.timestamp() - now)
    if response.headers.get("X-RateLimit-Remaining") == "0" and response.headers.get("X-RateLimit-Reset", "").isdigit():
        return max(0.0, float(response.headers["X-RateLimit-Reset"]) - now)
    return None


def _should_retry(response: requests.Response) -> bool:
    if response.status_code in RETRY_STATUSES:
        return True
    # GitHub answers a spent primary or secondary rate limit with 403 + these headers.
    return response.status_code == 403 and (
        response.headers.get("X-RateLimit-Remaining") == "0" or "Retry-After" in response.headers
    )


class RetryingSession(GitHubSession):
    """github3's session with bounded retries: every call github3 makes (pagination included)
    goes through `request`, so one loop covers them all."""

    def __init__(self, policy: RetryPolicy | None = None):
        super().__init__(default_connect_timeout=10, default_read_timeout=60)
        self.policy = policy or RetryPolicy()
        self.retries = 0  # how many retries this session made (metadata, tests)

    def request(self, *args, **kwargs):
        policy = self.policy
        for attempt in range(1, policy.attempts + 1):
            try:
                response = super().request(*args, **kwargs)
            except (requests.ConnectionError, requests.Timeout):
                if attempt == policy.attempts:
                    raise
                self.retries += 1
                policy.sleep(min(policy.max_wait, policy.backoff * 2 ** (attempt - 1)))
                continue
            if attempt == policy.attempts or not _should_retry(response):
                return response
            hint = _wait_hint(response, policy.clock())
            wait = min(policy.max_wait, hint if hint is not None else policy.backoff * 2 ** (attempt - 1))
            LOG.info("GitHub answered %s; retry %d in %.1fs", response.status_code, attempt, wait)
            self.retries += 1
            policy.sleep(wait)
        raise AssertionError("unreachable")


def _message(exc: gh_errors.GitHubError) -> str:
    try:
        return exc.msg or str(exc)
    except Exception:  # a body that is not JSON
        return str(exc)


class GitHubClient:
    """A github3.py client for github.com or GitHub Enterprise Server.

    `base_url`: empty for github.com; a GHES host (`https://ghe.example.com`, the API is then at
    `/api/v3`) or an API root ending in `/api/v3`. The token is read from the environment variable
    named by `token_env` and never stored anywhere else.
    """

    def __init__(self, base_url: str = "", token_env: str = TOKEN_ENV, api_version: str = API_VERSION,
                 policy: RetryPolicy | None = None):
        token = os.environ.get(token_env, "")
        self.session = RetryingSession(policy)
        url = base_url.rstrip("/")
        if url and url != "https://api.github.com":
            host = url[: -len("/api/v3")] if url.endswith("/api/v3") else url
            self.gh = github3.GitHubEnterprise(host, token=token, session=self.session)
        else:
            self.gh = github3.GitHub(token=token, session=self.session)
        self.session.headers["X-GitHub-Api-Version"] = api_version
        self.session.headers["Accept"] = "application/vnd.github+json"
        self.has_token = bool(token)
        self.token_env = token_env
        # Download links are signed; they get a session of their own without our token.
        self.downloads = RetryingSession(self.session.policy)
        self.downloads.headers.pop("Content-Type", None)

    @property
    def api_root(self) -> str:
        return self.session.base_url

    @property
    def retries(self) -> int:
        return self.session.retries + self.downloads.retries

    def _fail(self, exc: gh_errors.GitHubError, what: str, family: str) -> GitHubAccessError:
        code = getattr(exc, "code", None)
        detail = _message(exc)
        if code in (401, 403):
            token = f"the token in {self.token_env}" if self.has_token else f"no token ({self.token_env} is not set)"
            return GitHubAccessError(
                f"GitHub refused {what} ({code}: {detail}) with {token}. It needs {PERMISSIONS[family]}."
            )
        if code == 404:
            return GitHubAccessError(
                f"GitHub has no {what} (404: {detail}). Check the organization / enterprise / repository name, "
                f"that the feature is enabled for it, and the API base URL ({self.api_root})."
            )
        return GitHubAccessError(f"GitHub could not answer {what} ({code}: {detail}) after {self.session.policy.attempts} attempts.")

    @contextlib.contextmanager
    def _explained(self, what: str, family: str) -> Iterator[None]:
        """github3's errors as GitHubAccessError saying what to fix."""
        try:
            yield
        except gh_errors.GitHubError as exc:
            raise self._fail(exc, what, family) from exc
        except gh_errors.TransportError as exc:
            raise GitHubAccessError(f"GitHub is unreachable at {self.api_root} for {what}: {exc}") from exc

    def get_json(self, parts: list[str], what: str, family: str, params: dict | None = None):
        with self._explained(what, family):
            return self.gh._json(self.gh._get(self.gh._build_url(*parts), params=params), 200, include_cache_info=False)

    def paginate(self, parts: list[str], what: str, family: str, list_key: str | None = None,
                 params: dict | None = None) -> Iterator[dict]:
        """Every item of a paginated endpoint (github3 follows the Link headers, 100 per page)."""
        with self._explained(what, family):
            yield from self.gh._iter(-1, self.gh._build_url(*parts), dict, params=dict(params or {}), list_key=list_key)

    def download(self, url: str) -> requests.Response:
        """GET a signed download link (relative links resolve against the API host)."""
        if url.startswith("/"):
            root = requests.compat.urlparse(self.api_root)
            url = f"{root.scheme}://{root.netloc}{url}"
        return self.downloads.get(url)


def check_not_legacy(endpoint: str) -> None:
    """The legacy metrics API (`/orgs/{org}/copilot/metrics`, `/enterprises/{e}/copilot/metrics`)
    answers 404 since it closed; a config that still names it gets the replacement spelled out."""
    path = endpoint.rstrip("/")
    if path.endswith("/copilot/metrics") or "/copilot/metrics?" in path or path.endswith("/copilot/usage"):
        raise LegacyEndpointError(
            f"{endpoint}: the legacy Copilot metrics API was closed on {LEGACY_METRICS_CLOSED.isoformat()}. "
            "Use the usage-metrics reports API instead: /orgs/{org}/copilot/metrics/reports/organization-1-day?day=YYYY-MM-DD "
            "and .../users-1-day?day=YYYY-MM-DD (or /enterprises/{enterprise}/copilot/metrics/reports/...) — "
            "in analytics.yaml set copilot.org or copilot.enterprise and remove copilot.endpoint."
        )
