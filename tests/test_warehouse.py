"""Opening the warehouse file: our writers' row groups, and a clear error for every way it fails."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from analytics_assets import warehouse


def test_a_writer_appends_in_small_row_groups_that_every_reader_reads(tmp_path):
    path = tmp_path / "w.duckdb"
    con = warehouse.connect(path)
    con.execute("CREATE SCHEMA raw; CREATE TABLE raw.t AS SELECT range AS i, 'x' || range AS s FROM range(20000)")
    con.close()
    con = duckdb.connect(str(path), read_only=True)  # as dbt and the readers open it
    groups, rows = con.execute("SELECT count(DISTINCT row_group_id), max(count) FROM pragma_storage_info('raw.t')").fetchone()
    assert rows <= warehouse.WRITE_ROW_GROUP_ROWS and groups == -(-20000 // warehouse.WRITE_ROW_GROUP_ROWS)
    assert con.execute("SELECT count(*), sum(i) FROM raw.t").fetchone() == (20000, sum(range(20000)))


def test_every_way_opening_fails_says_what_to_do(tmp_path):
    path = tmp_path / "w.duckdb"
    with pytest.raises(warehouse.WarehouseError, match="does not exist yet"):
        warehouse.connect(path, read_only=True)
    con = warehouse.connect(path)
    with pytest.raises(warehouse.WarehouseError, match="open for writing in this process already"):
        warehouse.connect(path)
    other = subprocess.run([sys.executable, "-c", f"from analytics_assets import warehouse; warehouse.connect({str(path)!r})"],
                           capture_output=True, text=True)
    assert other.returncode and "open for writing in another process" in other.stderr
    con.close()
    warehouse.connect(path).close()  # closed: opens again
    path.write_bytes(b"not a database" * 1000)
    with pytest.raises(warehouse.WarehouseError, match="make run"):
        warehouse.connect(path)
