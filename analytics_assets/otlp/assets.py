"""Dagster wiring for OTLP ingestion: the landing asset, the ingest multi-asset with its blocking
pandera checks, and the sensor + hourly schedule that keep it fresh. Logic lives in load.py."""


import hashlib
import os
import time

import dagster as dg
import polars as pl

from ..config import hash_salt, settings
from ..ingest.landing import landing_files
from ..resources import WRITER_POOL, WarehouseResource
from ..ingest.runner import IngestStats
from .load import TABLES, ingest_otlp
from .schemas import SCHEMAS

LANDING_OTLP = dg.AssetKey(["landing", "otlp"])
RAW_KEYS = {signal: dg.AssetKey(table.split(".")) for signal, table in TABLES.items()}
PREVIEW_COLUMNS = {
    "spans": ["start_time", "span_name", "service_name", "zen_command_type", "zen_tokens_total", "zen_cost_usd_total"],
    "logs": ["time", "service_name", "event_name", "model", "input_tokens", "output_tokens", "cost_usd"],
    "metric_points": ["time", "metric_name", "metric_type", "temporality", "value", "type"],
}
DESCRIPTIONS = {
    "spans": "OTLP spans, one row per trace_id+span_id; Zen attributes typed (tokens, costs, command, tools).",
    "logs": "OTLP log records, one row per record (content hash); Claude Code event attributes typed, identities hashed.",
    "metric_points": "OTLP metric data points (sum, gauge, histogram, exponential histogram, summary) with temporality and monotonicity.",
}


class OtlpIngestConfig(dg.Config):
    max_quarantine_share: float = 0.5  # a run quarantining more than this fails its blocking checks
    max_line_bytes: int = 32 << 20
    batch_bytes: int = 64 << 20
    keep_names: bool = False  # opt into storing identities in clear (DESIGN.md, Privacy)


landing_otlp = dg.AssetSpec(
    key=LANDING_OTLP,
    description="OTLP/JSON files in landing/otlp/ (collector `file` exporter format, or one pretty-printed request per file), "
    "written by the receiver or an OpenTelemetry Collector. Append-only; read by cursor.",
    group_name="landing",
    kinds={"file"},
)


def _specs() -> list[dg.AssetSpec]:
    return [
        dg.AssetSpec(
            key=RAW_KEYS[signal],
            deps=[LANDING_OTLP],
            description=DESCRIPTIONS[signal],
            group_name="raw",
            kinds={"polars", "duckdb"},
            metadata={"table": TABLES[signal]},
        )
        for signal in TABLES
    ]


def _check_specs() -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            "pandera_contract",
            asset=RAW_KEYS[signal],
            blocking=True,
            description=f"pandera schema {SCHEMAS[signal].__name__} holds on the rows this run loaded, and the run quarantined "
            "no more than max_quarantine_share of what it read (a format break stops the marts).",
        )
        for signal in TABLES
    ]


