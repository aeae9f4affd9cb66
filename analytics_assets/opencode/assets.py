"""Dagster wiring for OpenCode's messages. Logic in messages.py and load.py."""

from .. import project_config
from ..ingest.assets import IngestDefinition, build_ingest
from .load import OpenCodeSource, opencode_roots
from .schemas import SCHEMAS

OPENCODE = build_ingest(
    IngestDefinition(
        name="ingest_opencode_messages",
        landing="opencode",
        landing_description="OpenCode's messages: its SQLite databases (opencode*.db, exported to JSON lines beside the "
        "warehouse when they change) and legacy storage/message/**/msg_*.json files, under landing/opencode/<machine>/ and "
        "this machine's own (OPENCODE_DATA_DIR, else ~/.local/share/opencode).",
        description="Read OpenCode's assistant messages with token counts, validate with pandera, load raw.opencode_messages "
        "(one row per message id: the copy with the most tokens) and quarantine what fails.",
        tables={"opencode_messages": "raw.opencode_messages"},
        table_descriptions={
            "opencode_messages": "One row per OpenCode assistant message: session, provider, model, input, output, reasoning, "
            "cache read and write tokens, OpenCode's own cost, working folder, machine.",
        },
        schemas=SCHEMAS,
        preview_columns={"opencode_messages": ["event_at", "machine", "model", "input_tokens", "output_tokens", "reported_cost_usd"]},
        make_source=lambda config, salt, s: OpenCodeSource(s.landing_dir, s.duckdb_path),
        roots=lambda s: opencode_roots(s.landing_dir, s.duckdb_path, project_config.load(s.config_path)),
        patterns=OpenCodeSource.patterns,
    )
)
