"""`analytics-assets init`: point this machine's agents at the receiver, idempotently.

- Claude Code: its settings file's `env` block (CLAUDE_CODE_ENABLE_TELEMETRY=1, OTLP logs and
  metrics over http/protobuf to the receiver). Prompt logging is left off (OTEL_LOG_USER_PROMPTS
  is never set).
- Codex: `[otel]` in ~/.codex/config.toml (OTLP/HTTP log exporter to the receiver,
  log_user_prompt = false), edited with tomlkit so comments and other settings survive.
- Gemini CLI (when ~/.gemini exists): the `telemetry` block of its settings.json (OTLP/HTTP to the receiver,
  target local, prompt logging off). With `--push-to` it is left alone: Gemini CLI sends no auth header from its
  settings, and its saved chats are pushed anyway.
- The project config: transcript roots (this machine's folders are read by default) and the git
  repositories to follow.
- Copilot: printed instructions (a token is a secret: it is never written by init).
- With `--push-to URL --token-file F` (push_setup.py): the agents send to the team server instead, Claude
  Code pushes transcripts when a session ends, a timer pushes hourly, `push` and `doctor` know the server.
  Codex cannot read its OTLP header from a file: that one header holds the token (masked in the diff).

Only the keys above are touched; a file that changes is backed up first (`<name>.bak-<time>`).
`--dry-run` prints the unified diff of every change and writes nothing; a second run changes
nothing. No Dagster import.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import tomlkit
import yaml

RECEIVER = "http://127.0.0.1:4318"


@dataclass
class Change:
    path: Path
    before: str
    after: str
    mode: int | None = None  # file mode to set when written (a script: 0o700)

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self) -> str:
        return "".join(difflib.unified_diff(self.before.splitlines(keepends=True), self.after.splitlines(keepends=True),
                                            fromfile=f"{self.path} (now)", tofile=f"{self.path} (after init)"))


def claude_settings_path(home: Path, env: dict) -> Path:
    roots = [p for p in (env.get("CLAUDE_CONFIG_DIR") or "").split(",") if p.strip()]
    return (Path(roots[0]).expanduser() if roots else home / ".claude") / "settings.json"


def codex_config_path(home: Path, env: dict) -> Path:
    return (Path(env["CODEX_HOME"]).expanduser() if env.get("CODEX_HOME") else home / ".codex") / "config.toml"


def claude_change(path: Path, receiver: str, extra=None) -> Change:
    """`extra(settings) -> settings` adds the push set-up's keys (push_setup.claude_push_settings)."""
    before = path.read_text() if path.exists() else ""
    try:
        settings = json.loads(before) if before.strip() else {}
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc}); fix it by hand, init will not overwrite it") from exc
    wanted = {
        "CLAUDE_CODE_ENABLE_TELEMETRY": "1",
        "OTEL_LOGS_EXPORTER": "otlp",
        "OTEL_METRICS_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver,
    }
    env = settings.get("env") if isinstance(settings.get("env"), dict) else {}
    after = {**settings, "env": {**env, **wanted}}
    if extra is not None:
        after = extra(after)
    if after == settings:
        return Change(path, before, before)
    return Change(path, before, json.dumps(after, indent=2) + "\n")


def codex_change(path: Path, receiver: str, token: str = "") -> Change:
    before = path.read_text() if path.exists() else ""
    try:
        document = tomlkit.parse(before)
    except Exception as exc:  # tomlkit raises its own parse errors
        raise ValueError(f"{path} is not valid TOML ({exc}); fix it by hand, init will not overwrite it") from exc
    original = document.unwrap()
    if "otel" not in document:
        document["otel"] = tomlkit.table()
    otel = document["otel"]
    if otel.get("log_user_prompt") is not False:
        otel["log_user_prompt"] = False
    wanted = {"endpoint": f"{receiver}/v1/logs", "protocol": "binary"}
    if token:
        wanted["headers"] = {"authorization": f"Bearer {token}"}
    current = otel.get("exporter")
    if (current.unwrap() if hasattr(current, "unwrap") else current) != {"otlp-http": wanted}:
        inner = tomlkit.table()
        inner.update(wanted)
        exporter = tomlkit.table(is_super_table=True)
        exporter["otlp-http"] = inner
        otel["exporter"] = exporter
    return Change(path, before, tomlkit.dumps(document) if document.unwrap() != original else before)


def gemini_settings_path(home: Path, env: dict) -> Path:
    return home / ".gemini" / "settings.json"  # Gemini CLI's user settings


def gemini_change(path: Path, receiver: str) -> Change | None:
    """Gemini CLI's telemetry to the receiver (its `gemini_cli.api_response` events carry each response's tokens);
    None where Gemini CLI is not installed (no ~/.gemini)."""
    if not path.parent.is_dir():
        return None
    before = path.read_text() if path.exists() else ""
    try:
        settings = json.loads(before) if before.strip() else {}
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc}); fix it by hand, init will not overwrite it") from exc
    telemetry = settings.get("telemetry") if isinstance(settings.get("telemetry"), dict) else {}
    wanted = {"enabled": True, "target": "local", "otlpEndpoint": receiver, "otlpProtocol": "http", "logPrompts": False}
    after = {**settings, "telemetry": {**telemetry, **wanted}}
    return Change(path, before, before if after == settings else json.dumps(after, indent=2) + "\n")


