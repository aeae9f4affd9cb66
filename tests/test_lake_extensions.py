"""The lake's DuckDB extensions are checked against DuckDB's signatures once per installed file, not on every
connection (lake.py: each check hashes 78 MB); a file changed since is checked again, and a tampered one refused."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from analytics_assets import lake


def test_signatures_are_verified_once_and_a_tampered_file_is_refused(tmp_path):
    folder = tmp_path / "extensions"
    shutil.copytree(lake.extension_directory(), folder, ignore=shutil.ignore_patterns(lake.VERIFIED))
    lake.verify_signatures(folder)
    recorded = json.loads((folder / lake.VERIFIED).read_text())
    assert sorted(p.rsplit("/", 1)[1] for p in recorded) == ["ducklake.duckdb_extension", "postgres_scanner.duckdb_extension"]
    # What connections then do: load the recorded files without hashing them again.
    con = duckdb.connect(config={"extension_directory": str(folder), "autoinstall_known_extensions": False,
                                 "allow_unsigned_extensions": True})
    con.execute("LOAD ducklake")
    con.close()
    # One byte changed (same size): the record no longer matches, the check runs again and fails; nothing recorded.
    [file] = folder.rglob("ducklake.duckdb_extension")
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    file.write_bytes(bytes(data))
    with pytest.raises(duckdb.Error, match="(?i)signature"):
        lake.verify_signatures(folder)
    assert json.loads((folder / lake.VERIFIED).read_text()) == recorded
