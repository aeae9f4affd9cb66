"""Dagster wiring shared by every landing source: the landing asset, the ingest multi-asset with
one blocking pandera check per raw table, a refresh job and an hourly fallback schedule (one
sensor watches every source: landing_sensor.py). Each source declares an `IngestDefinition`; the logic lives in its source."""

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

import dagster as dg
import pandera.polars as pa
import polars as pl

from .. import warehouse
from ..config import Settings, hash_salt, settings
from ..partitions import ONE_RUN, SCHEDULE_TIMEZONE
from ..transform.dbt_assets import refresh_selection
from ..resources import WarehouseResource, retried_on_lake_conflict, writer_pool
from .landing import landing_paths
from .runner import IngestStats, LineSource, days_loaded, has_new_bytes, read_ahead, run_ingest


class IngestConfig(dg.Config):
    max_quarantine_share: float = 0.5  # a run quarantining more than this fails its blocking checks
    max_line_bytes: int = 32 << 20
    batch_bytes: int = 0  # 0: the source's own (OTLP 32 MB, transcripts 64 MB)
    keep_names: bool = False  # opt into storing identities in clear (DESIGN.md, Privacy)


@dataclass(frozen=True)
class IngestDefinition:
    name: str  # the multi-asset's name, e.g. "ingest_otlp"
    landing: str  # landing asset key's last part: landing/<landing>
    landing_description: str
    description: str
    tables: Mapping[str, str]  # frame -> raw table
    table_descriptions: Mapping[str, str]
    schemas: Mapping[str, type[pa.DataFrameModel]]
    preview_columns: Mapping[str, Sequence[str]]
    make_source: Callable[[IngestConfig, bytes, Settings], LineSource]
    roots: Callable[[Settings], list[Path]]
    patterns: tuple[str, ...]  # the source's file patterns: the sensor watches what the ingest reads

    @property
    def landing_key(self) -> dg.AssetKey:
        return dg.AssetKey(["landing", self.landing])

    def raw_key(self, frame: str) -> dg.AssetKey:
        return dg.AssetKey(self.tables[frame].split("."))


def _preview(con, table: str, columns: Sequence[str], run_started) -> str:
    frame = con.execute(
        f"SELECT {', '.join(columns)} FROM {table} WHERE ingested_at >= ? ORDER BY 1 DESC NULLS LAST LIMIT 5", [run_started]
    ).pl()
    if frame.height == 0:
        return "_no new rows in this run_"
    header = "| " + " | ".join(frame.columns) + " |\n|" + "---|" * len(frame.columns) + "\n"
    return header + "\n".join("| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in frame.iter_rows())


def contract_verdict(asset_key: dg.AssetKey, schema: type[pa.DataFrameModel], loaded: pl.DataFrame, seen: int, bad: int,
                     max_share: float) -> dg.AssetCheckResult:
    """The blocking `pandera_contract` check of one raw table: the schema holds on the rows this run
    stored, and no more than `max_share` of what the run read was quarantined."""
    # DuckDB names the zone "Etc/UTC"; the contracts (and the ingest frames) say "UTC".
    loaded = loaded.with_columns(pl.col(pl.Datetime).dt.convert_time_zone("UTC"))
    failures = None
    try:
        schema.validate(loaded, lazy=True)
    except pa.errors.SchemaErrors as exc:  # report, don't raise: the check fails instead
        failures = str(exc)[:2000]
    share = bad / seen if seen else 0.0
    passed = failures is None and share <= max_share
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name="pandera_contract",
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=None if passed else (failures or f"quarantined share {share:.1%} exceeds {max_share:.0%}"),
        metadata={
            "pandera_verdict": "valid" if failures is None else "invalid",
            "rows_validated": loaded.height,
            "quarantined_share": float(round(share, 4)),
            "max_quarantine_share": max_share,
        },
    )


def contract_spec(key: dg.AssetKey, schema: type[pa.DataFrameModel]) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        "pandera_contract",
        asset=key,
        blocking=True,
        description=f"pandera schema {schema.__name__} holds on the rows this run loaded, and the run "
        "quarantined no more than max_quarantine_share of what it read (a format break stops the marts).",
    )


def _verdict(con, defn: IngestDefinition, frame: str, stats: IngestStats, run_started, config: IngestConfig) -> dg.AssetCheckResult:
    loaded = con.execute(f"SELECT * FROM {defn.tables[frame]} WHERE ingested_at >= ?", [run_started]).pl()
    seen = stats.records[frame] + stats.quarantined["undecoded"]
    bad = stats.quarantined[frame] + stats.quarantined["undecoded"]
    return contract_verdict(defn.raw_key(frame), defn.schemas[frame], loaded, seen, bad, config.max_quarantine_share)


