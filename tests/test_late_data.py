"""Late data: transcripts for three past days arrive after their daily-mart partitions were built.
A refresh run rebuilds exactly those three partitions itself; when the rows came in some other way (the
ingest materialized alone), the late-data sensor (evaluated against a real instance) requests one
backfill of exactly those days, with the dbt models they read. Either way the marts of those days
change and no others."""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg
import duckdb
import pytest

from analytics_assets.definitions import defs
from analytics_assets.gemini.assets import GEMINI
from analytics_assets.transcripts.assets import CLAUDE
from analytics_assets.transform.dbt_assets import dbt_daily_marts, dbt_models
from analytics_assets.transform.late_data import late_data_sensor

from .conftest import days_tags

FIRST = dt.date(2026, 11, 1)
DAYS = [FIRST + dt.timedelta(days=i) for i in range(10)]
LATE = [dt.date(2026, 11, 2), dt.date(2026, 11, 5), dt.date(2026, 11, 8)]  # not contiguous on purpose


def _request(n: int, day: dt.date, session: str) -> bytes:
    record = {"timestamp": f"{day}T10:{n % 60:02d}:00.000Z", "sessionId": session, "cwd": "/home/ada/src/api", "version": "2.0.14",
              "type": "assistant", "requestId": f"req_{session}_{n}",
              "message": {"id": f"msg_{session}_{n}", "model": "claude-sonnet-4-5-20250929", "content": [],
                          "usage": {"input_tokens": 100 + n, "output_tokens": 10, "cache_creation_input_tokens": 0,
                                    "cache_read_input_tokens": 1000}}}
    return json.dumps(record, separators=(",", ":")).encode() + b"\n"


def _write(path, day: dt.date, count: int, session: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as f:
        for n in range(count):
            f.write(_request(n, day, session))


def _run(instance, selection, **kwargs) -> None:
    result = dg.materialize([*defs.assets, *defs.asset_checks], instance=instance, resources=defs.resources,
                            selection=selection, **kwargs)
    assert result.success


def _daily(path) -> dict[str, tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {str(day): (requests, round(cost, 9)) for day, requests, cost in con.execute(
            "SELECT event_date, sum(requests), sum(cost_usd) FROM marts.fct_daily_agent_usage GROUP BY 1").fetchall()}


def _built_before(project_env, instance):
    """Ten days ingested and their marts built; returns the marts' days and the sensor's cursor then."""
    projects = project_env["landing"] / "claude" / "ada-laptop" / "projects" / "-home-ada-src-api"
    for i, day in enumerate(DAYS):
        _write(projects / f"s{i}.jsonl", day, 3, f"s{i}")
    _run(instance, dg.AssetSelection.assets(CLAUDE["asset"], dbt_models, dbt_daily_marts), tags=days_tags(DAYS[0], DAYS[-1]))
    before = _daily(project_env["duckdb"])
    assert sorted(before) == [str(d) for d in DAYS] and all(v[0] == 3 for v in before.values())
    # Everything ingested so far was built after it: nothing is late.
    first = late_data_sensor(dg.build_sensor_context(instance=instance, definitions=defs))
    assert not first.run_requests and first.cursor
    for day in LATE:  # late rows for three past days arrive (a laptop synced its history)
        _write(projects / f"late-{day}.jsonl", day, 2, f"late-{day}")
    return before, first.cursor


def _changed_exactly_the_late_days(project_env, before) -> None:
    after = _daily(project_env["duckdb"])
    assert {day for day in after if after[day] != before.get(day)} == {str(d) for d in LATE}
    assert all(after[str(d)][0] == 5 for d in LATE)


def test_a_refresh_rebuilds_the_late_days_itself(project_env):
    with dg.instance_for_test(temp_dir=str(project_env["dagster_home"])) as instance:
        before, cursor = _built_before(project_env, instance)
        # The landing sensor's refresh job: the ingest, the models it feeds, and those days' partitions.
        result = defs.get_job_def("claude_refresh").execute_in_process(instance=instance, resources=defs.resources)
        assert result.success
        _changed_exactly_the_late_days(project_env, before)
        built = {(m.asset_key, m.partition) for m in result.asset_materializations_for_node("dbt_models")}
        assert {d for k, d in built if k in dbt_daily_marts.keys} == {str(d) for d in LATE}
        # the daily mart the transcripts feed, not the Copilot or instance-cost ones
        assert {k for k, d in built if k in dbt_daily_marts.keys} == {dg.AssetKey(["marts", "fct_daily_agent_usage"])}
        # Nothing is left late (each mart's partitions against the raw tables it reads): the sensor requests nothing.
        again = late_data_sensor(dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs))
        assert not again.run_requests


def test_late_days_are_backfilled_exactly(project_env, tmp_path, monkeypatch):
    monkeypatch.setenv("GEMINI_DATA_DIR", str(tmp_path / "home-gemini"))  # this machine's own chats stay out
    with dg.instance_for_test(temp_dir=str(project_env["dagster_home"])) as instance:
        before, cursor = _built_before(project_env, instance)
        # The ingest alone (from the UI, say): the rows are in raw, no model or partition rebuilt.
        _run(instance, dg.AssetSelection.assets(CLAUDE["asset"]))

        result = late_data_sensor(dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs))
        assert len(result.run_requests) == 1  # one backfill, not a run per day
        subset = result.run_requests[0].asset_graph_subset
        assert subset is not None
        requested = {key: set(parts.get_partition_keys()) for key, parts in subset.partitions_subsets_by_asset_key.items()}
        assert set(requested) == set(dbt_daily_marts.keys)
        assert all(keys == {str(d) for d in LATE} for keys in requested.values())
        # The dbt models the daily marts read come first in the same backfill (fct_agent_requests holds the late rows).
        assert dg.AssetKey(["marts", "fct_agent_requests"]) in subset.non_partitioned_asset_keys
        assert subset.non_partitioned_asset_keys <= set(dbt_models.keys)

        # Run what the backfill runs: the unpartitioned models (with the first day), then the other partitions.
        _run(instance, dg.AssetSelection.assets(*subset.non_partitioned_asset_keys, dbt_daily_marts), partition_key=str(LATE[0]))
        for day in LATE[1:]:
            _run(instance, dg.AssetSelection.assets(dbt_daily_marts), partition_key=str(day))
        _changed_exactly_the_late_days(project_env, before)

        # Built: the next evaluation finds nothing late.
        again = late_data_sensor(dg.build_sensor_context(instance=instance, cursor=result.cursor, definitions=defs))
        assert not again.run_requests
        again = late_data_sensor(dg.build_sensor_context(instance=instance, definitions=defs))  # even from scratch
        assert not again.run_requests

        # Every agent's late rows count, not Claude's only: a Gemini chat of a built day, ingested alone.
        day = DAYS[6]
        chat = project_env["landing"] / "gemini" / "ada-laptop" / "tmp" / "p" / "chats" / "session-late.jsonl"
        chat.parent.mkdir(parents=True)
        chat.write_text(json.dumps({"sessionId": "late", "startTime": f"{day}T08:00:00Z"}) + "\n" + json.dumps(
            {"id": "g1", "type": "gemini", "timestamp": f"{day}T08:00:05Z", "model": "gemini-2.5-flash",
             "tokens": {"input": 10, "output": 2, "total": 12}}) + "\n")
        _run(instance, dg.AssetSelection.assets(GEMINI["asset"]))
        gemini = late_data_sensor(dg.build_sensor_context(instance=instance, cursor=again.cursor, definitions=defs))
        assert len(gemini.run_requests) == 1
        subset = gemini.run_requests[0].asset_graph_subset
        assert {key: set(parts.get_partition_keys()) for key, parts in subset.partitions_subsets_by_asset_key.items()} == {
            key: {str(day)} for key in dbt_daily_marts.keys}


