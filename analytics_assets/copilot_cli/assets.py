"""Dagster wiring for GitHub Copilot CLI's OTel file export. Logic in otel_file.py and load.py."""

from .. import project_config
from ..ingest.assets import IngestDefinition, build_ingest
from .load import CopilotCliSource, copilot_cli_roots
from .schemas import SCHEMAS

COPILOT_CLI = build_ingest(
    IngestDefinition(
        name="ingest_copilot_cli_otel",
        landing="copilot_cli",
        landing_description="GitHub Copilot CLI's OpenTelemetry file export (COPILOT_OTEL_EXPORTER_TYPE=file): "
        "landing/copilot_cli/<machine>/otel/*.jsonl and this machine's ~/.copilot/otel/ (and the folder of "
        "COPILOT_OTEL_FILE_EXPORTER_PATH). Append-only; read by cursor.",
        description="Read the model calls with token usage (chat spans, inference and agent-turn logs, invoke_agent "
        "summaries) from Copilot CLI's OTel file export, validate with pandera, load raw.copilot_cli_usage and quarantine "
        "what fails; dbt keeps the most precise record of each call.",
        tables={"copilot_cli_usage": "raw.copilot_cli_usage"},
        table_descriptions={
            "copilot_cli_usage": "One row per Copilot CLI usage record (kind: chat, inference_log, agent_turn, agent_summary): "
            "trace, response id, session, model, input (cache reads out), output, cache read and creation, reasoning tokens.",
        },
        schemas=SCHEMAS,
        preview_columns={"copilot_cli_usage": ["event_at", "machine", "kind", "model", "input_tokens", "output_tokens"]},
        make_source=lambda config, salt, s: CopilotCliSource(s.landing_dir),
        roots=lambda s: copilot_cli_roots(s.landing_dir, project_config.load(s.config_path)),
        patterns=CopilotCliSource.patterns,
    )
)
