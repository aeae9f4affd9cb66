"""The project's YAML config (ANALYTICS_CONFIG, default analytics.yaml): transcript roots, privacy,
and who is who. A missing file means defaults; a malformed one is a clear error naming the key.

    privacy:
      keep_names: false          # true stores developer names and emails in clear
    transcripts:
      include_home: true         # also read this machine's ~/.claude, ~/.codex (CLAUDE_CONFIG_DIR, CODEX_HOME)
      claude_roots: []           # more folders holding projects/ (or a projects/ folder itself)
      codex_roots: []            # more folders holding sessions/
    developers:                  # one person across sources: machines, emails, Claude accounts, logins
      - name: Ada Lovelace
        team: platform
        machines: [ada-lovelace-laptop]
        emails: [ada.lovelace@example.com]
        accounts: []
        logins: [ada-lovelace]
"""

from __future__ import annotations

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
class ProjectConfig:
    keep_names: bool = False
    include_home: bool = True
    claude_roots: tuple[Path, ...] = ()
    codex_roots: tuple[Path, ...] = ()
    developers: tuple[Developer, ...] = field(default_factory=tuple)


def _list(section: dict, key: str, where: str) -> tuple[str, ...]:
    value = section.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise ConfigError(f"{where}.{key} must be a list of strings")
    return tuple(str(v) for v in value)


def load(path: Path) -> ProjectConfig:
    if not path.exists():
        return ProjectConfig()
    try:
        data = yaml.safe_load(path.read_text()) or {}
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
    )


IDENTITY_SCHEMA = {"developer_key": pl.String, "developer_name": pl.String, "team": pl.String,
                   "identity_kind": pl.String, "identity": pl.String}


def identity_rows(config: ProjectConfig, salt: bytes) -> pl.DataFrame:
    """One row per (developer, identity). Emails and accounts are hashed with the same key as the
    ingest, so they join to the hashed columns; machines and logins are names, kept as they are
    stored elsewhere; the developer's own key is a hash of the name unless names are kept."""
    rows = []
    for dev in config.developers:
        key = dev.name if config.keep_names else keyed_hash(dev.name, salt)
        name = dev.name if config.keep_names else None
        hashed = (lambda v: v) if config.keep_names else (lambda v: keyed_hash(v, salt))
        for kind, values, transform in (("machine", dev.machines, str), ("email", dev.emails, hashed),
                                        ("account", dev.accounts, hashed), ("login", dev.logins, str)):
            rows.extend((key, name, dev.team, kind, transform(v)) for v in values)
    frame = pl.DataFrame(rows, schema=IDENTITY_SCHEMA, orient="row")
    duplicated = frame.group_by("identity_kind", "identity").agg(pl.col("developer_key").n_unique().alias("n")).filter(pl.col("n") > 1)
    if duplicated.height:
        raise ConfigError(f"the same {duplicated['identity_kind'][0]} is listed under two developers")
    return frame
