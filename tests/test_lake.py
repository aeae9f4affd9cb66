"""The warehouse as a DuckLake lake (ANALYTICS_WAREHOUSE=ducklake:postgres:...): the catalog in a real PostgreSQL
(its own cluster, made by the test), the data as Parquet files in a folder. The demo's whole graph, run as `make run`
runs it, gives every mart the embedded DuckDB file gives on the same landing files: row counts and the sums of
tokens, requests and cost per mart."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from analytics_assets import lake

from . import postgres

pytestmark = pytest.mark.skipif(not postgres.available(), reason="PostgreSQL is not installed (make install installs Debian's package)")
CLI = str(Path(sys.executable).parent / "analytics-assets")
MEASURES = ("token", "request", "cost", "sessions", "commits", "lines")


def _materialize_all(env: dict) -> subprocess.Popen:
    return subprocess.Popen([CLI, "materialize-all"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _succeeded(process: subprocess.Popen) -> None:
    out, err = process.communicate(timeout=900)
    assert process.returncode == 0, (out[-2000:], err[-3000:])


def _marts(con: duckdb.DuckDBPyConnection) -> dict:
    """Per mart: its row count and the sum of every numeric column that measures tokens, requests or cost."""
    out = {}
    tables = con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' "
                         "AND table_catalog = current_database() ORDER BY 1").fetchall()
    for (table,) in tables:
        columns = [c for c, kind in con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'marts' AND table_name = ? "
            "AND table_catalog = current_database()", [table]).fetchall()
            if any(m in c for m in MEASURES) and kind in ("BIGINT", "INTEGER", "DOUBLE", "HUGEINT", "FLOAT") or kind.startswith("DECIMAL")]
        sums = ", ".join(f'sum("{c}")::DOUBLE' for c in columns)
        row = con.execute(f'SELECT count(*){", " + sums if sums else ""} FROM marts."{table}"').fetchone()
        out[table] = dict(zip(["rows", *columns], row))
    return out


def _same_marts(found: dict, expected: dict) -> None:
    assert found.keys() == expected.keys()
    for mart, figures in expected.items():
        assert found[mart].keys() == figures.keys(), mart
        for column, value in figures.items():
            want = value if value is None else pytest.approx(value, rel=1e-9, abs=1e-9)  # None: no rows to sum
            assert found[mart][column] == want, (mart, column)


def test_the_whole_graph_on_a_lake_equals_the_duckdb_file(project_env, demo_landing, tmp_path):
    landing, manifest = demo_landing
    shutil.copytree(landing, project_env["landing"], dirs_exist_ok=True)
    env = {**os.environ, "ANALYTICS_CONFIG": str(project_env["landing"] / "analytics.demo.yaml")}
    file_run = _materialize_all(env)  # the DuckDB file, built while the lake is (their own warehouses and instances)
    server = postgres.Postgres().start()
    try:
        home = tmp_path / "lake_dagster_home"
        home.mkdir()
        shutil.copy(project_env["dagster_home"] / "dagster.yaml", home / "dagster.yaml")
        lake_env = {**env, "ANALYTICS_WAREHOUSE": "ducklake:postgres:" + server.create_database("analytics"),
                    "ANALYTICS_LAKE_DATA_PATH": str(tmp_path / "lake-data"), "DAGSTER_HOME": str(home),
                    "ANALYTICS_DUCKDB_PATH": str(tmp_path / "lake-side" / "warehouse.duckdb")}  # the salt and dbt state only
        lake_run = _materialize_all(lake_env)
        _succeeded(file_run)
        _succeeded(lake_run)
        assert not (tmp_path / "lake-side" / "warehouse.duckdb").exists()  # nothing went to a file
        assert list((tmp_path / "lake-data").rglob("*.parquet"))
        with lake.connect(read_only=True, env=lake_env) as con:
            in_lake = _marts(con)
        summary = subprocess.run([CLI, "summary"], capture_output=True, text=True, env=lake_env, timeout=120)
        imported = _imported(server, env, tmp_path, project_env["duckdb"])
    finally:
        if file_run.poll() is None:  # the lake side failed first
            file_run.kill()
            file_run.communicate()
        server.stop()
    with duckdb.connect(str(project_env["duckdb"]), read_only=True) as con:
        in_file = _marts(con)
    assert len(in_file) > 20
    _same_marts(in_lake, in_file)
    assert in_file["fct_agent_requests"]["rows"] > 0 and in_file["fct_claude_code_org_usage"]["rows"] > 0
    assert summary.returncode == 0 and "DuckLake" in summary.stdout and "marts.fct_agent_requests" in summary.stdout
    assert "user=postgres" not in summary.stdout  # the connection string (it may hold a password) is never printed
    # The file's history moved into an empty lake by `analytics-assets lake-import`: every table, every row.
    with duckdb.connect(str(project_env["duckdb"]), read_only=True) as con:
        tables = {(schema, table): con.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()[0]
                  for schema, table in con.execute("SELECT table_schema, table_name FROM information_schema.tables "
                                                   "WHERE table_type = 'BASE TABLE'").fetchall()}
    assert imported["tables"] == tables and tables[("raw", "ingest_cursors")] > 0
    _same_marts(imported["marts"], in_file)
    assert imported["again"] == 1 and "--replace" in imported["again_err"]  # a second import refuses, copies nothing


def _imported(server, env: dict, tmp_path: Path, file: Path) -> dict:
    """`lake-import` of the file into a new lake; what that lake then holds."""
    lake_env = {**env, "ANALYTICS_WAREHOUSE": "ducklake:postgres:" + server.create_database("imported"),
                "ANALYTICS_LAKE_DATA_PATH": str(tmp_path / "imported-data"),
                "ANALYTICS_DUCKDB_PATH": str(tmp_path / "imported-side" / "warehouse.duckdb")}
    done = subprocess.run([CLI, "lake-import", str(file)], capture_output=True, text=True, env=lake_env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    again = subprocess.run([CLI, "lake-import", str(file)], capture_output=True, text=True, env=lake_env, timeout=600)
    with lake.connect(read_only=True, env=lake_env) as con:
        tables = {(schema, table): con.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()[0]
                  for schema, table in con.execute("SELECT table_schema, table_name FROM information_schema.tables WHERE "
                                                   "table_catalog = current_database() AND table_type = 'BASE TABLE'").fetchall()}
        marts = _marts(con)
    return {"tables": tables, "marts": marts, "again": again.returncode, "again_err": again.stderr}


def test_lake_import_carries_the_hash_salt_or_refuses_another(tmp_path):
    """The key the file's identities were hashed with goes where the lake mode keeps it; a different one already
    there stops the import (the same email would become another developer)."""
    from analytics_assets.lake_import import LakeImportError, carry_salt

    (tmp_path / "file").mkdir()
    (tmp_path / "file" / ".hash_salt").write_text("a1b2\n")
    file, lake_side = tmp_path / "file" / "warehouse.duckdb", tmp_path / "lake-side" / "warehouse.duckdb"
    assert "copied" in carry_salt(file, lake_side)
    salt = lake_side.parent / ".hash_salt"
    assert salt.read_text() == "a1b2\n" and salt.stat().st_mode & 0o077 == 0
    assert "already" in carry_salt(file, lake_side)
    salt.write_text("other")
    with pytest.raises(LakeImportError, match="another hash salt"):
        carry_salt(file, lake_side)


def test_an_ingest_that_loses_a_lake_conflict_is_retried_and_loads_once(project_env, demo_landing, monkeypatch):
    """Lake writers do not queue on one pool: two may commit changes to the same data file (the ingest cursors).
    Here another writer commits an update of the very cursor rows the claude ingest's batch updates, at the named
    point just before that batch commits: the batch loses the conflict, is rolled back, and the step is retried
    in the same run, which succeeds with the new request loaded once."""
    import dagster as dg

    from analytics_assets import faults
    from analytics_assets.definitions import defs
    from analytics_assets.transcripts.assets import CLAUDE
    from tests.appended import append_request

    landing, _ = demo_landing
    shutil.copytree(landing / "claude", project_env["landing"] / "claude")
    server = postgres.Postgres().start()
    try:
        monkeypatch.setenv("ANALYTICS_WAREHOUSE", "ducklake:postgres:" + server.create_database("conflict"))
        monkeypatch.setenv("ANALYTICS_LAKE_DATA_PATH", str(project_env["duckdb"].parent / "lake-data"))
        ingest = [CLAUDE["asset"]]
        with dg.instance_for_test() as instance:
            assert dg.materialize(ingest, instance=instance, resources=defs.resources).success
            with lake.connect(read_only=True) as con:
                before = con.execute("SELECT count(*) FROM raw.claude_requests").fetchone()[0]
            transcript = sorted((project_env["landing"] / "claude").rglob("*.jsonl"))[0]
            request = append_request(transcript, "lake_conflict")

            def other_writer_commits_first() -> None:
                with lake.connect() as other:
                    other.execute("UPDATE raw.ingest_cursors SET updated_at = now() WHERE path = ?", [str(transcript)])

            with faults.injected("ingest.before_commit", 1, other_writer_commits_first):
                result = dg.materialize(ingest, instance=instance, resources=defs.resources)
            assert result.success
            retried = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
            assert len(retried) == 1 and "conflict" in str(retried[0].event_specific_data.error.cause).lower()
        with lake.connect(read_only=True) as con:
            after = con.execute("SELECT count(*) FROM raw.claude_requests").fetchone()[0]
            loaded = con.execute("SELECT count(*) FROM raw.claude_requests WHERE request_id = ?", [request]).fetchone()[0]
    finally:
        server.stop()
    assert (after, loaded) == (before + 1, 1)
