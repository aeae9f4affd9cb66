"""Retention: raw rows past their window are purged, daily-mart days past theirs too; a day whose mart
partition still has to take late rows is held back; aggregates outlive the raw rows, even through a
rebuild of every partition."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from analytics_assets.definitions import defs
from analytics_assets.project_config import ConfigError, RetentionConfig, load
from analytics_assets.retention.assets import purged_rows
from analytics_assets.transcripts.assets import CLAUDE
from analytics_assets.transform.dbt_assets import dbt_daily_marts, dbt_models

from .conftest import days_tags
from .test_late_data import _daily, _write

TODAY = dt.datetime.now(dt.timezone.utc).date()
AGO = {n: TODAY - dt.timedelta(days=n) for n in (80, 50, 40, 20, 5)}


def _run(instance, *assets, **kwargs) -> dg.ExecuteInProcessResult:
    result = dg.materialize([*defs.assets, *defs.asset_checks], instance=instance, resources=defs.resources,
                            selection=dg.AssetSelection.assets(*assets), **kwargs)
    assert result.success
    return result


def _raw_days(path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {str(d): n for d, n in con.execute("SELECT event_date, count(*) FROM raw.claude_requests GROUP BY 1").fetchall()}


def test_purge_keeps_what_marts_still_need_and_aggregates_outlive_raw_rows(project_env):
    Path(os.environ["ANALYTICS_CONFIG"]).write_text(yaml.safe_dump({"retention": {"raw_days": 30, "daily_marts_days": 60}}))
    projects = project_env["landing"] / "claude" / "ada-laptop" / "projects" / "-home-ada-src-api"
    for n, day in AGO.items():
        _write(projects / f"s{n}.jsonl", day, 3, f"s{n}")
    every_day = days_tags(AGO[80], TODAY)
    with dg.instance_for_test(temp_dir=str(project_env["dagster_home"])) as instance:
        _run(instance, CLAUDE["asset"], dbt_models, dbt_daily_marts, tags=every_day)
        built = _daily(project_env["duckdb"])
        assert set(built) == {str(d) for d in AGO.values()}
        # Late rows for the day 40 days ago land and are ingested, but its mart partition is not rebuilt yet.
        _write(projects / "late.jsonl", AGO[40], 2, "late")
        _run(instance, CLAUDE["asset"])

        meta = _run(instance, purged_rows).asset_materializations_for_node("retention__purged_rows")[0].metadata
        # Raw: 80 and 50 days ago are past 30 days and go; 40 days ago is held for its partition.
        assert _raw_days(project_env["duckdb"]) == {str(AGO[40]): 5, str(AGO[20]): 3, str(AGO[5]): 3}
        assert meta["days_held"].value == [str(AGO[40])]
        # Daily marts: 80 days ago is past 60 days and goes; 50 days ago stays although its raw rows are gone.
        daily = _daily(project_env["duckdb"])
        assert set(daily) == {str(AGO[n]) for n in (50, 40, 20, 5)} and daily[str(AGO[50])] == built[str(AGO[50])]
        purged = {row.split(" | ")[0].strip("| "): row for row in meta["purges"].value.splitlines()}
        assert "| 6 |" in purged["raw.claude_requests"]  # 3 rows on each of two days
        assert meta["raw_rows_purged"].value == 6 and meta["daily_mart_rows_purged"].value == 1

        # Rebuild every partition (a full backfill): the days retention purged keep their aggregates (raw.purged_days),
        # the held day takes its late rows, and once built it is purged on the next run.
        _run(instance, dbt_models, dbt_daily_marts, tags=every_day)
        rebuilt = _daily(project_env["duckdb"])
        assert str(AGO[80]) not in rebuilt and rebuilt[str(AGO[50])] == built[str(AGO[50])]
        assert rebuilt[str(AGO[20])] == built[str(AGO[20])] and rebuilt[str(AGO[40])][0] == 5
        meta = _run(instance, purged_rows).asset_materializations_for_node("retention__purged_rows")[0].metadata
        assert meta["days_held"].value == [] and _raw_days(project_env["duckdb"]) == {str(AGO[20]): 3, str(AGO[5]): 3}


def test_codex_sessions_are_purged_whole(project_env):
    from analytics_assets.retention.rules import Purge, purge

    con = duckdb.connect(":memory:")
    con.execute("CREATE SCHEMA raw; CREATE TABLE raw.codex_events (session_id VARCHAR, event_date DATE)")
    cutoff = dt.date(2026, 6, 1)
    con.execute("INSERT INTO raw.codex_events VALUES ('old', '2026-05-01'), ('old', '2026-05-02'), "
                "('spans', '2026-05-30'), ('spans', '2026-06-02'), (NULL, '2026-05-01'), (NULL, '2026-06-05')")
    done = purge(con, Purge("raw.codex_events", "event_date", 30, cutoff), [])
    assert done.rows == 3
    assert sorted(con.execute("SELECT coalesce(session_id, '-'), CAST(event_date AS VARCHAR) FROM raw.codex_events").fetchall()) == [
        ("-", "2026-06-05"), ("spans", "2026-05-30"), ("spans", "2026-06-02")]


def test_retention_config(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text(yaml.safe_dump({"retention": {"raw_days": 90, "tables": {"raw.quarantine": 7, "marts.fact_cost_daily": 0}}}))
    config = load(path).retention
    assert (config.days("raw.otlp_spans"), config.days("raw.quarantine"), config.days("marts.fact_cost_daily")) == (90, 7, 0)
    assert config.days("raw.copilot_seats") == config.days("marts.fct_copilot_usage") == 1095
    assert RetentionConfig(raw_days=0).raw_cutoff(TODAY) == dt.date(1, 1, 1)  # 0 keeps forever
    for bad in ({"raw_days": -1}, {"raw_days": "six months"}, {"tables": {"otlp_spans": 3}}):
        path.write_text(yaml.safe_dump({"retention": bad}))
        with pytest.raises(ConfigError, match="retention"):
            load(path)
