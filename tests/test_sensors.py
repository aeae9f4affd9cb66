"""`make ui` after `make run`: a new instance's sensors have no cursor yet. On a warehouse whose cursors
already cover every landing file (and whose refs are every branch tip), their first evaluations
request no run; the first new byte (or commit) requests one."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import dagster as dg
import yaml

from analytics_assets.definitions import defs
from analytics_assets.git.assets import git_commits, git_sensor
from analytics_assets.otlp.assets import OTLP
from analytics_assets.transcripts.assets import CLAUDE, CODEX

from .appended import append_request

SOURCES = {"otlp": OTLP, "claude": CLAUDE, "codex": CODEX}


def _evaluate(sensor, instance, cursor=None):
    context = dg.build_sensor_context(instance=instance, cursor=cursor)
    return sensor(context), context.cursor


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
        sensors = {name: s["sensor"] for name, s in SOURCES.items()}
        # Before anything was ingested, every sensor asks for a run.
        for name, sensor in sensors.items():
            assert isinstance(_evaluate(sensor, instance)[0], dg.RunRequest), name
        assert isinstance(_evaluate(git_sensor, instance)[0], dg.RunRequest)

        ingested = dg.materialize([*defs.assets], instance=instance, resources=defs.resources,
                                  selection=dg.AssetSelection.assets(*(s["asset"] for s in SOURCES.values()), git_commits))
        assert ingested.success

        # A new instance's first evaluations (no cursor): nothing to do, no run.
        cursors = {}
        for name, sensor in sensors.items():
            result, cursors[name] = _evaluate(sensor, instance)
            assert isinstance(result, dg.SkipReason) and "already cover" in result.skip_message, (name, result)
            assert cursors[name]  # the state is remembered: the next change is compared with it
        result, git_cursor = _evaluate(git_sensor, instance)
        assert isinstance(result, dg.SkipReason) and "already holds" in result.skip_message

        # The first new byte: one run for its source, none for the others.
        append_request(sorted((project_env["landing"] / "claude").rglob("*.jsonl"))[0], "sensor_test")
        for name, sensor in sensors.items():
            result, _ = _evaluate(sensor, instance, cursors[name])
            assert isinstance(result, dg.RunRequest) == (name == "claude"), (name, result)
        # And a new instance that never saw that state launches it too (the cursors do not cover the byte).
        assert isinstance(_evaluate(sensors["claude"], instance)[0], dg.RunRequest)

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
            result, _ = _evaluate(CODEX["sensor"], instance)
        finally:
            writer.close()
        assert isinstance(result, dg.RunRequest)
        assert isinstance(_evaluate(CODEX["sensor"], instance)[0], dg.SkipReason)
