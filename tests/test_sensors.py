"""`make ui` after `make run`: a new instance's sensors have no cursor yet. On a warehouse whose cursors
already cover every landing file (and whose refs are every branch tip), their first evaluations
request no run; the first new byte (or commit) requests one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import dagster as dg
import yaml

from dagster._core.storage.dagster_run import DagsterRun

from analytics_assets.definitions import defs
from analytics_assets.git.assets import git_commits, git_sensor
from analytics_assets.ingest.landing_sensor import JOB
from analytics_assets.otlp.assets import OTLP
from analytics_assets.transcripts.assets import CLAUDE, CODEX

from .appended import append_request

SOURCES = {"otlp": OTLP, "claude": CLAUDE, "codex": CODEX}
landing_sensor = defs.get_sensor_def("landing_sensor")


def _evaluate(sensor, instance, cursor=None):
    context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
    return sensor(context), context.cursor


def _sources(request) -> set[str]:
    return set(request.tags["landing_sources"].split(","))


def test_first_evaluations_on_an_up_to_date_warehouse_request_no_run(project_env, demo_landing, tmp_path, monkeypatch):
    landing, _ = demo_landing
    for source in SOURCES:
        shutil.copytree(landing / source, project_env["landing"] / source, dirs_exist_ok=True)
    shutil.copytree(landing / "git", tmp_path / "git")
    config = yaml.safe_load((landing / "analytics.demo.yaml").read_text())
    config["git"]["repos_dir"] = str(tmp_path / "git")
    (tmp_path / "analytics.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("ANALYTICS_CONFIG", str(tmp_path / "analytics.yaml"))

    with dg.instance_for_test(temp_dir=str(project_env["dagster_home"])) as instance:
        # Before anything was ingested, the landing sensor asks for one run of every source with files.
        first, _ = _evaluate(landing_sensor, instance)
        assert isinstance(first, dg.RunRequest) and _sources(first) == set(SOURCES)
        assert isinstance(_evaluate(git_sensor, instance)[0], dg.RunRequest)

        ingested = dg.materialize([*defs.assets], instance=instance, resources=defs.resources,
                                  selection=dg.AssetSelection.assets(*(s["asset"] for s in SOURCES.values()), git_commits))
        assert ingested.success

        # A new instance's first evaluation (no cursor): nothing to do, no run; the state is remembered.
        result, cursor = _evaluate(landing_sensor, instance)
        assert isinstance(result, dg.SkipReason) and "already cover" in result.skip_message, result
        assert set(json.loads(cursor)) == set(SOURCES)
        result, git_cursor = _evaluate(git_sensor, instance)
        assert isinstance(result, dg.SkipReason) and "already holds" in result.skip_message

        # The first new byte: one run of that source's refresh (its ingest, not the others').
        append_request(sorted((project_env["landing"] / "claude").rglob("*.jsonl"))[0], "sensor_test")
        request, after = _evaluate(landing_sensor, instance, cursor)
        assert isinstance(request, dg.RunRequest) and _sources(request) == {"claude"}
        selected = {k.to_user_string() for k in request.asset_selection}
        assert {"raw/claude_requests", "marts/fct_agent_requests", "reports/dashboard"} <= selected
        assert not {"raw/otlp_spans", "raw/codex_events"} & selected
        assert isinstance(_evaluate(landing_sensor, instance, after)[0], dg.SkipReason)  # that state is requested
        # And a new instance that never saw that state launches it too (the cursors do not cover the byte).
        assert _sources(_evaluate(landing_sensor, instance)[0]) == {"claude"}
        # While a landing_refresh run waits to start, new bytes wait for it (it reads them), state unrecorded.
        instance.add_run(DagsterRun(job_name=JOB, run_id="0" * 36, status=dg.DagsterRunStatus.NOT_STARTED))
        with sorted((project_env["landing"] / "codex").rglob("*.jsonl"))[0].open("a") as f:
            f.write("\n")
        waiting, kept = _evaluate(landing_sensor, instance, after)
        assert isinstance(waiting, dg.SkipReason) and "waiting" in waiting.skip_message and kept == after

        # A commit moves a branch tip: the git sensor asks for a run.
        repo = sorted(p for p in (tmp_path / "git").iterdir() if (p / ".git").exists() or (p / "HEAD").exists())[0]
        env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
               "GIT_COMMITTER_EMAIL": "t@example.com"}
        subprocess.run(["git", "-C", str(repo), "commit", "-q", "--allow-empty", "-m", "new"], env=env, check=True)
        assert isinstance(_evaluate(git_sensor, instance, git_cursor)[0], dg.RunRequest)


def test_a_sensor_never_reads_the_warehouse_past_a_writer(project_env, demo_landing):
    """While a writer holds the file, the first evaluation cannot read the cursors: it asks for a run (as
    before), which queues on the writer pool, rather than failing or skipping."""
    from analytics_assets import warehouse

    landing, _ = demo_landing
    shutil.copytree(landing / "codex", project_env["landing"] / "codex", dirs_exist_ok=True)
    with dg.instance_for_test(temp_dir=str(project_env["dagster_home"])) as instance:
        assert dg.materialize([*defs.assets], instance=instance, resources=defs.resources,
                              selection=dg.AssetSelection.assets(CODEX["asset"])).success
        writer = warehouse.connect(Path(project_env["duckdb"]))
        try:
            result, _ = _evaluate(landing_sensor, instance)
        finally:
            writer.close()
        assert isinstance(result, dg.RunRequest) and _sources(result) == {"codex"}
        assert isinstance(_evaluate(landing_sensor, instance)[0], dg.SkipReason)
