"""dbt commands in one process share one parse of the project (analytics_assets/transform/parsed_project.py):
a command on another warehouse file builds into that file without parsing again; a changed model file or
other vars are parsed again and take effect."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb

from analytics_assets.config import DBT_PROJECT_DIR
from analytics_assets.transform import parsed_project
from analytics_assets.transform.dbt_in_process import InProcessDbt

SELECT = ["--select", "+int_model_prices", "--exclude-resource-type", "test"]


def _build(project: Path, warehouse: Path, target: Path, variables: dict) -> None:
    """`dbt build` in this process, as a run's dbt step starts it (the resource's env, dbt's own arguments)."""
    warehouse.parent.mkdir(exist_ok=True)
    command = InProcessDbt(["dbt", "build", *SELECT, "--vars", json.dumps(variables)],
                           env={"DBT_PROJECT_DIR": str(project), "DBT_PROFILES_DIR": str(project), "DBT_TARGET_PATH": str(target),
                                "ANALYTICS_DUCKDB_PATH": str(warehouse)})
    lines = [line.decode() for line in command.stdout]
    assert command.wait() == 0, lines[-5:]


def _parsed(target: Path) -> bool:
    """Whether the command parsed the project (dbt writes its parse state into the command's target folder)."""
    return (target / "partial_parse.msgpack").exists()


def _columns(warehouse: Path) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("SELECT count(*) FROM intermediate.int_model_prices").fetchone()[0]
        assert rows > 1000  # LiteLLM's table, with the overrides
        return [c for (c,) in con.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = 'intermediate' "
                                          "AND table_name = 'int_model_prices'").fetchall()]


def test_one_parse_serves_other_warehouses_until_the_project_or_vars_change(tmp_path):
    project = tmp_path / "dbt"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    parsed_project.forget()
    first, second = tmp_path / "a" / "warehouse.duckdb", tmp_path / "b" / "warehouse.duckdb"
    _build(project, first, tmp_path / "t1", {"v": 1})
    _build(project, second, tmp_path / "t2", {"v": 1})
    assert _parsed(tmp_path / "t1") and not _parsed(tmp_path / "t2")  # the second command did not parse
    # Each command leaves its run results (people open them); not dbt's 4 MB manifest, which nothing reads.
    for target in (tmp_path / "t1", tmp_path / "t2"):
        results = {r["unique_id"]: r["status"] for r in json.loads((target / "run_results.json").read_text())["results"]}
        assert results["model.agent_analytics.int_model_prices"] == "success" and len(results) >= 3
        assert not (target / "manifest.json").exists()
    assert "is_provider_path" in _columns(first) and "is_provider_path" in _columns(second)  # each built its own file
    model = project / "models" / "intermediate" / "int_model_prices.sql"
    model.write_text(model.read_text().replace("as is_provider_path", "as is_provider_path, 1 as edited"))
    _build(project, second, tmp_path / "t3", {"v": 1})
    assert _parsed(tmp_path / "t3") and "edited" in _columns(second)  # the changed model was parsed again and built
    _build(project, second, tmp_path / "t4", {"v": 2})
    assert _parsed(tmp_path / "t4")  # other vars: parsed again
    _build(project, first, tmp_path / "t5", {"v": 2})
    assert not _parsed(tmp_path / "t5") and "edited" in _columns(first)


def test_a_parse_ahead_starts_only_where_dbt_has_no_parse_state(tmp_path, monkeypatch):
    """`make run` starts dbt's parse in its own process on a fresh warehouse (`tests/test_outputs.py`: it parses every
    file, the graph's dbt step none); where the warehouse's dbt folder holds a parse state (any later run), on a lake
    or with a setting the run will refuse, it starts nothing."""
    from analytics_assets.transform import dbt_state

    warehouse = tmp_path / "data" / "warehouse.duckdb"
    monkeypatch.setenv("ANALYTICS_DUCKDB_PATH", str(warehouse))
    monkeypatch.delenv("ANALYTICS_WAREHOUSE", raising=False)
    (dbt_state.target_folder(str(warehouse)) / dbt_state.STATE).write_bytes(b"a state")
    assert not dbt_state.start_parse_ahead()
    (dbt_state.target_folder(str(warehouse)) / dbt_state.STATE).unlink()
    for setting in ("ducklake:postgres:dbname=lake", "mysql:lake"):
        monkeypatch.setenv("ANALYTICS_WAREHOUSE", setting)
        assert not dbt_state.start_parse_ahead()
    assert not (dbt_state.target_folder(str(warehouse)) / dbt_state.AHEAD).exists()
