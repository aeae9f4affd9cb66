"""`analytics-assets init` on a fake home (dry run shows the exact changes; applying twice changes
nothing the second time; unrelated settings and comments survive; backups are kept) and
`analytics-assets doctor` against a real receiver and a playback GitHub."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

from analytics_assets.config import settings
from analytics_assets.onboarding import doctor

from .github_server import GitHubPlayback, Reply
from .test_receiver import ReceiverProcess

CLI = str(Path(sys.executable).parent / "analytics-assets")


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=60)


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / ".claude").mkdir(parents=True)
    (home / ".codex").mkdir()
    (home / ".claude" / "settings.json").write_text(json.dumps({"model": "opus", "permissions": {"allow": ["Bash(ls)"]},
                                                               "env": {"MY_VAR": "kept"}}))
    (home / ".codex" / "config.toml").write_text('# personal settings\nmodel = "gpt-5-codex"\n\n[profiles.work]\nmodel = "o3"\n')
    return home


def test_init_dry_run_then_apply_twice(project_env, tmp_path):
    home = _home(tmp_path)
    env = {"CLAUDE_CONFIG_DIR": "", "CODEX_HOME": ""}  # the fake home's own folders
    before = {p: p.read_text() for p in (home / ".claude" / "settings.json", home / ".codex" / "config.toml")}
    dry = _cli("init", "--dry-run", "--home", str(home), "--repo", str(tmp_path), env=env)
    assert dry.returncode == 0, dry.stderr
    assert '+    "CLAUDE_CODE_ENABLE_TELEMETRY": "1",' in dry.stdout and "+[otel.exporter.otlp-http]" in dry.stdout
    assert '+endpoint = "http://127.0.0.1:4318/v1/logs"' in dry.stdout
    assert {p: p.read_text() for p in before} == before and not Path(os.environ["ANALYTICS_CONFIG"]).exists()  # nothing written

    first = _cli("init", "--home", str(home), "--repo", str(tmp_path), env=env)
    assert first.returncode == 0 and first.stdout.count("changing:") == 3
    claude = json.loads((home / ".claude" / "settings.json").read_text())
    assert claude["model"] == "opus" and claude["permissions"] == {"allow": ["Bash(ls)"]} and claude["env"]["MY_VAR"] == "kept"
    assert claude["env"]["CLAUDE_CODE_ENABLE_TELEMETRY"] == "1" and claude["env"]["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf"
    assert "OTEL_LOG_USER_PROMPTS" not in claude["env"]  # prompt logging stays off
    codex_text = (home / ".codex" / "config.toml").read_text()
    codex = tomllib.loads(codex_text)
    assert codex_text.startswith("# personal settings") and codex["profiles"]["work"]["model"] == "o3"
    assert codex["otel"] == {"log_user_prompt": False, "exporter": {"otlp-http": {"endpoint": "http://127.0.0.1:4318/v1/logs",
                                                                                     "protocol": "binary"}}}
    project = yaml.safe_load(Path(os.environ["ANALYTICS_CONFIG"]).read_text())
    assert project["git"]["repos"] == [str(tmp_path.resolve())] and project["transcripts"]["include_home"] is True
    backups = sorted(p.name for p in (home / ".claude").iterdir()) + sorted(p.name for p in (home / ".codex").iterdir())
    assert sum(".bak-" in b for b in backups) == 2
    assert "GITHUB_TOKEN" in first.stdout and "manage_billing:copilot" in first.stdout

    snapshot = {p: p.read_text() for p in (home / ".claude" / "settings.json", home / ".codex" / "config.toml",
                                           Path(os.environ["ANALYTICS_CONFIG"]))}
    second = _cli("init", "--home", str(home), "--repo", str(tmp_path), env=env)
    assert second.returncode == 0 and second.stdout.count("unchanged:") == 3 and "changing:" not in second.stdout
    assert {p: p.read_text() for p in snapshot} == snapshot


def test_init_points_an_installed_gemini_cli_at_the_receiver(project_env, tmp_path):
    home = _home(tmp_path)
    (home / ".gemini").mkdir()
    (home / ".gemini" / "settings.json").write_text(json.dumps({"ui": {"theme": "GitHub"}, "telemetry": {"outfile": "/tmp/t.log"}}))
    env = {"CLAUDE_CONFIG_DIR": "", "CODEX_HOME": ""}
    first = _cli("init", "--home", str(home), env=env)
    assert first.returncode == 0 and f"changing: {home / '.gemini' / 'settings.json'}" in first.stdout, first.stdout
    gemini = json.loads((home / ".gemini" / "settings.json").read_text())
    assert gemini["ui"] == {"theme": "GitHub"} and gemini["telemetry"] == {
        "outfile": "/tmp/t.log", "enabled": True, "target": "local", "otlpEndpoint": "http://127.0.0.1:4318", "otlpProtocol": "http",
        "logPrompts": False}
    assert f"unchanged: {home / '.gemini' / 'settings.json'}" in _cli("init", "--home", str(home), env=env).stdout


def test_init_refuses_to_overwrite_a_broken_settings_file(project_env, tmp_path):
    home = _home(tmp_path)
    (home / ".claude" / "settings.json").write_text("{ not json")
    result = _cli("init", "--home", str(home), env={"CLAUDE_CONFIG_DIR": "", "CODEX_HOME": ""})
    assert result.returncode == 1 and "not valid JSON" in result.stdout
    assert (home / ".claude" / "settings.json").read_text() == "{ not json"


def test_doctor_reports_what_is_missing_and_what_works(project_env, tmp_path, monkeypatch, capsys):
    config = Path(os.environ["ANALYTICS_CONFIG"])
    with GitHubPlayback() as github:
        github.route("/api/v3/user", Reply(body='{"login": "octo"}', headers={"X-OAuth-Scopes": "repo, read:org"}))
        config.write_text(yaml.safe_dump({"copilot": {"org": "acme", "base_url": github.url}}))
        monkeypatch.setenv("GITHUB_TOKEN", "ghp_doctor_test_token_0000000000000")
        code, checks = doctor.run(settings(), "http://127.0.0.1:9")  # nothing listens on port 9
        by_name = {c.name: c for c in checks}
        assert code == 1
        assert by_name["receiver"].ok is False and "analytics-assets receive" in by_name["receiver"].detail
        assert by_name["warehouse"].ok is False and "make run" in by_name["warehouse"].detail
        assert by_name["landing otlp/"].ok and by_name["dbt manifest"].ok
        assert by_name["github token"].ok is False and "manage_billing:copilot" in by_name["github token"].detail
        assert "ghp_doctor" not in capsys.readouterr().out

        receiver = ReceiverProcess(project_env["landing"] / "otlp")
        github.route("/api/v3/user", Reply(body='{"login": "octo"}', headers={"X-OAuth-Scopes": "read:org, manage_billing:copilot"}))
        try:
            project_env["duckdb"].parent.mkdir(parents=True, exist_ok=True)
            import duckdb

            duckdb.connect(str(project_env["duckdb"])).close()
            code, checks = doctor.run(settings(), receiver.url)
        finally:
            receiver.stop()
    assert code == 0, [(c.name, c.detail) for c in checks if c.ok is False]
    assert all(c.ok for c in checks if c.name != "push")  # push: not set up on this machine (tests/test_push.py checks it)
