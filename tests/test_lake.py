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
    finally:
        if file_run.poll() is None:  # the lake side failed first
            file_run.kill()
            file_run.communicate()
        server.stop()
    with duckdb.connect(str(project_env["duckdb"]), read_only=True) as con:
        in_file = _marts(con)
    assert in_file.keys() == in_lake.keys() and len(in_file) > 20
    for mart, figures in in_file.items():
        assert in_lake[mart].keys() == figures.keys(), mart
        for column, value in figures.items():
            expected = value if value is None else pytest.approx(value, rel=1e-9, abs=1e-9)  # None: no rows to sum
            assert in_lake[mart][column] == expected, (mart, column)
    assert in_file["fct_agent_requests"]["rows"] > 0 and in_file["fct_claude_code_org_usage"]["rows"] > 0
    assert summary.returncode == 0 and "DuckLake" in summary.stdout and "marts.fct_agent_requests" in summary.stdout
    assert "user=postgres" not in summary.stdout  # the connection string (it may hold a password) is never printed