def project_change(path: Path, repos: list[Path]) -> Change:
    before = path.read_text() if path.exists() else ""
    data = yaml.safe_load(before) if before.strip() else {}
    data = data if isinstance(data, dict) else {}
    transcripts = data.setdefault("transcripts", {})
    changed = "include_home" not in transcripts
    transcripts.setdefault("include_home", True)
    if repos:
        git = data.setdefault("git", {})
        known = [str(p) for p in git.get("repos") or []]
        new = [str(p) for p in repos if str(p) not in known]
        if new:
            git["repos"] = known + new
            changed = True
    return Change(path, before, yaml.safe_dump(data, sort_keys=False) if changed else before)


def plan(home: Path, env: dict, project_config: Path, repos: list[Path], receiver: str = RECEIVER,
         push=None, token: str = "", cleanup_days: int | None = None) -> tuple[list[Change], str]:
    """The changes, and the command that turns the push timer on ("" without --push-to)."""
    from . import push_setup

    repos = [p.expanduser().resolve() for p in repos]
    if push is None:
        extra = (lambda s: {**s, "cleanupPeriodDays": cleanup_days}) if cleanup_days is not None else None
        gemini = gemini_change(gemini_settings_path(home, env), receiver)
        return [claude_change(claude_settings_path(home, env), receiver, extra), codex_change(codex_config_path(home, env), receiver),
                *([gemini] if gemini else []), project_change(project_config, repos)], ""
    helper = push_setup.headers_helper_change(home, env, push)
    timers, enable = push_setup.timer_changes(home, env, push)
    claude = claude_change(claude_settings_path(home, env), push.url,
                           lambda s: push_setup.claude_push_settings(s, helper.path, push, cleanup_days))
    return [claude, codex_change(codex_config_path(home, env), push.url, token), project_change(project_config, repos),
            push_setup.client_config_change(home, env, push), helper, *timers], enable


def apply(changes: list[Change]) -> list[Path]:
    """Write the changed files, each after a backup of what it held; returns the backups."""
    backups = []
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    for change in changes:
        if not change.changed:
            continue
        change.path.parent.mkdir(parents=True, exist_ok=True)
        if change.path.exists():
            backup = change.path.with_name(f"{change.path.name}.bak-{stamp}")
            shutil.copy2(change.path, backup)
            backups.append(backup)
        temp = change.path.with_name(f".{change.path.name}.tmp")
        temp.write_text(change.after)
        os.chmod(temp, change.mode if change.mode is not None else
                 (change.path.stat().st_mode & 0o777 if change.path.exists() else 0o600))  # configs may hold a header
        os.replace(temp, change.path)  # atomic: an agent never reads half a settings file
    return backups


COPILOT_HELP = """Copilot (GitHub): set copilot.org (or copilot.enterprise) in {config} and export a token:
  export GITHUB_TOKEN=...   # fine-grained: "Organization Copilot metrics" (read) and "GitHub Copilot Business" (read)
                            # classic: read:org and manage_billing:copilot (enterprise: read:enterprise)
  then turn on the copilot_reports_daily and copilot_seats_daily schedules in `make ui`."""


def run(home: Path, env: dict, project_config: Path, repos: list[Path], dry_run: bool, receiver: str = RECEIVER,
        push_to: str = "", token_file: str = "", cleanup_days: int | None = None) -> int:
    from . import push_setup

    push, token = None, ""
    if push_to or token_file:
        if not (push_to and token_file):
            print("init: --push-to and --token-file go together")
            return 1
        token_path = Path(token_file).expanduser().resolve()
        why = push_setup.check_token_file(token_path)
        if why:
            print(f"init: {why}")
            return 1
        token = token_path.read_text().strip()
        push = push_setup.PushSetup(push_to.rstrip("/"), token_path, push_setup.default_cli())
    try:
        changes, enable = plan(home, env, project_config, repos, receiver, push, token, cleanup_days)
    except ValueError as exc:
        print(f"init: {exc}")
        return 1
    pending = [c for c in changes if c.changed]
    for change in changes:
        print(f"{'would change' if dry_run else 'changing'}: {change.path}" if change.changed else f"unchanged: {change.path}")
    if dry_run:
        for change in pending:
            print(change.diff().replace(token, "<token from the token file>") if token else change.diff())
    else:
        for backup in apply(pending):
            print(f"backup: {backup}")
    print()
    if push is not None:
        print(f"Team server: {push.url}. Claude Code and Codex send telemetry there after a restart; transcripts are pushed when "
              f"a Claude Code session ends and by the hourly timer. Turn the timer on: {enable}")
        print("Push now: analytics-assets push")
    else:
        print(f"Receiver: run `analytics-assets receive` (listens on {receiver}); Claude Code, Codex (and Gemini CLI, where "
              "installed) send to it after a restart.")
    print(COPILOT_HELP.format(config=project_config))
    return 0
