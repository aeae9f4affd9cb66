"""Dagster wiring for transcript ingestion: Claude Code and Codex histories. Logic in load.py."""

from .. import project_config
from ..ingest.assets import IngestDefinition, build_ingest
from .load import ClaudeSource, CodexSource, claude_roots, codex_roots
from .schemas import SCHEMAS

CLAUDE = build_ingest(
    IngestDefinition(
        name="ingest_claude_transcripts",
        landing="claude",
        landing_description="Claude Code transcripts (`projects/<project>/<session>.jsonl`) under landing/claude/<machine>/ "
        "and this machine's own (CLAUDE_CONFIG_DIR, else ~/.config/claude and ~/.claude). Append-only; read by cursor.",
        description="Read new assistant lines with usage from Claude Code transcripts, validate with pandera, load "
        "raw.claude_requests (one row per request: of the lines sharing a message.id + requestId, the one with the largest "
        "token total) and quarantine what fails.",
        tables={"claude_requests": "raw.claude_requests"},
        table_descriptions={
            "claude_requests": "One row per Claude Code request (transcript lines that carry message.usage; streaming "
            "writes and resumed-session copies of a request collapse to its line with the largest token total): ids, model, "
            "the four token counts and the 5-minute/1-hour cache split, costUSD, session, project, branch, machine.",
        },
        schemas=SCHEMAS,
        preview_columns={"claude_requests": ["event_at", "machine", "project", "model", "input_tokens", "output_tokens", "reported_cost_usd"]},
        make_source=lambda config, salt, s: ClaudeSource(s.landing_dir),
        roots=lambda s: claude_roots(s.landing_dir, project_config.load(s.config_path)),
        patterns=ClaudeSource.patterns,
    )
)

CODEX = build_ingest(
    IngestDefinition(
        name="ingest_codex_sessions",
        landing="codex",
        landing_description="Codex CLI session logs (`sessions/YYYY/MM/DD/rollout-*.jsonl`) under landing/codex/<machine>/ "
        "and this machine's own (CODEX_HOME, else ~/.codex). Append-only; read by cursor.",
        description="Read session_meta, turn_context and token_count events from Codex session logs, validate with "
        "pandera, load raw.codex_events (per-turn deltas are computed in dbt) and quarantine what fails.",
        tables={"codex_events": "raw.codex_events"},
        table_descriptions={
            "codex_events": "Codex session events: the model of each turn context and the cumulative token totals of each "
            "token_count event (input, cached input, output, reasoning), with session, cwd and machine.",
        },
        schemas=SCHEMAS,
        preview_columns={"codex_events": ["event_at", "machine", "event_type", "model", "total_input_tokens", "total_output_tokens"]},
        make_source=lambda config, salt, s: CodexSource(s.landing_dir),
        roots=lambda s: codex_roots(s.landing_dir, project_config.load(s.config_path)),
        patterns=CodexSource.patterns,
    )
)
