"""The outputs people open: the dashboard in headless Chromium from a file:// URL (no console
errors, every view's charts drawn from the demo marts, time to the first chart printed,
screenshots written) and the exports read back against the marts."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from analytics_assets.dashboard.page import VIEWS, embedded_data

from .appended import append_request
from .conftest import DEMO_END, make_project_env


# One worker runs this module's tests, in order: they share the module's built warehouse, and the refresh test,
# which appends a request, runs last (make test hands out whole modules: --dist loadfile).
pytestmark = pytest.mark.xdist_group("outputs")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
READERS = {"parquet": pl.read_parquet, "csv": lambda p: pl.read_csv(p, infer_schema_length=None),
           "jsonl": lambda p: pl.read_ndjson(p, infer_schema_length=None)}


def _chromium(*args: str) -> str:
    result = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args],
                            capture_output=True, text=True, timeout=120)
    return result.stdout


def _status(url: str) -> dict:
    dom = _chromium("--virtual-time-budget=30000", "--dump-dom", url)
    match = re.search(r'<div id="status"[^>]*>(.*?)</div>', dom, re.S)
    assert match and match.group(1), "the page never finished drawing"
    return json.loads(html.unescape(match.group(1)))


def _external_resources(text: str) -> list[str]:
    """Tags that load something from elsewhere (script src, stylesheet links, images by URL)."""
    from html.parser import HTMLParser

    found = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if (tag == "script" and attrs.get("src")) or (tag == "link" and attrs.get("href")) or (tag == "img" and attrs.get("src")):
                found.append(f"<{tag} {attrs}>")

    Tags().feed(text)
    return found


@pytest.fixture(scope="module")
def built(tmp_path_factory, demo_landing):
    """The whole graph on the demo landing as `make run` runs it (`analytics-assets materialize-all`, a real
    process on the project's instance): Copilot's 21 partitions in one run, then everything else. Built once for
    this module (the build is most of its time): the dashboard and export tests only read it, and the refresh
    test, which appends a request, runs last."""
    folder = tmp_path_factory.getbasetemp() / "outputs-built"
    with pytest.MonkeyPatch.context() as monkeypatch:
        paths = make_project_env(folder, monkeypatch)
        if (folder / "built.ok").exists():
            # xdist's worker tore the module's fixtures down between two of its tests: the same build, again
            os.environ["ANALYTICS_CONFIG"] = str(demo_landing[0] / "analytics.demo.yaml")
            yield paths
        else:
            _build(paths, demo_landing)
            (folder / "built.ok").touch()
            yield paths


def _build(project_env, demo_landing):
    landing, manifest = demo_landing
    for source in ("otlp", "claude", "codex", "copilot", "anthropic"):
        shutil.copytree(landing / source, project_env["landing"] / source, dirs_exist_ok=True)
    shutil.copy(landing / "demo_manifest.json", project_env["landing"] / "demo_manifest.json")  # the demo's days
    os.environ["ANALYTICS_CONFIG"] = str(landing / "analytics.demo.yaml")  # restored by project_env's monkeypatch
    cli = str(Path(sys.executable).parent / "analytics-assets")
    done = subprocess.run([cli, "materialize-all"], capture_output=True, text=True, env=dict(os.environ), timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert [line.split(" run ")[0] for line in done.stdout.splitlines() if line.startswith(("Copilot reports", "the rest"))] == [
        f"Copilot reports ({manifest['arguments']['start']}...{manifest['arguments']['end']}):",
        f"the rest of the graph ({manifest['arguments']['start']}...{dt.datetime.now(dt.timezone.utc).date()}):"]
    runs = dg.DagsterInstance.get().get_runs()
    assert len(runs) == 2 and all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
    # dbt parsed the project in a process of its own while the graph ingested (dbt_state.start_parse_ahead);
    # the graph's first dbt command parsed none of its files itself
    dbt_folder = Path(f"{project_env['duckdb']}.dbt")
    ahead = json.loads((dbt_folder / "parse-ahead" / "perf_info.json").read_text())
    [models] = [json.loads(p.read_text()) for p in dbt_folder.glob("dbt_models-*/perf_info.json")]
    assert ahead["parsed_path_count"] == ahead["path_count"] > 200 and models["parsed_path_count"] == 0
    return project_env


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make test installs Debian's package)")
def test_dashboard_renders_every_view_from_the_marts(built):
    page = built["output"] / "reports" / "dashboard.html"
    text = page.read_text()
    assert _external_resources(text) == []  # self-contained: opens offline, or as an attachment
    url = page.as_uri()
    # Real time to the first chart: the attribute is set while the first view draws, before the load event.
    firsts = []
    for _ in range(3):
        match = re.search(r'data-first-chart-ms="(\d+)"', _chromium("--dump-dom", url))
        assert match
        firsts.append(int(match.group(1)))
    print(f"\ntime to the first rendered chart (ms, 3 cold loads in headless Chromium): {firsts}")
    status = _status(url)
    assert status["errors"] == []
    charts = {c["id"]: c for c in status["charts"]}
    assert set(charts) == {i for _, _, ids in VIEWS for i in ids}
    for view, label, ids in VIEWS:
        drawn = [i for i in ids if charts[i]["points"] > 0]
        assert len(drawn) >= len(ids) - 1, (label, [(i, charts[i]["title"]) for i in ids if charts[i]["points"] == 0])
    assert charts["cost-daily"]["title"] == "Daily spend by agent" and charts["zen-commands"]["title"] == "Top commands"
    con = duckdb.connect(str(built["duckdb"]), read_only=True)
    spend = con.execute("SELECT sum(cost_usd) FROM marts.fct_agent_requests WHERE event_date IS NOT NULL").fetchone()[0]
    commits = con.execute("SELECT count(*) FROM marts.fct_git_commits WHERE NOT is_merge").fetchone()[0]
    instances = con.execute("SELECT count(*) FROM marts.fact_instance_usage").fetchone()[0]
    org = con.execute("SELECT sum(org_estimated_cost_usd) + sum(seen_cost_usd) FROM marts.fct_claude_code_org_usage").fetchone()[0]
    con.close()
    assert charts["cost-daily"]["total"] == pytest.approx(spend, rel=1e-6)       # a data point check: the chart adds up to the mart
    assert charts["git-freq"]["total"] == commits
    assert org > 0 and charts["cost-org"]["total"] == pytest.approx(org, rel=1e-6)  # the report's bars beside ours
    assert charts["zen-active"]["total"] == pytest.approx(2 * instances)        # daily line + weekly bars, both summing to instances
    # Screenshots of each view, for people to look at.
    shots = built["output"] / "reports" / "screenshots"
    shots.mkdir(exist_ok=True)
    for view, _, _ in VIEWS:
        _chromium("--window-size=1400,1000", "--virtual-time-budget=30000", f"--screenshot={shots / f'{view}.png'}", f"{url}#view={view}")
        assert (shots / f"{view}.png").stat().st_size > 20_000


def test_exports_read_back_equal_the_marts(built):
    [folder] = list((built["output"] / "exports").iterdir())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {f["format"] for f in manifest["files"]} == {"parquet", "csv", "jsonl"}
    assert not list(folder.glob(".*.tmp"))  # nothing half-written left behind
    con = duckdb.connect(str(built["duckdb"]), read_only=True)
    try:
        for entry in manifest["files"]:
            path = folder / entry["file"]
            frame = READERS[entry["format"]](path) if path.stat().st_size else pl.DataFrame()
            rows = con.execute(f'SELECT count(*) FROM marts."{entry["mart"]}"').fetchone()[0]
            assert frame.height == rows == entry["rows"], entry
            assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
        spend = con.execute("SELECT sum(cost_usd) FROM marts.fct_agent_costs").fetchone()[0]
    finally:
        con.close()
    for fmt, reader in READERS.items():
        assert reader(folder / f"fct_agent_costs.{fmt}")["cost_usd"].sum() == pytest.approx(spend, rel=1e-9)


def _claude_requests_on(page: Path, day: str) -> int:
    """The page's Claude Code requests on `day` (its spend table)."""
    data = embedded_data(page.read_text())
    rows = [dict(zip(data["spend"]["columns"], r)) for r in data["spend"]["rows"]]
    return sum(r["requests"] for r in rows if r["day"] == day and r["agent"] == "claude_code")


def _claude_mart_requests_on(warehouse: Path, day: str) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return int(con.execute("SELECT coalesce(sum(requests), 0) FROM marts.fct_daily_agent_usage "
                               "WHERE event_date = ? AND agent = 'claude_code'", [day]).fetchone()[0])


def test_a_refresh_ends_with_the_new_request_in_the_dashboard(built):
    """One request appended to one transcript, then the refresh job from the CLI: when it ends, the
    dashboard, the exports and the day's daily-mart partition already count it (recorded as that
    partition's materialization); nothing waits for a sensor or the automation."""
    page = built["output"] / "reports" / "dashboard.html"
    today = dt.datetime.now(dt.timezone.utc)
    day = today.date().isoformat()
    before, mart_before = _claude_requests_on(page, day), _claude_mart_requests_on(built["duckdb"], day)
    request = append_request(sorted((built["landing"] / "claude").rglob("*.jsonl"))[0], "refresh_test", when=today)
    dagster = str(Path(sys.executable).parent / "dagster")
    done = subprocess.run([dagster, "job", "execute", "-m", "analytics_assets.definitions", "-j", "claude_refresh"],
                          capture_output=True, text=True, env=dict(os.environ), timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert _claude_requests_on(page, day) == before + 1
    assert _claude_mart_requests_on(built["duckdb"], day) == mart_before + 1
    [folder] = list((built["output"] / "exports").iterdir())
    exported = pl.read_parquet(folder / "fct_agent_requests.parquet")
    assert exported.filter(pl.col("request_id") == request).height == 1
    instance = dg.DagsterInstance.get()
    [run] = instance.get_runs(dg.RunsFilter(job_name="claude_refresh"))
    built_here = {(r.asset_key.to_user_string(), r.partition) for r in
                  (e.event_log_entry.asset_materialization for e in instance.get_records_for_run(
                      run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION, limit=1000).records)}
    # Only the daily mart the transcripts feed: the Copilot and instance-cost marts' rows cannot change
    assert {(k, d) for k, d in built_here if d is not None} == {("marts/fct_daily_agent_usage", day)}
    # The forecast: today's request does not move the fit's last day (yesterday became complete: the daily schedule
    # moves it); a late request on a day the fit covers changes its history, and the next refresh refits.
    fits = instance.fetch_materializations(dg.AssetKey(["forecast", "forecast_spend"]), limit=2).records
    kept, built_fit = (r.asset_materialization.metadata for r in fits)
    assert kept["last_history_day"].value == built_fit["last_history_day"].value == str(DEMO_END)
    assert kept["status"].value.startswith("a refresh keeps the fit's last day")
    append_request(sorted((built["landing"] / "claude").rglob("*.jsonl"))[0], "late_refresh_test",
                   when=dt.datetime.combine(DEMO_END - dt.timedelta(days=3), dt.time(12), dt.timezone.utc))
    from analytics_assets.definitions import defs

    assert defs.get_job_def("claude_refresh").execute_in_process(instance=instance, resources=defs.resources).success
    refit = instance.fetch_materializations(dg.AssetKey(["forecast", "forecast_spend"]), limit=1).records[0].asset_materialization.metadata
    assert refit["last_history_day"].value == str(today.date() - dt.timedelta(days=1))
    assert refit["input_digest"].value != kept["input_digest"].value and "keeps" not in refit["status"].value
