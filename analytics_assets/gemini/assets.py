"""Dagster wiring for Gemini CLI's saved chats. Logic in chats.py and load.py."""

from .. import project_config
from ..ingest.assets import IngestDefinition, build_ingest
from .load import GeminiSource, gemini_roots
from .schemas import SCHEMAS

GEMINI = build_ingest(
    IngestDefinition(
        name="ingest_gemini_chats",
        landing="gemini",
        landing_description="Gemini CLI saved chats (`<project hash>/chats/*.json`, `*.jsonl`) under landing/gemini/<machine>/tmp/ "
        "and this machine's own (GEMINI_DATA_DIR, else ~/.gemini/tmp). A chat is rewritten as it grows: re-read whole, "
        "messages already stored skipped by key.",
        description="Read the Gemini messages with token counts from Gemini CLI's saved chats, validate with pandera, load "
        "raw.gemini_messages (one row per session and message id) and quarantine what fails.",
        tables={"gemini_messages": "raw.gemini_messages"},
        table_descriptions={
            "gemini_messages": "One row per Gemini CLI model response: session, project hash, model, and the tokens as Gemini "
            "reports them (input including its cached part, output, cached, thoughts, tool-use prompt, total), machine.",
        },
        schemas=SCHEMAS,
        preview_columns={"gemini_messages": ["event_at", "machine", "model", "input_tokens", "output_tokens", "thoughts_tokens"]},
        make_source=lambda config, salt, s: GeminiSource(s.landing_dir),
        roots=lambda s: gemini_roots(s.landing_dir, project_config.load(s.config_path)),
        patterns=GeminiSource.patterns,
    )
)
