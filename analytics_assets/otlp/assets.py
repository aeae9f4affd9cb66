"""Dagster wiring for OTLP ingestion (landing/otlp -> raw.otlp_*). Logic lives in load.py."""

from .. import project_config
from ..ingest.assets import IngestDefinition, build_ingest
from .load import TABLES, OtlpSource
from .schemas import SCHEMAS

OTLP = build_ingest(
    IngestDefinition(
        name="ingest_otlp",
        landing="otlp",
        landing_description="OTLP/JSON files in landing/otlp/ (collector `file` exporter format, or one pretty-printed "
        "request per file), written by the receiver or an OpenTelemetry Collector. Append-only; read by cursor.",
        description="Read new complete lines from landing/otlp/, flatten with polars, validate with pandera, load "
        "raw.otlp_* (idempotent keys) and quarantine what fails.",
        tables=TABLES,
        table_descriptions={
            "spans": "OTLP spans, one row per trace_id+span_id; Zen attributes typed (tokens, costs, command, tools).",
            "logs": "OTLP log records, one row per record (content hash); Claude Code event attributes typed, identities hashed.",
            "metric_points": "OTLP metric data points (sum, gauge, histogram, exponential histogram, summary) with "
            "temporality and monotonicity.",
        },
        schemas=SCHEMAS,
        preview_columns={
            "spans": ["start_time", "span_name", "service_name", "zen_command_type", "zen_tokens_total", "zen_cost_usd_total"],
            "logs": ["time", "service_name", "event_name", "model", "input_tokens", "output_tokens", "cost_usd"],
            "metric_points": ["time", "metric_name", "metric_type", "temporality", "value", "type"],
        },
        make_source=lambda config, salt, s: OtlpSource(salt, config.keep_names or project_config.load(s.config_path).keep_names),
        roots=lambda s: [s.otlp_dir],
        patterns=OtlpSource.patterns,
    )
)
