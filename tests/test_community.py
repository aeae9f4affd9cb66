"""The community dataset is k-anonymous: no published row can be traced to fewer than k
developers — checked against the marts themselves — nothing identifying is published, and late
data for a published day (one developer's) never changes what was published, so differencing
two publications of that day reveals nothing."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil

import dagster as dg
import duckdb
import polars as pl
import pytest
import yaml

from analytics_assets.community.anonymize import Family, anonymize
from analytics_assets.community.assets import community_aggregates
from analytics_assets.copilot.assets import copilot_usage
from analytics_assets.definitions import defs
from analytics_assets.transcripts.assets import CLAUDE
from analytics_assets.transform.dbt_assets import dbt_models

from .conftest import DEMO_DAYS

K = 3
IDENTIFYING = {"developer_key", "workspace_hash", "user_key", "developer", "developer_name", "session_id", "machine", "email"}


def test_folding_and_suppression_on_a_constructed_day():
    day = dt.date(2026, 11, 2)
    rows = [(day, "claude_code", "sonnet", f"d{i}", 100) for i in range(4)]        # 4 people: published as is (k=3)
    rows += [(day, "claude_code", "opus", "d0", 40), (day, "claude_code", "haiku", "d9", 5),
             (day, "claude_code", "haiku", "d8", 5)]                               # 3 people across two small cells: 'other'
    rows += [(day, "codex", "gpt-5", "z1", 7)]                                     # alone: suppressed
    frame = pl.DataFrame(rows, schema=["day", "agent", "model", "developer_key", "tokens"], orient="row")
    published, members, suppressed = anonymize(frame, Family("requests", ("agent", "model"), "developer_key", ("tokens",)), K)
    cells = {(r["agent"], r["model"]): (r["contributors"], r["tokens"]) for r in published.iter_rows(named=True)}
    assert cells == {("claude_code", "sonnet"): (4, 400), ("claude_code", "other"): (3, 50)}
    assert suppressed.row(0, named=True)["suppressed_tokens"] == 7
    assert published["tokens"].sum() + suppressed["suppressed_tokens"].sum() == frame["tokens"].sum()  # nothing lost
    assert not IDENTIFYING & set(published.columns)
    assert members.group_by("agent", "model").agg(pl.col("developer_key").n_unique())["developer_key"].min() >= K
    with pytest.raises(ValueError):
        anonymize(frame, Family("requests", ("agent", "model"), "developer_key", ("tokens",)), 1)


def _late_line(landing, day: dt.date) -> tuple[str, int]:
    """One more request, from one developer, on an already published day."""
    path = sorted((landing / "claude").rglob("*.jsonl"))[0]
    tokens = {"input_tokens": 1234, "output_tokens": 567, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}
    line = {"type": "assistant", "sessionId": "late-session", "cwd": "/home/x/src/api-server", "uuid": "late-uuid-1",
            "timestamp": f"{day}T12:00:00.000Z", "requestId": "req_late_1", "version": "2.0.14",
            "message": {"id": "msg_late_1", "model": "claude-sonnet-4-5-20250929", "role": "assistant", "usage": tokens}}
    with path.open("a") as f:
        f.write(json.dumps(line, separators=(",", ":")) + "\n")
    return path.parent.parent.parent.name, 1234 + 567


def test_published_rows_are_k_anonymous_and_late_data_is_never_republished(project_env, demo_landing):
    landing, manifest = demo_landing
    for source in ("otlp", "claude", "codex"):
        shutil.copytree(landing / source, project_env["landing"] / source, dirs_exist_ok=True)
    config = yaml.safe_load((landing / "analytics.demo.yaml").read_text())
    config["community"] = {"k": K, "grace_days": 2}
    config.pop("budgets_file", None)
    config["git"]["repos_dir"] = str(landing / "git")
    path = project_env["landing"] / "analytics.yaml"
    path.write_text(yaml.safe_dump(config))
    os.environ["ANALYTICS_CONFIG"] = str(path)  # restored by project_env's monkeypatch
    snapshot = project_env["output"] / "community"
    with dg.instance_for_test(temp_dir=str(project_env["dagster_home"])) as instance:
        assert dg.materialize([*defs.assets, *defs.asset_checks], instance=instance, resources=defs.resources,
                              selection=dg.AssetSelection.all() - dg.AssetSelection.assets(copilot_usage), tags=DEMO_DAYS).success
        first = {f: pl.read_parquet(snapshot / f"community_{f}.parquet") for f in ("requests", "zen_tools")}
        con = duckdb.connect(str(project_env["duckdb"]), read_only=True)
        try:
            for family, frame in first.items():
                assert frame.height > 0 and not IDENTIFYING & set(frame.columns)
                assert frame["contributors"].min() >= K
            # Traced back through the marts: every specific (unfolded) cell has >= k distinct developers behind it.
            marts = con.execute("""SELECT event_date AS day, agent, coalesce(model, 'unknown') AS model,
                                          count(DISTINCT developer_key) AS people, sum(total_tokens) AS tokens
                                   FROM marts.fct_agent_requests WHERE event_date IS NOT NULL GROUP BY ALL""").pl()
            specific = first["requests"].filter(pl.col("fold_level") == 0).join(marts, on=["day", "agent", "model"], how="left",
                                                                                 suffix="_mart")
            assert specific.height > 0 and (specific["people"] >= K).all()
            assert (specific["tokens"] == specific["tokens_mart"]).all() and (specific["contributors"] == specific["people"]).all()
            # Folded cells: their members (kept private in the warehouse) are >= k distinct developers.
            folded = con.execute("""SELECT day, agent, model, count(DISTINCT developer_key) FROM community.requests_members
                                    GROUP BY ALL HAVING count(DISTINCT developer_key) < ?""", [K]).fetchall()
            assert folded == []
            # Nothing lost: published + suppressed = every token of the published days.
            [(total, published, suppressed)] = con.execute("""SELECT sum(total_tokens), sum(published_tokens), sum(suppressed_tokens)
                                                             FROM community.days WHERE family = 'requests'""").fetchall()
            assert published + suppressed == total
        finally:
            con.close()
        published_day = first["requests"]["day"].max()
        _, late_tokens = _late_line(project_env["landing"], published_day)
        assert dg.materialize([*defs.assets, *defs.asset_checks], instance=instance, resources=defs.resources,
                              selection=dg.AssetSelection.assets(CLAUDE["asset"], dbt_models, community_aggregates)).success
    second = {f: pl.read_parquet(snapshot / f"community_{f}.parquet") for f in ("requests", "zen_tools")}
    for family in first:
        # Differencing the two publications: every previously published row is byte-for-byte the same.
        assert first[family].equals(second[family].filter(pl.col("day").is_in(first[family]["day"].unique().to_list())))
    con = duckdb.connect(str(project_env["duckdb"]), read_only=True)
    try:
        late = con.execute("SELECT late_unpublished_tokens FROM community.days WHERE family = 'requests' AND day = ?",
                           [published_day]).fetchone()[0]
    finally:
        con.close()
    assert late == late_tokens  # counted, never published
    manifest = json.loads((snapshot / "manifest.json").read_text())
    assert manifest["k"] == K and 0 <= manifest["families"]["requests"]["suppressed_token_share"] < 1