def _preview(con, signal: str, run_started) -> str:
    cols = ", ".join(PREVIEW_COLUMNS[signal])
    frame = con.execute(
        f"SELECT {cols} FROM {TABLES[signal]} WHERE ingested_at >= ? ORDER BY 1 DESC LIMIT 5", [run_started]
    ).pl()
    if frame.height == 0:
        return "_no new rows in this run_"
    header = "| " + " | ".join(frame.columns) + " |\n|" + "---|" * len(frame.columns) + "\n"
    return header + "\n".join("| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in frame.iter_rows())


def _verdict(con, signal: str, stats: IngestStats, run_started, config: OtlpIngestConfig) -> dg.AssetCheckResult:
    loaded = con.execute(f"SELECT * FROM {TABLES[signal]} WHERE ingested_at >= ?", [run_started]).pl()
    # DuckDB names the zone "Etc/UTC"; the contract (and the ingest frames) say "UTC".
    loaded = loaded.with_columns(pl.col(pl.Datetime).dt.convert_time_zone("UTC"))
    failures = None
    try:
        SCHEMAS[signal].validate(loaded, lazy=True)
    except Exception as exc:  # pandera SchemaErrors: report, don't raise (the check fails instead)
        failures = str(exc)[:2000]
    seen = stats.records[signal] + stats.quarantined["undecoded"]
    bad = stats.quarantined[signal] + stats.quarantined["undecoded"]
    share = bad / seen if seen else 0.0
    passed = failures is None and share <= config.max_quarantine_share
    return dg.AssetCheckResult(
        asset_key=RAW_KEYS[signal],
        check_name="pandera_contract",
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=None if passed else (failures or f"quarantined share {share:.1%} exceeds {config.max_quarantine_share:.0%}"),
        metadata={
            "pandera_verdict": "valid" if failures is None else "invalid",
            "rows_validated": loaded.height,
            "quarantined_share": float(round(share, 4)),
            "max_quarantine_share": config.max_quarantine_share,
        },
    )


@dg.multi_asset(
    name="ingest_otlp",
    specs=_specs(),
    check_specs=_check_specs(),
    pool=WRITER_POOL,
    description="Read new complete lines from landing/otlp/, flatten with polars, validate with pandera, load raw.otlp_* "
    "(idempotent keys) and quarantine what fails.",
)
def ingest_otlp_asset(context: dg.AssetExecutionContext, config: OtlpIngestConfig, warehouse: WarehouseResource):
    otlp_dir = settings().otlp_dir
    started = time.perf_counter()
    with warehouse.connect() as con:
        run_started = con.execute("SELECT now()").fetchone()[0]
        stats = ingest_otlp(
            con, otlp_dir, hash_salt(warehouse.path), config.keep_names, config.batch_bytes, config.max_line_bytes
        )
        elapsed = time.perf_counter() - started
        for note in stats.notes:
            context.log.warning(note)
        message = (
            f"no OTLP files in {otlp_dir}: nothing to ingest" if stats.files_seen == 0
            else f"{stats.files_read} of {stats.files_seen} files had new bytes"
        )
        records = sum(stats.records.values())
        for signal, table in TABLES.items():
            total = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            yield dg.MaterializeResult(
                asset_key=RAW_KEYS[signal],
                metadata={
                    "status": message,
                    "records_read": stats.records[signal],
                    "rows_loaded": stats.loaded[signal],
                    "rows_duplicated": stats.duplicates[signal],
                    "rows_quarantined": stats.quarantined[signal],
                    "undecoded_quarantined": stats.quarantined["undecoded"],
                    "lines_read": stats.lines,
                    "bytes_read": stats.bytes_read,
                    "files_read": stats.files_read,
                    "event_dates_touched": dg.MetadataValue.json(stats.touched_dates()),
                    "records_per_second": float(round(records / elapsed, 1)) if elapsed else 0.0,
                    "dagster/row_count": total,
                    "preview": dg.MetadataValue.md(_preview(con, signal, run_started)),
                },
            )
            yield _verdict(con, signal, stats, run_started, config)


def _landing_signature(paths) -> str:
    digest = hashlib.sha256()
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            continue
        digest.update(f"{path}\0{stat.st_ino}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:32]


otlp_refresh_job = dg.define_asset_job(
    "otlp_refresh",
    selection=dg.AssetSelection.assets(ingest_otlp_asset).downstream(),
    description="Ingest new OTLP bytes and rebuild everything downstream of them (staging, Zen marts).",
)


@dg.sensor(
    job=otlp_refresh_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Launches otlp_refresh when files in landing/otlp/ gain bytes (or appear, rotate, shrink). The run_key is "
    "a digest of every file's identity and size, so one landing state launches one run, however many ticks see it.",
)
def otlp_landing_sensor(context: dg.SensorEvaluationContext):
    otlp_dir = settings().otlp_dir
    paths = landing_files(otlp_dir)
    signature = _landing_signature(paths)
    files = len(paths)
    if files == 0:
        return dg.SkipReason(f"no OTLP files in {otlp_dir}")
    if signature == context.cursor:
        return dg.SkipReason("no new bytes since the last run request")
    context.update_cursor(signature)
    return dg.RunRequest(run_key=f"otlp-{signature}", tags={"landing_files": str(files)})


otlp_hourly_schedule = dg.ScheduleDefinition(
    name="otlp_hourly",
    job=otlp_refresh_job,
    cron_schedule="7 * * * *",
    execution_timezone=os.environ.get("ANALYTICS_TIMEZONE", "UTC"),
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Hourly fallback for the landing sensor (e.g. when the sensor daemon was down). Stopped by default: the "
    "sensor is the primary trigger; ingestion is idempotent, so running both is harmless.",
)
