"""Shared fixtures: an isolated project environment (warehouse, landing, DAGSTER_HOME in tmp),
generated demo data, and the public OTLP samples in ../shared (skipped cleanly when absent)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from analytics_assets.config import PROJECT_ROOT
from analytics_assets.demo import generate

SHARED_FIXTURES = PROJECT_ROOT.parent / "shared" / "fixtures"
DEMO_END = dt.date(2026, 11, 20)


def days_tags(start, end=DEMO_END) -> dict[str, str]:
    """Run tags for one run over the daily partitions [start, end]: the daily marts (and Copilot) take the
    range, every unpartitioned asset runs once (all carry a single-run backfill policy)."""
    return {"dagster/asset_partition_range_start": str(start), "dagster/asset_partition_range_end": str(end)}


DEMO_DAYS = days_tags(DEMO_END - dt.timedelta(days=20))  # the session demo's 21 days


@pytest.fixture
def shared_fixtures() -> Path:
    if not SHARED_FIXTURES.exists():
        pytest.skip("../shared/fixtures is not present (a user's clone has no ../shared)")
    return SHARED_FIXTURES


def make_project_env(tmp_path: Path, monkeypatch) -> dict[str, Path]:
    """ANALYTICS_* pointing into tmp_path; returns the paths."""
    paths = {
        "duckdb": tmp_path / "data" / "warehouse.duckdb",
        "landing": tmp_path / "landing",
        "output": tmp_path / "output",
        "dagster_home": tmp_path / "dagster_home",
    }
    paths["landing"].mkdir(parents=True, exist_ok=True)
    (paths["landing"] / "otlp").mkdir(exist_ok=True)
    paths["dagster_home"].mkdir(exist_ok=True)
    # The agents' own folders on this machine stay out of tests: only landing/ is read.
    (tmp_path / "home-claude").mkdir(exist_ok=True)
    (tmp_path / "home-codex").mkdir(exist_ok=True)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "home-claude"))
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "home-codex"))
    monkeypatch.setenv("ANALYTICS_CONFIG", str(tmp_path / "analytics.yaml"))  # none: defaults
    shutil.copy(PROJECT_ROOT / "dagster.yaml", paths["dagster_home"] / "dagster.yaml")
    monkeypatch.setenv("ANALYTICS_DUCKDB_PATH", str(paths["duckdb"]))
    monkeypatch.setenv("ANALYTICS_LANDING_DIR", str(paths["landing"]))
    monkeypatch.setenv("ANALYTICS_OUTPUT_DIR", str(paths["output"]))
    monkeypatch.setenv("ANALYTICS_HASH_SALT", "test-salt")
    monkeypatch.setenv("DAGSTER_HOME", str(paths["dagster_home"]))
    return paths


@pytest.fixture(autouse=True)
def dbt_target_of_its_own(tmp_path, monkeypatch):
    """dbt's CLI writes its artifacts into its target folder, manifest.json too and not atomically: a test's dbt
    command left with the project's default target (dbt/target) rewrote the manifest while another worker's
    process read it to load the code location (a truncated JSON). Each test's dbt commands write under its own
    tmp_path; the runs set their own target beside the warehouse anyway."""
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "dbt-target"))


@pytest.fixture
def project_env(tmp_path, monkeypatch):
    """ANALYTICS_* pointing into tmp_path; returns the paths."""
    return make_project_env(tmp_path, monkeypatch)


@pytest.fixture(scope="session")
def demo_landing(tmp_path_factory) -> tuple[Path, dict]:
    """A small but complete demo landing folder (every source), generated once per session."""
    landing = tmp_path_factory.mktemp("demo") / "landing"
    manifest = generate(landing, days_count=21, developer_count=5, seed=11, scale=1.0, end=DEMO_END)
    return landing, manifest


def otlp_line(resource_key: str, scope_key: str, records_key: str, records: list[dict], resource_attrs=None) -> bytes:
    request = {resource_key: [{"resource": {"attributes": resource_attrs or []},
                               scope_key: [{"scope": {"name": "test"}, records_key: records}]}]}
    return json.dumps(request, separators=(",", ":")).encode()


def span(trace_id: str, span_id: str, attrs: list[dict] | None = None, start: int | str = "1763600000000000000") -> dict:
    record = {"spanId": span_id, "name": "s", "startTimeUnixNano": start, "endTimeUnixNano": str(int(start) + 1_000_000)}
    if trace_id is not None:
        record["traceId"] = trace_id
    record["attributes"] = attrs or []
    return record


def spans_line(*spans: dict) -> bytes:
    return otlp_line("resourceSpans", "scopeSpans", "spans", list(spans))


def int_attr(key: str, value) -> dict:
    return {"key": key, "value": {"intValue": value}}


# The longest modules first (each starts whole graphs, a PostgreSQL or a browser): make test hands tests to its two
# workers a module at a time (--dist loadfile: xdist 3.8's loadgroup did not keep a group on one worker), and short tests at the end fill both workers instead of one long test
# running alone. A stable sort: the order within a module is kept.
LONGEST_FIRST = ("test_server.py", "test_lake.py", "test_outputs.py", "test_late_data.py", "test_pipeline.py",
                 "test_retention.py", "test_own_data.py", "test_hostile_strings.py", "test_ccusage_parity.py",
                 "test_copilot_pipeline.py", "test_run_worker.py", "test_community.py", "test_transcripts.py",
                 "test_crash_safety.py", "test_push.py", "test_git_attribution.py", "test_copilot_cli.py",
                 "test_attribution_hard_cases.py", "test_opencode.py", "test_fast_otlp.py", "test_agent_telemetry.py",
                 "test_codex_telemetry.py", "test_writer_pool.py", "test_parsed_project.py", "test_gemini.py")


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONGEST_FIRST)))