def landing_signature(paths) -> str:
    digest = hashlib.sha256()
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            continue
        digest.update(f"{path}\0{stat.st_ino}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:32]


def covered(defn: IngestDefinition, current) -> bool:
    """On a sensor's first evaluation (a new instance, `make ui` after `make run`): whether the warehouse
    already holds every landing file's bytes, so that no run is launched to find out."""
    return warehouse.holds(current.duckdb_path, lambda con: not has_new_bytes(
        con, defn.make_source(IngestConfig(), hash_salt(current.duckdb_path), current), defn.roots(current)))


def build_ingest(defn: IngestDefinition) -> dict:
    """The landing spec, ingest multi-asset, refresh job and schedule of one source."""
    landing = dg.AssetSpec(key=defn.landing_key, description=defn.landing_description, group_name="landing", kinds={"file"})
    specs = [
        dg.AssetSpec(
            key=defn.raw_key(frame),
            deps=[defn.landing_key],
            description=defn.table_descriptions[frame],
            group_name="raw",
            kinds={"polars", "duckdb"},
            metadata={"table": table},
        )
        for frame, table in defn.tables.items()
    ]
    checks = [contract_spec(defn.raw_key(frame), defn.schemas[frame]) for frame in defn.tables]

    @dg.multi_asset(name=defn.name, specs=specs, check_specs=checks, pool=writer_pool(defn.name), backfill_policy=ONE_RUN,
                    description=defn.description)
    @retried_on_lake_conflict
    def ingest(context: dg.AssetExecutionContext, config: IngestConfig, warehouse: WarehouseResource):
        current = settings()
        roots = defn.roots(current)
        started = time.perf_counter()
        source = defn.make_source(config, hash_salt(warehouse.path), current)
        # Listing (and, from the last run's cursor hint, reading) the landing files while DuckDB opens the warehouse.
        ahead = read_ahead(source, roots, warehouse.path, config.batch_bytes or None, config.max_line_bytes)
        with warehouse.connect() as con:
            run_started = con.execute("SELECT now()").fetchone()[0]
            stats = run_ingest(con, source, roots, config.batch_bytes or None, config.max_line_bytes, ahead=ahead)
            elapsed = time.perf_counter() - started
            for note in stats.notes:
                context.log.warning(note)
            status = (
                f"no {defn.landing} files under {', '.join(map(str, roots)) or 'any root'}: nothing to ingest"
                if stats.files_seen == 0
                else f"{stats.files_read} of {stats.files_seen} files had new bytes"
            )
            records = sum(stats.records.values())
            touched = days_loaded(con, defn.tables.values(), run_started, stats) if stats.event_dates else []
            for frame, table in defn.tables.items():
                yield dg.MaterializeResult(
                    asset_key=defn.raw_key(frame),
                    metadata={
                        "status": status,
                        "roots": dg.MetadataValue.json([str(r) for r in roots]),
                        "records_read": stats.records[frame],
                        "rows_loaded": stats.loaded[frame],
                        "rows_duplicated": stats.duplicates[frame],
                        "rows_replaced": stats.replaced[frame],
                        "rows_quarantined": stats.quarantined[frame],
                        "undecoded_quarantined": stats.quarantined["undecoded"],
                        "lines_read": stats.lines,
                        "lines_skipped": stats.lines_skipped,
                        "bytes_read": stats.bytes_read,
                        "files_read": stats.files_read,
                        "event_dates_touched": dg.MetadataValue.json(touched),
                        "records_per_second": float(round(records / elapsed, 1)) if elapsed else 0.0,
                        "dagster/row_count": con.execute(f"SELECT count(*) FROM {table}").fetchone()[0],
                        "preview": dg.MetadataValue.md(_preview(con, table, defn.preview_columns[frame], run_started)),
                    },
                )
                yield _verdict(con, defn, frame, stats, run_started, config)

    job = dg.define_asset_job(
        f"{defn.landing}_refresh",
        selection=refresh_selection(ingest),
        description=f"Ingest new {defn.landing} bytes, rebuild the dbt models over them and their readers, and rewrite "
        "the dashboard and exports, and the days it touched of the daily marts it feeds (landing_sensor runs landing_refresh, "
        "the same for every source that changed).",
    )

    schedule = dg.ScheduleDefinition(
        name=f"{defn.landing}_hourly",
        job=job,
        cron_schedule="7 * * * *",
        execution_timezone=SCHEDULE_TIMEZONE,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=f"Hourly fallback for landing_sensor (e.g. when the sensor daemon was down). Stopped by "
        "default: the sensor is the primary trigger; ingestion is idempotent, so running both is harmless.",
    )
    return {"definition": defn, "landing": landing, "asset": ingest, "job": job, "schedule": schedule}
