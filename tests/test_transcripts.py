"""Transcript ingest on bad and tricky input, into a real DuckDB file: rows in = loaded +
duplicated + quarantined, every time; streaming duplicates collapse in dbt to the largest line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from analytics_assets.config import DBT_PROJECT_DIR
from analytics_assets.identities import write_identities
from analytics_assets import warehouse
from analytics_assets.ingest.runner import read_ahead, run_ingest
from analytics_assets.project_config import ProjectConfig, identity_rows
from analytics_assets.transform.sources import ensure_sources
from analytics_assets.transcripts.load import ClaudeSource, CodexSource


def line(message_id="msg_1", request_id="req_1", output=10, model="claude-sonnet-4-5-20250929", ts="2026-11-01T10:00:00.000Z", **usage) -> bytes:
    u = {"input_tokens": 100, "output_tokens": output, "cache_creation_input_tokens": 20, "cache_read_input_tokens": 1000, **usage}
    record = {"timestamp": ts, "sessionId": "s1", "cwd": "/home/ada/src/api", "version": "2.0.14", "type": "assistant",
              "message": {"id": message_id, "model": model, "usage": u, "content": [{"type": "text", "text": "hi"}]},
              "requestId": request_id}
    if message_id is None:
        del record["message"]["id"]
    return json.dumps(record, separators=(",", ":")).encode()


USER = b'{"type":"user","message":{"role":"user","content":"do it"},"timestamp":"2026-11-01T09:59:00.000Z"}'


@pytest.fixture
def env(tmp_path):
    landing = tmp_path / "landing"
    projects = landing / "claude" / "ada-laptop" / "projects" / "-home-ada-src-api"
    projects.mkdir(parents=True)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    yield landing, projects, con
    con.close()


def ingest(landing, con, **kw):
    return run_ingest(con, ClaudeSource(landing), [landing / "claude" / "ada-laptop" / "projects"], **kw)


def accounted(stats, request_lines: int, undecoded: int = 0) -> None:
    assert stats.records["claude_requests"] + stats.quarantined["undecoded"] - undecoded == request_lines - undecoded
    assert (stats.loaded["claude_requests"] + stats.duplicates["claude_requests"] + stats.quarantined["claude_requests"]
            == stats.records["claude_requests"])
    assert stats.quarantined["undecoded"] == undecoded


def test_bad_lines_are_quarantined_and_the_rest_loads(env):
    landing, projects, con = env
    lines = [
        USER,
        line("m1", "r1"),
        line("m2", "r2")[:60],                               # truncated
        line("m3", "r3", output="25"),                       # a number as a string: fine
        line("m4", "r4", output=-5),                         # negative tokens
        line("m5", "r5", input_tokens="lots"),               # not a number
        line("m6", "r6", model="totally-new-model-9"),       # unknown model: loaded, priced later as unpriced
        line("m7", "r7", ts="yesterday"),                    # unreadable timestamp
    ]
    (projects / "s1.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    stats = ingest(landing, con)
    assert stats.lines_skipped == 1  # the user turn
    loaded = dict(con.execute("SELECT message_id, output_tokens FROM raw.claude_requests").fetchall())
    assert loaded == {"m1": 10, "m3": 25, "m6": 10}
    reasons = dict(con.execute("SELECT source_offset, reason FROM raw.quarantine").fetchall())
    assert len(reasons) == 4
    assert any("truncated line" in r for r in reasons.values())
    assert any("output_tokens" in r and "greater_than_or_equal" in r for r in reasons.values())
    assert any("input_tokens=lots" in r for r in reasons.values())
    assert any("timestamp=yesterday" in r for r in reasons.values())
    accounted(stats, request_lines=7, undecoded=1)
    machine, cwd = con.execute("SELECT DISTINCT machine, cwd FROM raw.claude_requests").fetchone()
    assert machine == "ada-laptop" and cwd == "~/src/api"  # home path redacted


def test_rereading_truncated_rewritten_and_copied_files_never_double_counts(env):
    landing, projects, con = env
    path = projects / "s1.jsonl"
    path.write_bytes(line("m1", "r1") + b"\n" + line("m2", "r2") + b"\n")
    ingest(landing, con)
    with path.open("r+b") as f:  # truncated, then rewritten with one old and one new line
        f.truncate(0)
    path.write_bytes(line("m1", "r1") + b"\n" + line("m3", "r3") + b"\n")
    stats = ingest(landing, con)
    assert any("rewritten" in n for n in stats.notes)
    assert stats.loaded["claude_requests"] == 1 and stats.duplicates["claude_requests"] == 1
    (projects / "copy.jsonl").write_bytes(path.read_bytes())
    stats = ingest(landing, con)
    assert stats.loaded["claude_requests"] == 0 and stats.duplicates["claude_requests"] == 2
    assert con.execute("SELECT count(*) FROM raw.claude_requests").fetchone()[0] == 3


def test_a_request_whose_streaming_writes_span_runs_keeps_its_largest_line(env):
    """One row per request in raw: a later, larger write replaces the stored one; a smaller one,
    or the same line again (a resumed session's copy), is a duplicate."""
    landing, projects, con = env
    path = projects / "s1.jsonl"
    path.write_bytes(line("m1", "r1", output=3) + b"\n" + line("m2", "r2", output=7) + b"\n")
    ingest(landing, con)
    with path.open("ab") as f:
        f.write(line("m1", "r1", output=250) + b"\n" + line("m1", "r1", output=40) + b"\n")
    stats = ingest(landing, con)
    assert (stats.loaded["claude_requests"], stats.duplicates["claude_requests"], stats.replaced["claude_requests"]) == (1, 1, 1)
    accounted(stats, request_lines=2)
    (projects / "resumed.jsonl").write_bytes(line("m1", "r1", output=250) + b"\n" + line("m3", "r3") + b"\n")
    stats = ingest(landing, con)
    assert (stats.loaded["claude_requests"], stats.duplicates["claude_requests"], stats.replaced["claude_requests"]) == (1, 1, 0)
    rows = con.execute("SELECT message_id, output_tokens, source_file FROM raw.claude_requests ORDER BY 1").fetchall()
    assert [r[:2] for r in rows] == [("m1", 250), ("m2", 7), ("m3", 10)] and rows[0][2] == str(path)


def test_an_ingest_leaves_its_rows_in_the_database_file_and_the_settings_as_they_were(tmp_path):
    """The run's last commit checkpoints: nothing is left in the WAL for the next opener to replay
    (and its rows were never written there)."""
    from analytics_assets import warehouse

    landing = tmp_path / "landing"
    projects = landing / "claude" / "ada-laptop" / "projects" / "-home-ada-src-api"
    projects.mkdir(parents=True)
    (projects / "s1.jsonl").write_bytes(b"".join(line(f"m{i}", f"r{i}", output=i) + b"\n" for i in range(3000)))
    path = tmp_path / "w.duckdb"
    con = warehouse.connect(path)
    settings = "SELECT current_setting('checkpoint_threshold'), current_setting('threads')"
    before = con.execute(settings).fetchone()
    for appended in (0, 1):
        if appended:
            with (projects / "s1.jsonl").open("ab") as f:
                f.write(line("m-new", "r-new", output=5) + b"\n")
        stats = ingest(landing, con)
        wal = Path(f"{path}.wal")
        assert not wal.exists() or wal.stat().st_size == 0
        assert con.execute(settings).fetchone() == before
    assert stats.loaded["claude_requests"] == 1
    assert con.execute("SELECT count(*), sum(output_tokens) FROM raw.claude_requests").fetchone() == (3001, sum(range(3000)) + 5)
    con.close()


def test_a_warehouse_from_before_one_row_per_request_is_rekeyed_once(env):
    """Older versions stored every line (keyed by its uuid) and deduplicated in dbt: the first
    ingest after the upgrade collapses the table to one row per request, as the load would have."""
    from analytics_assets.transcripts.load import ONE_ROW_PER_REQUEST

    landing, projects, con = env
    (projects / "s1.jsonl").write_bytes(line("m1", "r1", output=40) + b"\n" + line(None, "r9") + b"\n")
    ingest(landing, con)
    # The old shape: a second streaming write of m1 under its own line key, and no comment.
    con.execute("INSERT INTO raw.claude_requests SELECT * REPLACE (md5('uuid:s1:u2') AS record_key, 900 AS output_tokens, "
                "source_offset + 1 AS source_offset) FROM raw.claude_requests WHERE message_id = 'm1'")
    con.execute("COMMENT ON TABLE raw.claude_requests IS NULL")
    stats = ingest(landing, con)
    assert stats.files_read == 0
    rows = con.execute("SELECT message_id, output_tokens, record_key = md5('request:m1:r1') FROM raw.claude_requests ORDER BY 1").fetchall()
    assert rows == [("m1", 900, True), (None, 10, False)]
    assert con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'claude_requests'").fetchone()[0] == ONE_ROW_PER_REQUEST
    (projects / "copy.jsonl").write_bytes((projects / "s1.jsonl").read_bytes())
    stats = ingest(landing, con)  # m1's line again: a duplicate of the row the upgrade kept
    assert stats.loaded["claude_requests"] == 1 and stats.duplicates["claude_requests"] == 1  # the id-less line is its own


def test_a_100_mb_line_is_quarantined_without_taking_the_process_down(env):
    landing, projects, con = env
    huge = line("big", "big")[:-2] + b',"padding":"' + b"x" * (100 * 1024 * 1024) + b'"}'
    (projects / "s1.jsonl").write_bytes(line("m1", "r1") + b"\n" + huge + b"\n" + line("m2", "r2") + b"\n")
    stats = ingest(landing, con, max_line_bytes=32 << 20, batch_bytes=8 << 20)
    assert con.execute("SELECT count(*) FROM raw.claude_requests").fetchone()[0] == 2
    (reason,) = con.execute("SELECT reason FROM raw.quarantine").fetchone()
    assert "exceeds" in reason
    accounted(stats, request_lines=3, undecoded=1)


def test_streaming_duplicates_collapse_to_the_largest_line_and_codex_deltas(env, tmp_path):
    landing, projects, con = env
    streamed = [line("m1", "r1", output=3), line("m1", "r1", output=40), line("m1", "r1", output=250),  # growing
                line(None, "r9", output=7), line(None, "r9", output=7)]  # no message id: never merged
    (projects / "s1.jsonl").write_bytes(b"\n".join(streamed) + b"\n")
    codex_dir = landing / "codex" / "ada-laptop" / "sessions" / "2026" / "11" / "01"
    codex_dir.mkdir(parents=True)
    usage = lambda i, c, o: {"input_tokens": i, "cached_input_tokens": c, "output_tokens": o, "reasoning_output_tokens": 0, "total_tokens": i + o}  # noqa: E731
    events = [
        {"timestamp": "2026-11-01T10:00:00Z", "type": "session_meta", "payload": {"id": "x", "cwd": "/home/ada/src/api"}},
        {"timestamp": "2026-11-01T10:00:00Z", "type": "turn_context", "payload": {"model": "gpt-5-codex"}},
        {"timestamp": "2026-11-01T10:01:00Z", "type": "event_msg", "payload": {"type": "token_count", "info": {"total_token_usage": usage(1000, 200, 50), "last_token_usage": usage(1000, 200, 50)}}},
        {"timestamp": "2026-11-01T10:01:01Z", "type": "event_msg", "payload": {"type": "token_count", "info": {"total_token_usage": usage(1000, 200, 50), "last_token_usage": usage(1000, 200, 50)}}},
        {"timestamp": "2026-11-01T10:02:00Z", "type": "turn_context", "payload": {"model": "gpt-5.1-codex"}},
        {"timestamp": "2026-11-01T10:03:00Z", "type": "event_msg", "payload": {"type": "token_count", "info": {"total_token_usage": usage(2500, 700, 80), "last_token_usage": usage(1500, 500, 30)}}},
    ]
    (codex_dir / "rollout-2026-11-01T10-00-00-0199a213-81c0-7800-8aa1-bbab2a035a53.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    ingest(landing, con)
    run_ingest(con, CodexSource(landing), [landing / "codex" / "ada-laptop" / "sessions"])
    ensure_sources(con, b"s")  # every raw table dbt reads
    write_identities(con, identity_rows(ProjectConfig(), b"s"))
    con.close()
    db = str(tmp_path / "w.duckdb")
    subprocess.run([str(Path(sys.executable).parent / "dbt"), "build", "--quiet", "--select", "+fct_agent_requests",
                    "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
                   env={**os.environ, "ANALYTICS_DUCKDB_PATH": db}, check=True)
    con = duckdb.connect(db, read_only=True)
    claude = con.execute("SELECT message_id, output_tokens FROM marts.fct_agent_requests WHERE agent = 'claude_code' ORDER BY 1").fetchall()
    assert claude == [("m1", 250), (None, 7), (None, 7)]
    codex = con.execute(
        "SELECT model, input_tokens, cache_read_tokens, output_tokens, project, pricing_status FROM marts.fct_agent_requests "
        "WHERE agent = 'codex' ORDER BY event_at"
    ).fetchall()
    assert codex == [("gpt-5-codex", 800, 200, 50, "api", "priced"), ("gpt-5.1-codex", 1000, 500, 30, "api", "priced")]
    cost = con.execute("SELECT computed_cost_usd FROM marts.fct_agent_requests WHERE agent = 'codex' ORDER BY event_at").fetchall()
    assert cost[0][0] == pytest.approx(800 * 1.25e-6 + 200 * 1.25e-7 + 50 * 1e-5)


def test_an_unknown_model_is_unpriced_and_the_check_warns_with_its_tokens(project_env):
    import dagster as dg

    from analytics_assets.copilot.assets import copilot_usage
    from analytics_assets.definitions import defs

    from .conftest import days_tags

    projects = project_env["landing"] / "claude" / "ada-laptop" / "projects" / "p"
    projects.mkdir(parents=True)
    (projects / "s.jsonl").write_bytes(line("m1", "r1", model="totally-new-model-9") + b"\n" + line("m2", "r2") + b"\n")
    with dg.instance_for_test(temp_dir=str(project_env["dagster_home"])) as instance:
        result = dg.materialize([*defs.assets, *defs.asset_checks], instance=instance, resources=defs.resources, raise_on_error=False,
                                selection=dg.AssetSelection.all() - dg.AssetSelection.assets(copilot_usage),
                                tags=days_tags("2026-11-01", "2026-11-01"))
    assert result.success
    evaluation = next(c for c in result.get_asset_check_evaluations() if c.check_name == "every_model_priced")
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["unpriced_tokens"].value == 100 + 10 + 20 + 1000
    assert "totally-new-model-9" in evaluation.metadata["unpriced"].value



def test_lines_without_usage_are_skipped_in_place_and_torn_ones_still_quarantined():
    from analytics_assets.transcripts.claude import parse_lines

    user = USER
    lines = [line("m1", "r1"), user, b"   ", user[:-10], b"\xff\xfe" + user, line("m2", "r2")[:-1], b'{"message":{"usage":' + b"\xff" + b"}}"]
    rows, quarantine, skipped = parse_lines(["f"] * len(lines), list(range(len(lines))), lines)
    assert rows.height == 1 and rows["message_id"].to_list() == ["m1"]
    # user line and the user line with stray bytes (never decoded, so never checked for UTF-8): skipped; blank: ignored
    assert skipped == 2
    reasons = dict(zip(quarantine["source_offset"].to_list(), quarantine["reason"].to_list()))
    assert reasons[3].startswith("truncated line") and reasons[5].startswith("truncated line") and reasons[6] == "not UTF-8"
    assert len(lines) == rows.height + len(reasons) + skipped + 1  # + the blank line


def _tricky_history(projects: Path) -> None:
    """Every kind of line the fast path must treat exactly like the general one, over a few files."""
    sidechain = json.loads(line("m9", "r9"))
    sidechain |= {"isSidechain": True, "costUSD": "0.25", "uuid": "u9", "gitBranch": "main"}
    tool_usage = b'{"type":"user","toolUseResult":{"usage":{"input_tokens":5}},"message":{"role":"user","content":"x"}}'
    (projects / "a.jsonl").write_bytes(b"\n".join([
        USER, line("m1", "r1"), line("m1", "r1", output=50), b"", b"   ", line("m2", "r2")[:60],
        line("m3", "r3", output="25"), line("m4", "r4", output=25.0), line("m5", "r5", input_tokens="lots"),
        line("m6", "r6", input_tokens=True), line(None, "r7"), line(None, "r7"), json.dumps(sidechain).encode(),
        line("m8", "r8", ts="yesterday"), tool_usage, line("m10", "r10", output=-1),
    ]) + b"\n" + line("m11", "r11")[:30])  # a torn last line waits for the next run
    (projects / "b.jsonl").write_bytes(b"\n".join(line(f"b{i}", f"rb{i}", output=i) for i in range(300)) + b"\n")
    (projects / "c.jsonl").write_bytes(line("c1", "rc1") + b"\n" + b'{"pad":"' + b"x" * 5000 + b'"}\n' + line("c2", "rc2") + b"\n")
    (projects / "empty.jsonl").write_bytes(b"")


def test_the_fast_path_and_forked_scanners_load_exactly_what_the_general_path_loads(tmp_path, monkeypatch):
    """ClaudeSource reads blocks with msgspec (in process, or in forked scanners for big reads);
    the general path decodes every line holding "usage" with polars. Same rows, keys,
    quarantine and counts, line for line."""
    from analytics_assets.ingest import forked
    from analytics_assets.transcripts import claude
    from analytics_assets.transcripts.load import _TranscriptSource

    class GeneralPath(_TranscriptSource):
        name, frame = "claude", "claude_requests"
        parse = staticmethod(claude.parse_lines)

    landing = tmp_path / "landing"
    projects = landing / "claude" / "ada-laptop" / "projects" / "-home-ada-src-api"
    projects.mkdir(parents=True)
    _tricky_history(projects)
    results = {}
    for name, source, min_bytes in (("general", GeneralPath(landing), None), ("fast", ClaudeSource(landing), None),
                                    ("forked", ClaudeSource(landing), 0)):
        if min_bytes is not None:
            monkeypatch.setattr(forked, "MIN_BYTES", min_bytes)
        con = duckdb.connect(str(tmp_path / f"{name}.duckdb"))
        stats = run_ingest(con, source, [landing / "claude" / "ada-laptop" / "projects"], max_line_bytes=4096)
        rows = con.execute("SELECT * EXCLUDE (ingested_at) FROM raw.claude_requests ORDER BY source_file, source_offset").fetchall()
        quarantine = con.execute("SELECT source_file, source_offset, reason FROM raw.quarantine ORDER BY ALL").fetchall()
        cursors = con.execute('SELECT path, "offset" FROM raw.ingest_cursors ORDER BY ALL').fetchall()
        con.close()
        counts = (stats.lines, stats.lines_skipped, dict(stats.records), dict(stats.loaded), dict(stats.duplicates), dict(stats.quarantined))
        results[name] = (rows, quarantine, cursors, counts)
    assert results["fast"] == results["general"]
    assert results["forked"] == results["general"]
    rows, quarantine, cursors, (lines, skipped, records, loaded, duplicates, quarantined) = results["general"]
    # b.jsonl, c.jsonl, and a.jsonl's m1 (two streaming writes: the larger kept), m3, m4, m9, the two id-less lines; m11 waits
    assert len(rows) == 300 + 2 + 6 and duplicates["claude_requests"] == 1
    assert {r[2] for r in rows} >= {"m1", "m3", "m4", "m9"} and len([r for r in rows if r[2] is None]) == 2
    assert [r[9] for r in rows if r[2] == "m1"] == [50]  # output_tokens
    reasons = [r[2] for r in quarantine]
    # m2 torn, m5 "lots", m6 true, m8 "yesterday", m10 negative, c.jsonl's 5 kB line over the 4096-byte limit
    assert len(reasons) == 6 and sum("truncated" in r for r in reasons) == 1 and sum("exceeds the 4096-byte limit" in r for r in reasons) == 1
    # USER and the tool result with a usage of its own: skipped; the two blank lines: read, nothing else
    assert skipped == 2 and lines == 16 + 300 + 3
    assert lines == 2 + skipped + records["claude_requests"] + quarantined["undecoded"]
    assert records["claude_requests"] == loaded["claude_requests"] + duplicates["claude_requests"] + quarantined["claude_requests"]
    a_cursor = dict(cursors)[str(projects / "a.jsonl")]
    assert a_cursor == (projects / "a.jsonl").stat().st_size - 30  # the torn last line is not read yet


def _ahead_run(landing, db: Path):
    """An ingest as the asset runs it: the read-ahead started, then the warehouse opened."""
    source, roots = ClaudeSource(landing), [landing / "claude" / "ada-laptop" / "projects"]
    ahead = read_ahead(source, roots, db)
    con = warehouse.connect(db)
    try:
        return run_ingest(con, source, roots, ahead=ahead), ahead.result()
    finally:
        con.close()


def _stored(db: Path) -> tuple:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return (con.execute("SELECT count(*), sum(output_tokens) FROM raw.claude_requests").fetchone(),
                warehouse.load_cursors(con, "claude"))
    finally:
        con.close()


def test_a_read_ahead_from_the_cursor_hint_loads_what_the_warehouse_cursors_would(tmp_path):
    landing = tmp_path / "landing"
    projects = landing / "claude" / "ada-laptop" / "projects" / "-home-ada-src-api"
    projects.mkdir(parents=True)
    db = tmp_path / "w.duckdb"
    hint = tmp_path / "w.duckdb.claude-cursors.json"
    (projects / "a.jsonl").write_bytes(line("m1", "r1", output=1) + b"\n" + USER + b"\n")
    (projects / "b.jsonl").write_bytes(line("m2", "r2", output=2) + b"\n")
    stats, early = _ahead_run(landing, db)
    assert early.hinted is None and early.batches is None  # the first run: no hint, only the listing
    assert stats.loaded["claude_requests"] == 2
    (rows, tokens), cursors = _stored(db)
    assert (rows, tokens) == (2, 3)
    # The run left its cursors beside the warehouse, as the next run's hint.
    assert {c[0]: c[4] for c in json.loads(hint.read_bytes())["cursors"]} == {p: c.offset for p, c in cursors.items()}

    # Appended lines: the hint equals the warehouse's cursors, and the batches read ahead are what loads.
    with (projects / "a.jsonl").open("ab") as f:
        f.write(line("m3", "r3", output=4) + b"\n" + line("m1", "r1", output=8) + b"\n")  # a new request, a longer write of m1
    stats, early = _ahead_run(landing, db)
    assert early.hinted == cursors and early.batches and sum(len(b.cursors) for b in early.batches) == 1
    assert stats.files_seen == 2 and stats.files_read == 1
    assert (stats.loaded["claude_requests"], stats.replaced["claude_requests"]) == (2, 1)  # m3, and m1 replaced by its longer write
    assert _stored(db)[0] == (3, 2 + 4 + 8)

    # A hint that lies (says a.jsonl was read to its end, and knows nothing of b.jsonl): the warehouse's
    # cursors win, and what they say is new is read, once.
    (_, _), cursors = _stored(db)
    with (projects / "a.jsonl").open("ab") as f:
        f.write(line("m4", "r4", output=16) + b"\n")
    with (projects / "b.jsonl").open("ab") as f:
        f.write(line("m5", "r5", output=32) + b"\n")
    size = (projects / "a.jsonl").stat()
    lie = [[str(projects / "a.jsonl"), size.st_ino, cursors[str(projects / "a.jsonl")].head_hash, 256, size.st_size, "lines", "", size.st_mtime_ns]]
    hint.write_bytes(json.dumps({"version": 1, "source": "claude", "cursors": lie}).encode())
    stats, early = _ahead_run(landing, db)
    assert early.hinted is not None and early.hinted != cursors  # it was read, and not trusted
    assert stats.loaded["claude_requests"] == 2 and stats.files_read == 2
    assert _stored(db)[0] == (5, 2 + 4 + 8 + 16 + 32)

    # A hint that is not one (torn, or of another version): ignored.
    for junk in (b'{"version": 1, "source": "claude", "cursors": [["x", 1', b"\x00\xff", b'{"version": 99}', b'[1, 2]',
                 b'{"version": 1, "source": "claude", "cursors": [[1]]}'):
        hint.write_bytes(junk)
        with (projects / "b.jsonl").open("ab") as f:
            f.write(line(f"m{len(junk)}", "rj", output=1) + b"\n")
        stats, early = _ahead_run(landing, db)
        assert early.hinted is None and stats.loaded["claude_requests"] == 1
    assert _stored(db)[0][0] == 10
    assert {c[0]: c[4] for c in json.loads(hint.read_bytes())["cursors"]} == {p: c.offset for p, c in _stored(db)[1].items()}
