"""OpenCode: its SQLite database (exported to JSON lines when it changes) and legacy message files through the real
ingest and dbt; tokens equal to ccusage 20.0.24's (`ccusage opencode daily --offline --json`) per day and model, and
cost within 0.1 % (OpenCode's own cost where it gave one, as ccusage takes it; else the list price)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from analytics_assets.config import DBT_PROJECT_DIR
from analytics_assets.identities import write_identities
from analytics_assets.ingest.runner import days_loaded, run_ingest
from analytics_assets.opencode.load import OpenCodeSource, opencode_roots
from analytics_assets.project_config import ProjectConfig, identity_rows
from analytics_assets.transform.sources import ensure_sources

from .parity_corpus import OPENCODE, write_opencode
from .test_ccusage_parity import CCUSAGE, assert_parity


def _ingest(con, landing: Path, db: Path):
    return run_ingest(con, OpenCodeSource(landing, db), opencode_roots(landing, db, ProjectConfig(include_home=False)))


def test_a_changed_database_is_read_again_and_nothing_counts_twice(tmp_path):
    landing, db = tmp_path / "landing", tmp_path / "w.duckdb"
    home = landing / "opencode" / "ada-laptop"
    written = write_opencode(home, OPENCODE[:2], days=2, per_day=3)
    con = duckdb.connect(str(db))
    try:
        ensure_sources(con, b"s")
        start = con.execute("SELECT now()").fetchone()[0]
        first = _ingest(con, landing, db)
        # every row read was new: the dates read are the days stored, without reading the table
        first_days = days_loaded(con, ["raw.opencode_messages"], start), days_loaded(con, ["raw.opencode_messages"], start, first)
        again = _ingest(con, landing, db)  # nothing changed: the export is not rewritten, nothing read
        # A message streamed on: the row is updated in place (more output); a new one arrives.
        sqlite = sqlite3.connect(home / "opencode.db")
        (rowid, data), = sqlite.execute("SELECT rowid, data FROM message WHERE data LIKE '%assistant%' ORDER BY rowid LIMIT 1").fetchall()
        message = json.loads(data)
        message["tokens"]["output"] += 1000
        sqlite.execute("UPDATE message SET data = ? WHERE rowid = ?", (json.dumps(message), rowid))
        sqlite.execute("INSERT INTO message VALUES (?, ?, ?, ?)", ("msg_new", "ses_x", 1, json.dumps({**message, "id": "msg_new"})))
        sqlite.execute("INSERT INTO message VALUES (?, ?, ?, ?)", ("msg_bad", "ses_x", 1, json.dumps({**message, "id": "msg_bad", "tokens": {"input": -3}})))
        sqlite.commit()
        sqlite.close()
        third = _ingest(con, landing, db)
        # One more message: the export is rewritten and read whole (both days); what is stored is that message,
        # and its day is the one a refresh rebuilds.
        sqlite = sqlite3.connect(home / "opencode.db")
        sqlite.execute("INSERT INTO message VALUES (?, ?, ?, ?)", ("msg_later", "ses_x", 2, json.dumps({**message, "id": "msg_later"})))
        sqlite.commit()
        sqlite.close()
        since = con.execute("SELECT now()").fetchone()[0]
        fourth = _ingest(con, landing, db)
        read_days, stored_days = fourth.touched_dates(), days_loaded(con, ["raw.opencode_messages"], since)
        stored_given_stats = days_loaded(con, ["raw.opencode_messages"], since, fourth)  # it read rows already stored
        message_day = con.execute("SELECT CAST(event_date AS VARCHAR) FROM raw.opencode_messages WHERE message_id = ?",
                                  [message["id"]]).fetchone()[0]
        rows = con.execute("SELECT count(*), count(DISTINCT message_id), max(machine), min(machine) FROM raw.opencode_messages").fetchone()
        updated = con.execute("SELECT output_tokens FROM raw.opencode_messages WHERE message_id = ?", [message["id"]]).fetchone()[0]
        reasons = [r for (r,) in con.execute("SELECT reason FROM raw.quarantine WHERE source = 'opencode'").fetchall()]
    finally:
        con.close()
    assert first.records["opencode_messages"] == written and again.files_read == 0
    assert rows == (written + 2, written + 2, "ada-laptop", "ada-laptop")
    assert updated == message["tokens"]["output"]  # the copy with more tokens replaced the stored one
    assert third.quarantined_total == 1 and reasons == ["input_tokens: greater_than_or_equal_to(0) failed for -3"]
    assert len(read_days) == 2 and stored_days == stored_given_stats == [message_day]
    assert first_days[0] == first_days[1] == first.touched_dates() and len(first_days[0]) == 2
    assert first.stored_keys_met == 0 and fourth.stored_keys_met > 0  # the first answered without a query


@pytest.mark.skipif(not CCUSAGE.exists(), reason="ccusage not installed (make install puts it in .tools/)")
def test_opencode_tokens_and_cost_equal_ccusage(tmp_path, monkeypatch):
    home, landing, db = tmp_path / "opencode-home", tmp_path / "landing", tmp_path / "w.duckdb"
    assert write_opencode(home, OPENCODE) == write_opencode(landing / "opencode" / "dev-laptop", OPENCODE)
    out = subprocess.run([str(CCUSAGE), "opencode", "daily", "--offline", "--json"], capture_output=True, text=True, check=True,
                         env={**os.environ, "OPENCODE_DATA_DIR": str(home), "TZ": "UTC"}).stdout
    theirs = {(day["date"], m["modelName"]): m for day in json.loads(out)["daily"] for m in day["modelBreakdowns"]}
    con = duckdb.connect(str(db))
    try:
        ensure_sources(con, b"s")
        write_identities(con, identity_rows(ProjectConfig(), b"s"))
        _ingest(con, landing, db)
    finally:
        con.close()
    subprocess.run([str(Path(sys.executable).parent / "dbt"), "build", "--quiet", "--select", "+fct_agent_requests", "--exclude",
                    "resource_type:test", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
                   env={**os.environ, "ANALYTICS_DUCKDB_PATH": str(db)}, check=True)
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("""SELECT CAST(event_date AS VARCHAR), model, sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
                                     sum(cache_creation_tokens),
                                     sum(CASE WHEN reported_cost_usd > 0 THEN reported_cost_usd ELSE computed_cost_usd END),
                                     count(*) FILTER (WHERE pricing_status <> 'priced')
                              FROM marts.fct_agent_requests WHERE agent = 'opencode' GROUP BY 1, 2""").fetchall()
    finally:
        con.close()
    mine = {(d, m): {"inputTokens": i, "outputTokens": o, "cacheReadTokens": r, "cacheCreationTokens": c, "cost": cost, "unpriced": u}
            for d, m, i, o, r, c, cost, u in rows}
    assert len(theirs) == 3 * len(OPENCODE) and all(v["unpriced"] == 0 for v in mine.values())
    assert_parity(theirs, mine)
