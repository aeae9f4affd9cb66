"""Ingest into a real DuckDB file: cursors, idempotence, quarantine and the accounting
invariant (records read = loaded + duplicated + quarantined) on every kind of bad input."""

from __future__ import annotations

import os
import shutil
import threading

import duckdb
import pytest

from analytics_assets.otlp.load import ingest_otlp

from .conftest import int_attr, span, spans_line

TRACE = "0123456789abcdef0123456789abcdef"
SALT = b"test"


def sid(i: int) -> str:
    return f"{i:016x}"


@pytest.fixture
def env(tmp_path):
    otlp = tmp_path / "otlp"
    otlp.mkdir()
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    yield otlp, con
    con.close()


def count(con, table="raw.otlp_spans") -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def quarantined(con) -> list[tuple]:
    return con.execute("SELECT source_offset, signal, reason FROM raw.quarantine ORDER BY source_offset, reason").fetchall()


def assert_accounted(stats, records_in: int, lines_bad: int = 0) -> None:
    """Every record is loaded, a duplicate, or quarantined; every bad line is quarantined."""
    signal_total = sum(stats.records.values())
    assert signal_total == records_in
    assert sum(stats.loaded.values()) + sum(stats.duplicates.values()) + sum(
        stats.quarantined[s] for s in ("spans", "logs", "metric_points")
    ) == records_in
    assert stats.quarantined["undecoded"] == lines_bad


def test_truncated_line_in_the_middle_is_quarantined_and_the_rest_loads(env):
    otlp, con = env
    good1, good2 = spans_line(span(TRACE, sid(1))), spans_line(span(TRACE, sid(2)))
    (otlp / "a.jsonl").write_bytes(good1 + b"\n" + good1[:50] + b"\n" + good2 + b"\n")
    stats = ingest_otlp(con, otlp, SALT)
    assert count(con) == 2
    assert_accounted(stats, 2, lines_bad=1)
    (offset, signal, reason), = quarantined(con)
    assert offset == len(good1) + 1 and signal is None and "truncated line" in reason
    raw_text = con.execute("SELECT raw_text FROM raw.quarantine").fetchone()[0]
    assert raw_text == good1[:50].decode()


def test_int_value_as_number_and_as_string_both_load(env):
    otlp, con = env
    (otlp / "a.jsonl").write_bytes(
        spans_line(span(TRACE, sid(1), [int_attr("zen.tokens.total", 10)]), span(TRACE, sid(2), [int_attr("zen.tokens.total", "32")])) + b"\n"
    )
    stats = ingest_otlp(con, otlp, SALT)
    assert con.execute("SELECT sum(zen_tokens_total) FROM raw.otlp_spans").fetchone()[0] == 42
    assert_accounted(stats, 2)


def test_unknown_kind_missing_trace_and_negative_tokens_are_quarantined_per_record(env):
    otlp, con = env
    line = spans_line(
        span(TRACE, sid(1), [int_attr("zen.tokens.total", 5)]),
        span(TRACE, sid(2), [{"key": "x", "value": {"mysteryValue": 1}}]),
        span(None, sid(3)),
        span(TRACE, sid(4), [int_attr("zen.tokens.total", "-7")]),
    )
    (otlp / "a.jsonl").write_bytes(line + b"\n")
    stats = ingest_otlp(con, otlp, SALT)
    assert con.execute("SELECT span_id FROM raw.otlp_spans").fetchall() == [(sid(1),)]
    reasons = [r[2] for r in quarantined(con)]
    assert len(reasons) == 3
    assert any("unknown AnyValue kind" in r for r in reasons)
    assert any(r.startswith("trace_id") for r in reasons)
    assert any("zen_tokens_total" in r for r in reasons)
    # The unknown kind is removed before flattening (it never becomes a record); the other two
    # are records that pandera rejected.
    assert stats.records["spans"] == 3 and stats.quarantined["spans"] == 2 and stats.quarantined["undecoded"] == 1


def test_same_file_twice_and_a_copy_add_nothing(env, tmp_path):
    otlp, con = env
    (otlp / "a.jsonl").write_bytes(spans_line(span(TRACE, sid(1)), span(TRACE, sid(2))) + b"\n")
    ingest_otlp(con, otlp, SALT)
    again = ingest_otlp(con, otlp, SALT)
    assert again.lines == 0 and count(con) == 2
    shutil.copy(otlp / "a.jsonl", otlp / "copy.jsonl")  # same bytes under another name
    stats = ingest_otlp(con, otlp, SALT)
    assert count(con) == 2 and stats.duplicates["spans"] == 2
    assert_accounted(stats, 2)


