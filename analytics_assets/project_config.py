"""The project's YAML config (ANALYTICS_CONFIG, default analytics.yaml): transcript roots, privacy,
and who is who. A missing file means defaults; a malformed one is a clear error naming the key.

    privacy:
      keep_names: false          # true stores developer names and emails in clear
    transcripts:
      include_home: true         # also read this machine's ~/.claude, ~/.codex (CLAUDE_CONFIG_DIR, CODEX_HOME)
      claude_roots: []           # more folders holding projects/ (or a projects/ folder itself)
      codex_roots: []            # more folders holding sessions/
    copilot:                     # GitHub Copilot usage reports and seats
      org: acme                  # and/or enterprise: bigcorp (lists allowed)
      source: api                # api (github3.py; token from token_env) or folder (report files under landing/copilot)
      base_url: ""               # GitHub Enterprise Server host, e.g. https://ghe.example.com
      token_env: GITHUB_TOKEN
      seat_price_usd: 19         # monthly price of one seat (Business 19, Enterprise 39)
    cursor:                      # Cursor's Admin API (team plans)
      source: api                # api (key from key_env) or folder (response files under landing/cursor); unset: off
      key_env: CURSOR_API_KEY
      seat_price_usd: 40
    anthropic:                   # Anthropic's Claude Code usage report (organization totals, Admin API)
      source: api                # api (key from admin_key_env) or folder (response files under landing/anthropic); unset: off
      admin_key_env: ANTHROPIC_ADMIN_KEY
    git:
      repos: []                  # local repository paths
      repos_dir: null            # a folder of clones: every repository directly under it
      github_repos: []           # owner/name, read through the GitHub API (commits since the last run)
      session_window_minutes: 120  # a commit this soon after an agent session of its author counts as assisted
      ticket_pattern: "[A-Z][A-Z0-9]+-[0-9]+"  # a ticket id in a branch name (cost by ticket)
    budgets_file: budgets.yaml   # monthly budgets and thresholds (see analytics_assets/alerts/budgets.py)
    alerts:
      spike_z: 3.5               # robust z-score of a day's spend against the trailing 4 weeks
      spike_min_usd: 5           # ... and at least this many dollars above the usual
    roi:
      hours_saved_per_assisted_commit: 0.5
      hourly_rate_usd: 80
    exports: {marts: [], formats: [parquet, csv, jsonl]}   # empty marts: every mart
    community: {k: 5, grace_days: 2}
    retention:                   # days kept; 0 keeps forever
      raw_days: 180              # raw rows (telemetry, transcripts, Copilot reports, quarantine)
      daily_marts_days: 1095     # the daily marts (3 years)
      tables: {raw.quarantine: 30}        # per-table windows, raw or marts (seats: daily_marts_days)
    developers:                  # one person across sources: machines, emails, Claude accounts, logins
      - name: Ada Lovelace
        team: platform
        machines: [ada-lovelace-laptop]
        emails: [ada.lovelace@example.com]
        accounts: []
        logins: [ada-lovelace]
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import yaml

from .privacy import keyed_hash


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Developer:
    name: str
    team: str = "unassigned"
    machines: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    logins: tuple[str, ...] = ()


@dataclass(frozen=True)
class CopilotConfig:
    orgs: tuple[str, ...] = ()
    enterprises: tuple[str, ...] = ()
    source: str = "api"
    base_url: str = ""
    token_env: str = "GITHUB_TOKEN"
    seat_price_usd: float = 19.0

    @property
    def configured(self) -> bool:
        return bool(self.orgs or self.enterprises)


@dataclass(frozen=True)
class CursorConfig:
    source: str = ""              # api | folder; empty: Cursor is not read
    key_env: str = "CURSOR_API_KEY"
    base_url: str = "https://api.cursor.com"
    seat_price_usd: float = 40.0  # Cursor Teams, per seat and month

    @property
    def configured(self) -> bool:
        return bool(self.source)


def _cursor(section: dict, where: str) -> CursorConfig:
    source = str(section.get("source") or "")
    if source not in ("", "api", "folder"):
        raise ConfigError(f"{where}.source must be 'api' or 'folder', not {source!r}")
    try:
        price = float(section.get("seat_price_usd", 40))
    except (TypeError, ValueError):
        raise ConfigError(f"{where}.seat_price_usd must be a number") from None
    return CursorConfig(source=source, key_env=str(section.get("key_env") or "CURSOR_API_KEY"),
                        base_url=str(section.get("base_url") or "https://api.cursor.com"), seat_price_usd=price)


@dataclass(frozen=True)
class AnthropicConfig:
    source: str = ""              # api | folder; empty: the report is not read
    admin_key_env: str = "ANTHROPIC_ADMIN_KEY"
    base_url: str = "https://api.anthropic.com"

    @property
    def configured(self) -> bool:
        return bool(self.source)


def _anthropic(section: dict, where: str) -> AnthropicConfig:
    source = str(section.get("source") or "")
    if source not in ("", "api", "folder"):
        raise ConfigError(f"{where}.source must be 'api' or 'folder', not {source!r}")
    return AnthropicConfig(source=source, admin_key_env=str(section.get("admin_key_env") or "ANTHROPIC_ADMIN_KEY"),
                           base_url=str(section.get("base_url") or "https://api.anthropic.com"))


DEFAULT_TICKET_PATTERN = r"[A-Z][A-Z0-9]+-[0-9]+"


@dataclass(frozen=True)
class GitConfig:
    repos: tuple[Path, ...] = ()
    repos_dir: Path | None = None
    github_repos: tuple[str, ...] = ()
    session_window_minutes: int = 120
    ticket_pattern: str = DEFAULT_TICKET_PATTERN

    def local_repos(self) -> list[Path]:
        found = list(self.repos)
        if self.repos_dir and self.repos_dir.is_dir():
            found += sorted(p for p in self.repos_dir.iterdir() if (p / ".git").exists() or (p / "HEAD").is_file())
        return list(dict.fromkeys(found))


@dataclass(frozen=True)
class AlertConfig:
    budgets_file: Path | None = None
    spike_z: float = 3.5
    spike_min_usd: float = 5.0
    hours_saved_per_assisted_commit: float = 0.5
    hourly_rate_usd: float = 80.0


@dataclass(frozen=True)
class OutputConfig:
    export_marts: tuple[str, ...] = ()     # empty: every mart
    export_formats: tuple[str, ...] = ()   # empty: every format
    community_k: int = 5
    community_grace_days: int = 2


@dataclass(frozen=True)
class RetentionConfig:
    raw_days: int = 180
    daily_marts_days: int = 1095
    tables: tuple[tuple[str, int], ...] = ()  # per-table overrides (table, days; 0 keeps forever)

    def days(self, table: str) -> int:
        default = self.raw_days if table.startswith("raw.") else self.daily_marts_days
        # Seat snapshots are the utilisation history (one small row per seat and day): kept like aggregates.
        default = self.daily_marts_days if table == "raw.copilot_seats" else default
        return dict(self.tables).get(table, default)

    def raw_cutoff(self, today: dt.date) -> dt.date:
        """The first day whose raw rows are all still kept (older days' are purged, except days held back)."""
        return today - dt.timedelta(days=self.raw_days) if self.raw_days else dt.date(1, 1, 1)


@dataclass(frozen=True)
class ProjectConfig:
    keep_names: bool = False
    include_home: bool = True
    claude_roots: tuple[Path, ...] = ()
    codex_roots: tuple[Path, ...] = ()
    developers: tuple[Developer, ...] = field(default_factory=tuple)
    copilot: CopilotConfig = CopilotConfig()
    cursor: CursorConfig = CursorConfig()
    anthropic: AnthropicConfig = AnthropicConfig()
    git: GitConfig = GitConfig()
    alerts: AlertConfig = AlertConfig()
    outputs: OutputConfig = OutputConfig()
    retention: RetentionConfig = RetentionConfig()


def _list(section: dict, key: str, where: str) -> tuple[str, ...]:
    value = section.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise ConfigError(f"{where}.{key} must be a list of strings")
    return tuple(str(v) for v in value)


def _names(section: dict, key: str, where: str) -> tuple[str, ...]:
    value = section.get(key)
    if value is None:
        return ()
    return (str(value),) if isinstance(value, (str, int)) else _list(section, key, where)


def _copilot(section: dict, where: str) -> CopilotConfig:
    from .github_api import check_not_legacy  # the legacy metrics API is refused with its replacement

    if section.get("endpoint"):
        check_not_legacy(str(section["endpoint"]))
    source = str(section.get("source") or "api")
    if source not in ("api", "folder"):
        raise ConfigError(f"{where}.source must be 'api' or 'folder', not {source!r}")
    try:
        price = float(section.get("seat_price_usd", 19))
    except (TypeError, ValueError):
        raise ConfigError(f"{where}.seat_price_usd must be a number") from None
    return CopilotConfig(orgs=_names(section, "org", where) + _names(section, "orgs", where),
                         enterprises=_names(section, "enterprise", where) + _names(section, "enterprises", where),
                         source=source, base_url=str(section.get("base_url") or ""),
                         token_env=str(section.get("token_env") or "GITHUB_TOKEN"), seat_price_usd=price)


def _git(section: dict, base: Path, where: str) -> GitConfig:
    try:
        window = int(section.get("session_window_minutes", 120))
    except (TypeError, ValueError):
        raise ConfigError(f"{where}.session_window_minutes must be a whole number of minutes") from None
    repos_dir = section.get("repos_dir")
    ticket = str(section.get("ticket_pattern") or DEFAULT_TICKET_PATTERN)
    try:
        re.compile(ticket)
    except re.error as exc:
        raise ConfigError(f"{where}.ticket_pattern is not a regular expression: {exc}") from None
    return GitConfig(ticket_pattern=ticket, repos=tuple((base / p).expanduser().resolve() for p in _list(section, "repos", where)),
                     repos_dir=(base / repos_dir).expanduser().resolve() if repos_dir else None,
                     github_repos=_list(section, "github_repos", where), session_window_minutes=window)


def _number(section: dict, key: str, default: float, where: str) -> float:
    try:
        return float(section.get(key, default))
    except (TypeError, ValueError):
        raise ConfigError(f"{where}.{key} must be a number") from None


def _alerts(data: dict, base: Path, where: str) -> AlertConfig:
    alerts, roi = data.get("alerts") or {}, data.get("roi") or {}
    budgets = data.get("budgets_file")
    return AlertConfig(
        budgets_file=(base / budgets).expanduser().resolve() if budgets else None,
        spike_z=_number(alerts, "spike_z", 3.5, f"{where}: alerts"),
        spike_min_usd=_number(alerts, "spike_min_usd", 5.0, f"{where}: alerts"),
        hours_saved_per_assisted_commit=_number(roi, "hours_saved_per_assisted_commit", 0.5, f"{where}: roi"),
        hourly_rate_usd=_number(roi, "hourly_rate_usd", 80.0, f"{where}: roi"),
    )


def _outputs(data: dict, where: str) -> OutputConfig:
    exports, community = data.get("exports") or {}, data.get("community") or {}
    try:
        k, grace = int(community.get("k", 5)), int(community.get("grace_days", 2))
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: community.k and community.grace_days must be whole numbers") from None
    return OutputConfig(export_marts=_list(exports, "marts", f"{where}: exports"),
                        export_formats=_list(exports, "formats", f"{where}: exports"), community_k=k, community_grace_days=grace)


def _retention(section: dict, where: str) -> RetentionConfig:
    def days(value, key: str) -> int:
        if value is None:
            return 0
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"{where}.{key} must be a whole number of days (0 keeps forever), not {value!r}")
        return value

    tables = section.get("tables") or {}
    if not isinstance(tables, dict):
        raise ConfigError(f"{where}.tables must map table names (raw.x, marts.y) to days")
    for name in tables:
        if not str(name).startswith(("raw.", "marts.")):
            raise ConfigError(f"{where}.tables: {name!r} is not a raw.* or marts.* table")
    return RetentionConfig(raw_days=days(section.get("raw_days", 180), "raw_days"),
                           daily_marts_days=days(section.get("daily_marts_days", 1095), "daily_marts_days"),
                           tables=tuple((str(k), days(v, f"tables.{k}")) for k, v in tables.items()))