def test_todays_rows_are_in_the_refresh_and_automation_asks_no_more_of_its_marts(project_env):
    today = dt.datetime.now(dt.timezone.utc).date()
    projects = project_env["landing"] / "claude" / "ada-laptop" / "projects" / "-home-ada-src-api"
    _write(projects / "today.jsonl", today, 2, "today")
    with dg.instance_for_test(temp_dir=str(project_env["dagster_home"])) as instance:
        initial = dg.evaluate_automation_conditions(defs=defs, instance=instance)  # the daemon's first tick
        defs.get_job_def("claude_refresh").execute_in_process(instance=instance, resources=defs.resources)
        assert _daily(project_env["duckdb"])[str(today)][0] == 2  # today's partition came with the refresh
        assert not late_data_sensor(dg.build_sensor_context(instance=instance, definitions=defs)).run_requests
        # Declarative automation finds the daily mart the transcripts feed, and what reads it, already current. The
        # other daily marts (Copilot, instance costs) lack today's partition on this fresh warehouse, and the models
        # they read were built by the refresh first (missing_parents): the automation builds that partition of
        # theirs, once, as a new day's first tick does on a running server; the refresh does not rebuild them.
        evaluation = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=initial.cursor)
        requested = {key: set(evaluation.get_requested_partitions(key)) for key in dbt_daily_marts.keys}
        usage = dg.AssetKey(["marts", "fct_daily_agent_usage"])
        assert requested == {key: set() if key == usage else {str(today)} for key in dbt_daily_marts.keys}, requested
        # Nor anything else: the refresh rewrote the developer identities, which models of other sources read
        # (they take a changed identity at their own refresh, not in an automation run after every refresh).
        assert evaluation.total_requested == len(dbt_daily_marts.keys) - 1, {
            k.to_user_string() for k in evaluation._requested_partitions_by_asset_key}


@pytest.mark.parametrize("days, expected", [([], []), (["2026-11-02", "2026-11-02T23:59:00"], ["2026-11-02"]),
                                            (["1999-01-01", "2026-11-03"], ["2026-11-03"])])
def test_day_keys_keep_days_with_a_partition(days, expected):
    from analytics_assets.partitions import day_keys

    assert day_keys(days) == expected