def test_growing_file_reads_only_new_complete_lines(env):
    otlp, con = env
    path = otlp / "grow.jsonl"
    first, second = spans_line(span(TRACE, sid(1))), spans_line(span(TRACE, sid(2)))
    path.write_bytes(first + b"\n" + second[:30])  # the writer is mid-line
    s1 = ingest_otlp(con, otlp, SALT)
    assert count(con) == 1 and s1.quarantined["undecoded"] == 0
    with path.open("ab") as f:
        f.write(second[30:] + b"\n")
    s2 = ingest_otlp(con, otlp, SALT)
    assert count(con) == 2 and s2.lines == 1 and s2.bytes_read == len(second) + 1
    assert quarantined(con) == []


def test_rotated_and_truncated_files_are_reread_without_double_counting(env):
    otlp, con = env
    path = otlp / "r.jsonl"
    path.write_bytes(spans_line(span(TRACE, sid(1))) + b"\n" + spans_line(span(TRACE, sid(2))) + b"\n")
    ingest_otlp(con, otlp, SALT)
    path.rename(otlp / "r.jsonl.1")  # rotation: old file renamed, a new one with the same name
    path.write_bytes(spans_line(span(TRACE, sid(3))) + b"\n")
    stats = ingest_otlp(con, otlp, SALT)
    assert count(con) == 3
    assert any("rotated" in n for n in stats.notes)
    path.write_bytes(b"")  # truncated
    path.write_bytes(spans_line(span(TRACE, sid(4))) + b"\n")
    stats = ingest_otlp(con, otlp, SALT)
    assert count(con) == 4


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_is_skipped_with_a_note(env):
    otlp, con = env
    (otlp / "ok.jsonl").write_bytes(spans_line(span(TRACE, sid(1))) + b"\n")
    locked = otlp / "locked.jsonl"
    locked.write_bytes(spans_line(span(TRACE, sid(2))) + b"\n")
    locked.chmod(0)
    stats = ingest_otlp(con, otlp, SALT)
    assert count(con) == 1 and any("unreadable" in n for n in stats.notes)


def test_vanished_file_does_not_stop_the_others(env, monkeypatch):
    otlp, con = env
    (otlp / "ok.jsonl").write_bytes(spans_line(span(TRACE, sid(1))) + b"\n")
    from analytics_assets.ingest import runner

    real = runner.landing_names
    monkeypatch.setattr(runner, "landing_names", lambda roots, patterns: real(roots, patterns) + [str(roots[0] / "deleted-meanwhile.jsonl")])
    stats = ingest_otlp(con, otlp, SALT)
    assert count(con) == 1 and any("deleted-meanwhile" in n for n in stats.notes)


