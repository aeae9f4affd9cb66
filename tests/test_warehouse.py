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


def test_the_writer_upgrades_the_file_to_its_storage_version_and_a_bulk_load_restores_the_settings(tmp_path):
    """A file an older writer (or dbt) created at DuckDB's default storage version is upgraded in
    place by the next writer, its rows kept; plain connections (dbt, readers) open it after. A file
    the writer creates has its block size."""
    path = tmp_path / "w.duckdb"
    old = duckdb.connect(str(path))
    old.execute("CREATE TABLE before AS SELECT range AS n FROM range(10)")
    old.close()
    version = "SELECT tags['storage_version'] FROM duckdb_databases() WHERE database_name = current_database()"
    con = warehouse.connect(path)
    before = {name: con.execute(f"SELECT current_setting('{name}')").fetchone()[0] for name in ("threads", "checkpoint_threshold")}
    with warehouse.bulk_load(con):
        con.execute("CREATE TABLE ids AS SELECT md5(range::VARCHAR) AS id FROM range(30000)")
    assert before == {name: con.execute(f"SELECT current_setting('{name}')").fetchone()[0] for name in before}
    con.close()
    reader = duckdb.connect(str(path), read_only=True)
    assert reader.execute(version).fetchone()[0] == f"{warehouse.STORAGE_VERSION}+"
    assert reader.execute("SELECT (SELECT sum(n) FROM before), (SELECT count(DISTINCT id) FROM ids)").fetchone() == (45, 30000)
    # The format's string compression (and its distinct-count sketches, stored as they are).
    assert "DICT_FSST" in {r[0] for r in reader.execute("SELECT compression FROM pragma_storage_info('ids')").fetchall()}
    # The file keeps the block size it was created with (DuckDB's default: another writer's file).
    assert reader.execute("SELECT block_size FROM pragma_database_size()").fetchone()[0] == 256 << 10
    reader.close()
    fresh = tmp_path / "fresh.duckdb"
    warehouse.connect(fresh).close()
    warehouse.connect(fresh).close()  # attached again: not asked for a block size it already has
    assert duckdb.connect(str(fresh)).execute("SELECT block_size FROM pragma_database_size()").fetchone()[0] == warehouse.NEW_FILE_BLOCK_BYTES


def test_saved_cursors_update_the_files_seen_before_and_add_the_new(tmp_path):
    from analytics_assets.ingest.landing import Cursor

    con = warehouse.connect(tmp_path / "w.duckdb")
    warehouse.ensure_bookkeeping(con)
    # files none of whose cursors is stored are inserted (`new`), as a run hands them over
    warehouse.save_cursors(con, "claude", [Cursor("/a", 1, "h", 10, 100), Cursor("/b", 2, "h", 10, 200)], new=True)
    warehouse.save_cursors(con, "codex", [Cursor("/a", 9, "h", 10, 900)], new=True)  # another source's cursor on the same path
    warehouse.save_cursors(con, "claude", [Cursor("/b", 2, "h2", 10, 250, tail_hash="t", mtime_ns=5), Cursor("/c", 3, "h", 10, 300)])
    rows = con.execute('SELECT source, path, "offset", head_hash, tail_hash, mtime_ns FROM raw.ingest_cursors ORDER BY ALL').fetchall()
    assert rows == [("claude", "/a", 100, "h", "", 0), ("claude", "/b", 250, "h2", "t", 5), ("claude", "/c", 300, "h", "", 0),
                    ("codex", "/a", 900, "h", "", 0)]
    assert {p: c.offset for p, c in warehouse.load_cursors(con, "claude").items()} == {"/a": 100, "/b": 250, "/c": 300}