def load(path: Path) -> ProjectConfig:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return ProjectConfig()
    return _parsed(path, text)


@functools.lru_cache(maxsize=8)
def _parsed(path: Path, text: str) -> ProjectConfig:
    """The config is frozen, so one parse of the same text serves every caller: the landing sensor asks
    each source's folders every few seconds."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping at the top level")
    privacy = data.get("privacy") or {}
    transcripts = data.get("transcripts") or {}
    base = path.parent
    developers = []
    for i, raw in enumerate(data.get("developers") or []):
        where = f"{path}: developers[{i}]"
        if not isinstance(raw, dict) or not raw.get("name"):
            raise ConfigError(f"{where} needs a name")
        developers.append(
            Developer(
                name=str(raw["name"]),
                team=str(raw.get("team") or "unassigned"),
                machines=_list(raw, "machines", where),
                emails=tuple(e.lower() for e in _list(raw, "emails", where)),
                accounts=_list(raw, "accounts", where),
                logins=tuple(x.lower() for x in _list(raw, "logins", where)),
            )
        )
    return ProjectConfig(
        keep_names=bool(privacy.get("keep_names", False)),
        include_home=bool(transcripts.get("include_home", True)),
        claude_roots=tuple((base / p).expanduser().resolve() for p in _list(transcripts, "claude_roots", f"{path}: transcripts")),
        codex_roots=tuple((base / p).expanduser().resolve() for p in _list(transcripts, "codex_roots", f"{path}: transcripts")),
        developers=tuple(developers),
        copilot=_copilot(data.get("copilot") or {}, f"{path}: copilot"),
        cursor=_cursor(data.get("cursor") or {}, f"{path}: cursor"),
        anthropic=_anthropic(data.get("anthropic") or {}, f"{path}: anthropic"),
        git=_git(data.get("git") or {}, base, f"{path}: git"),
        alerts=_alerts(data, base, str(path)),
        outputs=_outputs(data, str(path)),
        retention=_retention(data.get("retention") or {}, f"{path}: retention"),
    )


IDENTITY_SCHEMA = {"developer_key": pl.String, "developer_name": pl.String, "team": pl.String,
                   "identity_kind": pl.String, "identity": pl.String}


def identity_rows(config: ProjectConfig, salt: bytes, token_machines: list[tuple[str, str]] = ()) -> pl.DataFrame:
    """One row per (developer, identity). Emails, accounts and GitHub logins are hashed with the same
    key as the ingest, so they join to the hashed columns; machines are names, kept as they are
    stored elsewhere; the developer's own key is a hash of the name unless names are kept.
    `token_machines`, (developer, machine) of the receiver's tokens, add the machines the config does
    not list: a pushing machine is its token's developer's (in the team the config gives that name)."""
    rows = []
    key_of = lambda name: name if config.keep_names else keyed_hash(name, salt)  # noqa: E731
    for dev in config.developers:
        key, name = key_of(dev.name), dev.name if config.keep_names else None
        hashed = (lambda v: v) if config.keep_names else (lambda v: keyed_hash(v, salt))
        for kind, values, transform in (("machine", dev.machines, str), ("email", dev.emails, hashed),
                                        ("account", dev.accounts, hashed), ("login", dev.logins, hashed)):
            rows.extend((key, name, dev.team, kind, transform(v)) for v in values)
    listed = {m for dev in config.developers for m in dev.machines}
    teams = {dev.name: dev.team for dev in config.developers}
    for developer, machine in token_machines:
        if machine not in listed:  # the config's word wins; a machine's first token names its developer
            listed.add(machine)
            rows.append((key_of(developer), developer if config.keep_names else None, teams.get(developer, "unassigned"),
                         "machine", machine))
    frame = pl.DataFrame(rows, schema=IDENTITY_SCHEMA, orient="row")
    duplicated = frame.group_by("identity_kind", "identity").agg(pl.col("developer_key").n_unique().alias("n")).filter(pl.col("n") > 1)
    if duplicated.height:
        raise ConfigError(f"the same {duplicated['identity_kind'][0]} is listed under two developers")
    return frame
