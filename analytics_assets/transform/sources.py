"""Every raw table dbt reads exists before dbt runs, empty when its source never ran here (a
machine without Copilot, a run that selects only some sources), so the staging models build
everywhere and a missing source reads as no rows, not as an error."""

from __future__ import annotations

import duckdb

from .. import project_config
from ..anthropic import load as anthropic_load
from ..config import settings
from ..copilot import load as copilot_load
from ..copilot_cli.load import CopilotCliSource
from ..cursor import load as cursor_load
from ..gemini.load import GeminiSource
from ..git import folders, load as git_load
from ..opencode.load import OpenCodeSource
from ..identities import TABLE as IDENTITIES, write_identities
from ..ingest.runner import ensure_tables
from ..otlp.load import OtlpSource
from ..transcripts.load import ClaudeSource, CodexSource
from ..warehouse import table_exists


def ensure_sources(con: duckdb.DuckDBPyConnection, salt: bytes) -> None:
    landing = settings().landing_dir
    for source in (OtlpSource(salt, False), ClaudeSource(landing), CodexSource(landing), GeminiSource(landing),
                   OpenCodeSource(landing, settings().duckdb_path), CopilotCliSource(landing)):
        ensure_tables(con, source)
    copilot_load.ensure_tables(con)
    cursor_load.ensure_tables(con)
    anthropic_load.ensure_tables(con)
    git_load.ensure_tables(con)
    folders.ensure_tables(con)
    if not table_exists(con, IDENTITIES):
        write_identities(con, project_config.identity_rows(project_config.ProjectConfig(), salt))

