"""The exports asset: every mart as Parquet, CSV and JSON lines under <output>/exports/<date>/,
each file written to a temporary name and renamed into place (a reader never sees half a file),
with a manifest.json of row counts and SHA-256 checksums. Formats and marts come from `exports:`
in analytics.yaml (default: every mart, every format)."""

import datetime as dt
import hashlib
import json

import dagster as dg

from .. import project_config
from ..config import settings
from ..files import copy_query_atomically, write_text_atomically
from ..partitions import AFTER_THE_DASHBOARD
from ..resources import WarehouseResource, mart_reader

FORMATS = {"parquet": "(FORMAT parquet, COMPRESSION zstd)", "csv": "(FORMAT csv, HEADER true)", "jsonl": "(FORMAT json)"}
# A CSV cell a spreadsheet would read as a formula (=, +, -, @; tab and carriage return too, OWASP's list) gets
# a leading apostrophe: names and messages come from anyone holding a token. Parquet and JSON keep the text as is.
FORMULA_START = "^[=+\\-@\t\r]"


def csv_select(con, mart: str) -> str:
    """The mart's SELECT for CSV: every text column neutralised for spreadsheets."""
    parts = []
    for name, kind, *_ in con.execute(f'DESCRIBE marts."{mart}"').fetchall():
        quoted = '"' + name.replace('"', '""') + '"'
        if kind == "VARCHAR":
            parts.append(f"CASE WHEN regexp_matches({quoted}, '{FORMULA_START}') THEN chr(39) || {quoted} ELSE {quoted} END AS {quoted}")
        else:
            parts.append(quoted)
    return f'SELECT {", ".join(parts)} FROM marts."{mart}"'


def _sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_marts(con, folder, marts: list[str] | None, formats: list[str]) -> dict:
    """Write the marts; returns the manifest (also written, last, as manifest.json)."""
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"exports.formats: unknown {unknown}; choose from {sorted(FORMATS)}")
    available = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' "
                                           "ORDER BY 1").fetchall()]
    chosen = available if not marts else [m for m in marts if m in available]
    missing = sorted(set(marts or []) - set(available))
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for mart in chosen:
        rows = con.execute(f'SELECT count(*) FROM marts."{mart}"').fetchone()[0]
        for fmt in formats:
            target = folder / f"{mart}.{fmt}"
            query = csv_select(con, mart) if fmt == "csv" else f'SELECT * FROM marts."{mart}"'
            copy_query_atomically(con, query, target, FORMATS[fmt])
            files.append({"mart": mart, "format": fmt, "file": target.name, "rows": rows, "bytes": target.stat().st_size,
                          "sha256": _sha256(target)})
    manifest = {"generated_at": dt.datetime.now(dt.timezone.utc).isoformat(), "marts": chosen, "formats": formats,
                "missing_marts": missing, "files": files}
    write_text_atomically(folder / "manifest.json", json.dumps(manifest, indent=2))
    return manifest


@dg.asset(
    key=["exports", "marts"],
    deps=[dg.AssetKey(["marts", m]) for m in ("fct_agent_requests", "fct_agent_costs", "fct_daily_agent_usage", "fct_agent_sessions",
                                              "fct_git_commits", "fct_commits_daily", "fct_roi_monthly", "fct_copilot_usage",
                                              "fct_copilot_user_daily", "fct_license_utilisation", "fact_instance_usage",
                                              "fact_tool_usage", "fact_cost_daily", "dim_agents", "dim_developers", "dim_command",
                                              "dim_tool")],
    **mart_reader(None),
    group_name="outputs",
    kinds={"parquet", "csv", "json"},
    op_tags=AFTER_THE_DASHBOARD,
    description="Every mart as Parquet, CSV and JSON lines under exports/<date>/ (atomic temp file + rename), with "
    "manifest.json: row counts and SHA-256 checksums. CSV text cells starting with =, +, -, @, tab or CR get a "
    "leading ' (no formulas when opened in a spreadsheet). `exports: {marts: [...], formats: [parquet, csv, jsonl]}` in "
    "analytics.yaml narrows it.",
)
def exports(warehouse: WarehouseResource) -> dg.MaterializeResult:
    outputs = project_config.load(settings().config_path).outputs
    formats = list(outputs.export_formats) or list(FORMATS)
    folder = settings().output_dir / "exports" / dt.datetime.now(dt.timezone.utc).date().isoformat()
    with warehouse.connect() as con:
        manifest = export_marts(con, folder, list(outputs.export_marts), formats)
    table = "| mart | rows |\n|---|---|\n" + "\n".join(
        f"| {f['mart']} | {f['rows']:,} |" for f in manifest["files"] if f["format"] == formats[0])
    return dg.MaterializeResult(metadata={
        "folder": dg.MetadataValue.path(str(folder)), "files": len(manifest["files"]), "formats": ", ".join(formats),
        "marts": len(manifest["marts"]), "missing_marts": ", ".join(manifest["missing_marts"]) or "none",
        "rows": dg.MetadataValue.md(table),
    })
