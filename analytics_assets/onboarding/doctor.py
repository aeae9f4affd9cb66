"""`analytics-assets doctor`: check the set-up and say what is missing, one line per check
(receiver reachable, landing folders writable, warehouse openable, GitHub token scopes, dbt
manifest present). Exit code 1 when a check fails. Never prints a token. No Dagster import."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import requests

from .. import project_config
from ..config import DBT_PROJECT_DIR, Settings

# What each Copilot endpoint family needs from a classic token (fine-grained tokens list no scopes).
NEEDED_SCOPES = {"read:org": "Copilot usage reports (organization)", "manage_billing:copilot": "Copilot seats"}


@dataclass
class Check:
    name: str
    ok: bool | None  # None: not applicable / skipped
    detail: str


def receiver(url: str) -> Check:
    try:
        answer = requests.get(f"{url.rstrip('/')}/healthz", timeout=3)
        body = answer.json()
    except (requests.RequestException, ValueError):
        return Check("receiver", False, f"nothing answers at {url}: start it with `analytics-assets receive`")
    if not body.get("disk_ok", True):
        return Check("receiver", False, f"{url} answers but its landing disk is nearly full (it answers 503)")
    return Check("receiver", True, f"{url} is up")


def writable(folder: Path) -> Check:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".doctor-{uuid.uuid4().hex}"
        probe.write_bytes(b"")
        probe.unlink()
        return Check(f"landing {folder.name}/", True, f"{folder} is writable")
    except OSError as exc:
        return Check(f"landing {folder.name}/", False, f"{folder} is not writable ({exc.strerror}): fix its permissions")


def warehouse(path: Path) -> Check:
    if not path.exists():
        return Check("warehouse", False, f"{path} does not exist yet: run `make run` (or materialize in `make ui`)")
    from .. import warehouse as wh

    try:
        con = wh.connect(path, read_only=True)
        tables = con.execute("SELECT count(*) FROM information_schema.tables").fetchone()[0]
        con.close()
        return Check("warehouse", True, f"{path} opens ({tables} tables)")
    except wh.WarehouseError as exc:
        return Check("warehouse", False, str(exc))


def github(config: project_config.CopilotConfig, api_url: str = "") -> Check:
    token = os.environ.get(config.token_env)
    if not config.configured:
        return Check("github token", None, "Copilot not configured (copilot.org / copilot.enterprise): skipped")
    if config.source == "folder":
        return Check("github token", None, "copilot.source is folder: no token needed")
    if not token:
        return Check("github token", False, f"{config.token_env} is not set: export a token (see `analytics-assets init`)")
    base = api_url or (f"{config.base_url.rstrip('/')}/api/v3" if config.base_url and not config.base_url.rstrip("/").endswith("/api/v3")
                       else config.base_url or "https://api.github.com")
    try:
        answer = requests.get(f"{base.rstrip('/')}/user", headers={"Authorization": f"token {token}",
                                                                  "Accept": "application/vnd.github+json"}, timeout=10)
    except requests.RequestException as exc:
        return Check("github token", False, f"GitHub unreachable at {base} ({type(exc).__name__})")
    if answer.status_code == 401:
        return Check("github token", False, f"GitHub rejects the token in {config.token_env} (401): create a new one")
    if "X-OAuth-Scopes" not in answer.headers:
        return Check("github token", True, "fine-grained token: GitHub lists no scopes; it needs \"Organization Copilot metrics\" "
                     "and \"GitHub Copilot Business\" (read)")
    scopes = {s.strip() for s in answer.headers["X-OAuth-Scopes"].split(",") if s.strip()}
    implied = scopes | ({"read:org"} if "admin:org" in scopes or "write:org" in scopes else set())
    missing = [f"{s} ({why})" for s, why in NEEDED_SCOPES.items() if s not in implied]
    if missing:
        return Check("github token", False, f"the token lacks {', '.join(missing)}")
    return Check("github token", True, f"scopes {', '.join(sorted(scopes))}")


def push_checks(home: Path, env: dict, now: float | None = None) -> list[Check]:
    """For a machine `init --push-to` set up: the server takes this token, when the last push
    succeeded, what waits to be pushed, and whether Claude Code deletes transcripts before that."""
    import json
    import time

    from ..push import client
    from ..transcripts.roots import own_transcript_folders
    from . import init_agents, push_setup

    saved = push_setup.load_client_config(home, env)
    if not saved.get("url"):
        return [Check("push", None, "not set up (`analytics-assets init --push-to URL --token-file F`): skipped")]
    now = now or time.time()
    url, token_file = saved["url"], saved.get("token_file", "")
    try:
        token = client.read_token(token_file)
    except client.PushError as exc:
        return [Check("push token", False, str(exc))]
    checks = []
    remote = client.Remote(url, token, retries=0)
    try:
        status, answer = remote.request("GET", "/v1/push/whoami")
        checks.append(Check("push receiver", status == 200, f"{url} takes this token as {answer.get('machine')} ({answer.get('developer')})"
                            if status == 200 else f"{url} refuses this token ({status}): ask for a new one (`token add` on the server)"))
    except client.PushError as exc:
        checks.append(Check("push receiver", False, str(exc)))
    finally:
        remote.close()
    state = client.State(client.default_state(remote.url), remote.url, token)
    if state.last_success:
        age = (now - state.last_success) / 3600
        checks.append(Check("last push", age < 48, f"{age:.1f} h ago" + ("" if age < 48 else ": is the hook or the timer running?")))
    else:
        checks.append(Check("last push", False, "never: run `analytics-assets push`"))
    folders = own_transcript_folders(env)
    files, size, oldest = client.waiting(state, folders)
    checks.append(Check("push waiting", True, f"{size / 1e6:,.1f} MB in {files} files wait for the next push" if files else "nothing waits"))
    settings_path = init_agents.claude_settings_path(home, env)
    try:
        keep = int(json.loads(settings_path.read_text()).get("cleanupPeriodDays", 30))
    except (OSError, ValueError, TypeError):
        keep = 30
    at_risk = oldest is not None and now - oldest > (keep - 3) * 86400
    checks.append(Check("claude cleanup", not at_risk,
                        f"Claude Code deletes transcripts after {keep} days" + (
                            ": some waiting ones are older than that allows, push now, and keep them longer with "
                            "`analytics-assets init --cleanup-days 365 ...`" if at_risk else "")))
    return checks


def manifest() -> Check:
    path = DBT_PROJECT_DIR / "target" / "manifest.json"
    return Check("dbt manifest", path.exists(), f"{path} present" if path.exists() else f"{path} missing: run `make install` (dbt parse)")


def run(settings: Settings, receiver_url: str, api_url: str = "", home: Path | None = None, env: dict | None = None
        ) -> tuple[int, list[Check]]:
    config = project_config.load(settings.config_path)
    checks = [receiver(receiver_url), *(writable(settings.landing_dir / d) for d in ("otlp", "claude", "codex")),
              warehouse(settings.duckdb_path), github(config.copilot, api_url), manifest(),
              *push_checks(home or Path.home(), os.environ if env is None else env)]
    for check in checks:
        mark = "ok  " if check.ok else "skip" if check.ok is None else "FAIL"
        print(f"[{mark}] {check.name:<16} {check.detail}")
    return (1 if any(c.ok is False for c in checks) else 0), checks
