"""`analytics-assets init --push-to URL --token-file F`: the changes that make a developer machine feed
the team server, as init_agents.Change objects (dry-run shows them, a second run changes nothing).

- `~/.config/analytics-assets/push.json`: the receiver URL and the token file, so `analytics-assets push`
  needs no arguments (the hook and the timer call it so) and `doctor` knows what to check.
- Claude Code's settings: a `SessionEnd` hook that pushes in the background, and `otelHeadersHelper`, a
  script that prints the bearer header from the token file (the token is not copied into settings.json).
- A periodic fallback: a systemd user timer where systemd is, a launchd agent on macOS, else a crontab
  line to add (printed: init does not edit a crontab).
The token file itself is only read, never written or printed. No Dagster import.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from .init_agents import Change

HOOK_MARK = "analytics-assets push"  # how init finds its own hook among the user's


@dataclass(frozen=True)
class PushSetup:
    url: str
    token_file: Path
    cli: str  # the analytics-assets executable the hook and the timer run

    def command(self) -> str:
        return f"{shlex.quote(self.cli)} push --quiet"


def client_config_path(home: Path, env: dict) -> Path:
    base = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else home / ".config"
    return base / "analytics-assets" / "push.json"


def load_client_config(home: Path, env: dict) -> dict:
    try:
        data = json.loads(client_config_path(home, env).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def default_cli() -> str:
    return shutil.which("analytics-assets") or str(Path(sys.executable).parent / "analytics-assets")


def client_config_change(home: Path, env: dict, setup: PushSetup) -> Change:
    path = client_config_path(home, env)
    before = path.read_text() if path.exists() else ""
    wanted = {"url": setup.url, "token_file": str(setup.token_file)}
    try:
        same = json.loads(before) == wanted if before.strip() else False
    except ValueError:
        same = False
    return Change(path, before, before if same else json.dumps(wanted, indent=2) + "\n")


def headers_helper_change(home: Path, env: dict, setup: PushSetup) -> Change:
    path = client_config_path(home, env).with_name("otel-headers.sh")
    before = path.read_text() if path.exists() else ""
    # Claude Code runs this and reads its stdout as a JSON object of headers.
    after = ("#!/bin/sh\n# Written by `analytics-assets init --push-to`: Claude Code's OTLP bearer header, read from the token file.\n"
             f"printf '{{\"Authorization\": \"Bearer %s\"}}' \"$(tr -d '[:space:]' < {shlex.quote(str(setup.token_file))})\"\n")
    return Change(path, before, after, mode=0o700)


def claude_push_settings(settings: dict, helper: Path, setup: PushSetup, cleanup_days: int | None) -> dict:
    """Claude Code settings with the headers helper, the SessionEnd push hook (replacing an older one
    of ours, leaving the user's hooks alone) and, when asked, a longer cleanupPeriodDays."""
    settings = dict(settings)
    settings["otelHeadersHelper"] = str(helper)
    hooks = dict(settings.get("hooks") or {})
    entries = [e for e in hooks.get("SessionEnd") or []
               if not any(HOOK_MARK in str(h.get("command", "")) for h in (e.get("hooks") or []) if isinstance(h, dict))]
    entries.append({"hooks": [{"type": "command", "command": f"({setup.command()} >/dev/null 2>&1 &)"}]})
    hooks["SessionEnd"] = entries
    settings["hooks"] = hooks
    if cleanup_days is not None:
        settings["cleanupPeriodDays"] = cleanup_days
    return settings


def timer_changes(home: Path, env: dict, setup: PushSetup, platform: str = sys.platform) -> tuple[list[Change], str]:
    """The periodic fallback's files and what the user runs to turn it on."""
    if platform == "darwin":
        path = home / "Library" / "LaunchAgents" / "com.agent-analytics.push.plist"
        before = path.read_text() if path.exists() else ""
        after = ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" '
                 '"http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0"><dict>\n'
                 '  <key>Label</key><string>com.agent-analytics.push</string>\n'
                 f'  <key>ProgramArguments</key><array><string>{setup.cli}</string><string>push</string><string>--quiet</string></array>\n'
                 '  <key>StartInterval</key><integer>3600</integer>\n</dict></plist>\n')
        return [Change(path, before, after)], f"launchctl load {path}"
    if shutil.which("systemctl"):
        folder = (Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else home / ".config") / "systemd" / "user"
        service, timer = folder / "analytics-assets-push.service", folder / "analytics-assets-push.timer"
        texts = {
            service: f"[Unit]\nDescription=Push agent transcripts to the team's Agent Analytics\n\n[Service]\nType=oneshot\n"
                     f"ExecStart={setup.command()}\n",
            timer: "[Unit]\nDescription=Hourly push of agent transcripts (fallback for the SessionEnd hook)\n\n"
                   "[Timer]\nOnCalendar=hourly\nPersistent=true\nRandomizedDelaySec=300\n\n[Install]\nWantedBy=timers.target\n",
        }
        changes = [Change(p, p.read_text() if p.exists() else "", t) for p, t in texts.items()]
        return changes, "systemctl --user daemon-reload && systemctl --user enable --now analytics-assets-push.timer"
    return [], f"crontab -e, and add:  17 * * * * {setup.command()} >/dev/null 2>&1"


def check_token_file(path: Path) -> str:
    """Why the token file cannot be used ("" when it can)."""
    try:
        token = path.read_text().strip()
    except OSError as exc:
        return f"cannot read the token file {path}: {exc.strerror}"
    if not token:
        return f"the token file {path} is empty: put the token `analytics-assets token add` printed on the server in it"
    if os.name == "posix" and path.stat().st_mode & 0o077:
        return f"the token file {path} can be read by others: chmod 600 {path}"
    return ""