def test_a_50_mb_single_line_is_quarantined_with_bounded_text(env):
    otlp, con = env
    huge = b'{"resourceSpans":[{"scopeSpans":[{"spans":[' + b'{"name":"x"},' * (50 * 1024 * 1024 // 13) + b'{"name":"y"}]}]}]}'
    assert len(huge) > 50 * 1024 * 1024
    good = spans_line(span(TRACE, sid(1)))
    (otlp / "big.jsonl").write_bytes(good + b"\n" + huge + b"\n" + good.replace(sid(1).encode(), sid(2).encode()) + b"\n")
    stats = ingest_otlp(con, otlp, SALT, max_line_bytes=16 << 20, batch_bytes=4 << 20)
    assert count(con) == 2
    (offset, signal, reason), = quarantined(con)
    assert offset == len(good) + 1 and "exceeds" in reason and str(len(huge) + 1) in reason
    assert len(con.execute("SELECT raw_text FROM raw.quarantine").fetchone()[0]) <= 4200
    assert_accounted(stats, 2, lines_bad=1)


def test_pretty_printed_document_and_kill_safety_of_cursors(env, shared_fixtures):
    otlp, con = env
    shutil.copy(shared_fixtures / "otlp" / "trace.json", otlp / "trace.json")
    ingest_otlp(con, otlp, SALT)
    ingest_otlp(con, otlp, SALT)
    assert count(con) == 1
    cursor = con.execute('SELECT "offset", mode FROM raw.ingest_cursors').fetchone()
    assert cursor == ((otlp / "trace.json").stat().st_size, "document")


def test_cursors_a_warehouse_from_before_their_hash_columns_kept_are_read_and_brought_up_to_date(env):
    """The runner reads the cursors before ensuring the bookkeeping tables (they are in every
    warehouse but a new one): a cursor table an older version wrote is upgraded first, and its
    cursors still resume their files."""
    otlp, con = env
    path = otlp / "spans.jsonl"
    path.write_bytes(spans_line(span(TRACE, sid(1))) + b"\n")
    ingest_otlp(con, otlp, SALT)
    con.execute("ALTER TABLE raw.ingest_cursors DROP COLUMN tail_hash")
    con.execute("ALTER TABLE raw.ingest_cursors DROP COLUMN mtime_ns")
    with path.open("ab") as f:
        f.write(spans_line(span(TRACE, sid(2))) + b"\n")
    stats = ingest_otlp(con, otlp, SALT)
    assert (count(con), stats.loaded["spans"], stats.duplicates["spans"]) == (2, 1, 0)
    assert con.execute("SELECT count(*) FROM raw.ingest_cursors WHERE tail_hash <> '' AND mtime_ns > 0").fetchone()[0] == 1


def test_identities_are_hashed_and_errors_redacted(env):
    otlp, con = env
    from .conftest import otlp_line

    attrs = [{"key": "user.email", "value": {"stringValue": "ada@example.com"}},
             {"key": "error", "value": {"stringValue": "failed in /home/ada/src with token sk-ant-abcdefghijkl"}}]
    (otlp / "l.jsonl").write_bytes(otlp_line("resourceLogs", "scopeLogs", "logRecords", [{"timeUnixNano": "1763600000000000000", "attributes": attrs}]) + b"\n")
    ingest_otlp(con, otlp, SALT)
    email, error = con.execute("SELECT user_email, error FROM raw.otlp_logs").fetchone()
    assert email != "ada@example.com" and len(email) == 32
    assert "ada" not in error and "sk-ant" not in error and "<secret>" in error
    dump = con.execute("SELECT * FROM raw.otlp_logs").fetchall()
    assert "ada@example.com" not in repr(dump)


def test_long_line_inside_a_chunk_and_invalid_utf8_are_quarantined_alone(env):
    otlp, con = env
    good = [spans_line(span(TRACE, sid(i))) for i in (1, 2, 3)]
    long_line = b'{"resourceSpans":[],"pad":"' + b"x" * (2 << 20) + b'"}'
    not_utf8 = b'{"resourceSpans":[],"bad":"\xff\xfe"}'
    (otlp / "a.jsonl").write_bytes(b"\n".join([good[0], long_line, good[1], not_utf8, good[2]]) + b"\n")
    stats = ingest_otlp(con, otlp, SALT, max_line_bytes=1 << 20)  # the chunk (64 MB) holds the long line whole
    assert count(con) == 3
    reasons = sorted(r for _, _, r in quarantined(con))
    assert len(reasons) == 2 and "exceeds the 1048576-byte limit" in reasons[0] and reasons[1] == "not UTF-8"
    assert_accounted(stats, 3, lines_bad=2)


def test_a_key_a_later_batch_of_the_same_run_repeats_is_a_duplicate(env):
    """A batch's keys are looked up as the batches committed before it left the warehouse."""
    otlp, con = env
    for f in range(4):
        lines = [spans_line(span(TRACE, sid(f * 100 + i))) + b"\n" for i in range(40)]
        (otlp / f"f{f}.jsonl").write_bytes(b"".join(lines + ([spans_line(span(TRACE, sid(5))) + b"\n"] if f == 3 else [])))
    stats = ingest_otlp(con, otlp, SALT, batch_bytes=4096)
    assert (count(con), stats.loaded["spans"], stats.duplicates["spans"]) == (160, 160, 1)
    # each file spans batches: its first batch inserts its cursor, the later ones update it
    cursors = con.execute('SELECT path, "offset" FROM raw.ingest_cursors WHERE source = \'otlp\' ORDER BY path').fetchall()
    assert cursors == [(str(otlp / f"f{f}.jsonl"), (otlp / f"f{f}.jsonl").stat().st_size) for f in range(4)]


@pytest.mark.parametrize("stage", ["shaping", "committing", "looking up"])
def test_a_batch_that_fails_stops_the_run_and_a_rerun_loads_the_rest_once(env, monkeypatch, stage):
    """Batches are shaped on two threads and committed on another, in order (each batch's
    transaction opened with its cursors, its keys looked up while it is shaped): a failure in any
    step reaches the caller, every batch before the failed one is committed and none after it,
    and the next run resumes from the cursors."""
    import itertools

    from analytics_assets import warehouse
    from analytics_assets.ingest import runner
    from analytics_assets.otlp import load

    otlp, con = env
    for f in range(6):  # several batches: batch_bytes below one file's size
        (otlp / f"f{f}.jsonl").write_bytes(b"".join(spans_line(span(TRACE, sid(f * 100 + i))) + b"\n" for i in range(40)))

    def fails_when(real, failing):
        def wrapped(*args, **kwargs):
            if failing(*args):
                raise RuntimeError(f"{stage} failed")
            return real(*args, **kwargs)
        return wrapped

    if stage == "shaping":  # the batch holding f2's first lines fails, whichever thread shapes it when
        def failing(self, name, frame):
            return frame.get_column("source_file").str.ends_with("f2.jsonl").any()
        monkeypatch.setattr(load.OtlpSource, "split_valid", fails_when(load.OtlpSource.split_valid, failing))
    elif stage == "committing":  # batches begin in order: the second batch's fails
        calls = itertools.count(1)
        monkeypatch.setattr(runner.warehouse, "save_cursors", fails_when(warehouse.save_cursors, lambda *args: next(calls) == 2))
    else:  # the second lookup fails
        # A batch's keys are looked up while it is shaped, if they are decoded before it is shaped: its
        # validation waits until its own keys were looked up (or a lookup failed), so the lookup happens.
        calls, seen, failed, changed = itertools.count(1), set(), [], threading.Condition()

        def looked_up(con, table, keys, *args, real=warehouse.any_key_stored, **kwargs):
            with changed:
                seen.add(keys[0])
                failed.append(next(calls) == 2)
                changed.notify_all()
            if failed[-1]:
                raise RuntimeError(f"{stage} failed")
            return real(con, table, keys, *args, **kwargs)

        def validated_after_its_lookup(self, name, frame, validate=load.OtlpSource.split_valid):
            with changed:
                assert changed.wait_for(lambda: frame.get_column("record_key_src")[0] in seen or any(failed), timeout=120)
            return validate(self, name, frame)

        monkeypatch.setattr(runner.warehouse, "any_key_stored", looked_up)
        monkeypatch.setattr(load.OtlpSource, "split_valid", validated_after_its_lookup)
    with pytest.raises(RuntimeError, match=f"{stage} failed"):
        ingest_otlp(con, otlp, SALT, batch_bytes=4096)
    first, distinct, highest = con.execute("SELECT count(*), count(DISTINCT span_id), max(span_id) FROM raw.otlp_spans").fetchone()
    assert 0 < first == distinct and highest < sid(200)  # f0's and f1's spans at most: nothing after the failed batch
    monkeypatch.undo()
    stats = ingest_otlp(con, otlp, SALT, batch_bytes=4096)
    assert count(con) == 240 and stats.loaded["spans"] == 240 - first and stats.duplicates["spans"] == 0
    assert con.execute("SELECT count(*), count(DISTINCT path) FROM raw.ingest_cursors WHERE source = 'otlp'").fetchone() == (6, 6)


def test_log_keys_hashed_by_the_shapers_or_by_the_insert_are_the_same_keys(env, tmp_path, monkeypatch, shared_fixtures):
    """Large batches get their md5 keys on the shaping threads, small ones inside the insert: one
    record loaded either way has one stored key, and the other way finds it a duplicate."""
    from analytics_assets.ingest import runner

    otlp, con = env
    (otlp / "logs.jsonl").write_bytes((shared_fixtures / "otlp" / "logs.json").read_bytes().replace(b"\n", b"") + b"\n")
    monkeypatch.setattr(runner, "SHAPER_HASHED_ROWS", 1)  # every content-keyed frame hashed by a shaper
    first = ingest_otlp(con, otlp, SALT)
    keys = con.execute("SELECT record_key FROM raw.otlp_logs ORDER BY ALL").fetchall()
    assert first.loaded["logs"] == len(keys) > 0 and all(len(k) == 32 for (k,) in keys)
    monkeypatch.setattr(runner, "SHAPER_HASHED_ROWS", 1 << 30)  # every one hashed by the insert
    shutil.copy(otlp / "logs.jsonl", otlp / "copy.jsonl")
    again = ingest_otlp(con, otlp, SALT)
    assert again.duplicates["logs"] == len(keys) and again.loaded["logs"] == 0
    other = duckdb.connect(str(tmp_path / "other.duckdb"))
    try:
        ingest_otlp(other, otlp, SALT)
        assert other.execute("SELECT DISTINCT record_key FROM raw.otlp_logs ORDER BY ALL").fetchall() == keys
    finally:
        other.close()
