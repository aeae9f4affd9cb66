"""The cursor reader alone: complete lines only, identity changes, bounded memory on huge lines."""

from __future__ import annotations

import os

from analytics_assets.ingest.landing import cursor_after, landing_paths, plan_file, read_lines


def read_all(path, cursor=None, **kw):
    plan = plan_file(path, cursor)
    chunks = list(read_lines(plan, **kw))
    lines = [line for c in chunks for line in c.lines]
    oversize = [o for c in chunks for o in c.oversize]
    end = chunks[-1].end_offset if chunks else plan.start
    return plan, lines, oversize, cursor_after(plan, end)


def test_half_written_line_waits_and_crlf_is_stripped(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"a":1}\r\n{"b":2}\n{"c":')
    plan, lines, _, cursor = read_all(path)
    assert plan.reason == "new" and lines == [b'{"a":1}', b'{"b":2}'] and cursor.offset == 17
    with path.open("ab") as f:
        f.write(b"3}\n")
    plan, lines, _, cursor = read_all(path, cursor)
    assert plan.reason == "append" and lines == [b'{"c":3}'] and cursor.offset == path.stat().st_size
    plan, lines, _, _ = read_all(path, cursor)
    assert plan.reason == "unchanged" and lines == []


def test_small_chunks_split_lines_correctly(tmp_path):
    path = tmp_path / "a.jsonl"
    expected = [f'{{"n":{i},"pad":"{"x" * (i % 37)}"}}'.encode() for i in range(500)]
    path.write_bytes(b"\n".join(expected) + b"\n")
    _, lines, _, cursor = read_all(path, chunk_bytes=64)
    assert lines == expected and cursor.offset == path.stat().st_size


def test_oversize_line_is_skipped_streaming_with_its_head(tmp_path):
    path = tmp_path / "a.jsonl"
    huge = b'{"x":"' + b"y" * 3_000_000 + b'"}'
    path.write_bytes(b'{"a":1}\n' + huge + b'\n{"b":2}\n')
    _, lines, oversize, cursor = read_all(path, chunk_bytes=4096, max_line_bytes=1 << 20)
    assert lines == [b'{"a":1}', b'{"b":2}']
    (offset, length, head), = oversize
    assert offset == 8 and length == len(huge) + 1 and head.startswith(b'{"x":"yyy') and len(head) <= 4096
    assert cursor.offset == path.stat().st_size


def test_oversize_line_still_being_written_is_not_passed(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"a":1}\n' + b"z" * 2_000_000)
    _, lines, oversize, cursor = read_all(path, chunk_bytes=4096, max_line_bytes=1 << 20)
    assert lines == [b'{"a":1}'] and oversize == [] and cursor.offset == 8


def test_rotation_and_truncation_restart_from_zero(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"a":1}\n{"b":2}\n')
    _, _, _, cursor = read_all(path)
    path.rename(tmp_path / "a.jsonl.1")  # rotation: the old file lives on under another name
    path.write_bytes(b'{"z":9}\n')
    assert plan_file(path, cursor).reason == "rotated"
    path2 = tmp_path / "b.jsonl"
    path2.write_bytes(b'{"a":1}\n{"b":2}\n')
    _, _, _, cursor2 = read_all(path2)
    with path2.open("r+b") as f:
        f.truncate(8)
    assert plan_file(path2, cursor2).reason == "truncated"


def test_landing_paths_lists_matching_files_in_path_order_without_following_folder_links(tmp_path):
    root = tmp_path / "projects"
    for name in ("b/z.jsonl", "b/a.jsonl", "a-b/x.jsonl", "a/y.jsonl", "a/deep/er/w.json", "a/.hidden.jsonl", "a/notes.txt",
                 ".git/c.jsonl"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("{}\n")
    (root / "a" / "folder.jsonl").mkdir()  # a folder named like a file is no file
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "v.jsonl").write_text("{}\n")
    os.symlink(elsewhere, root / "linked")  # not followed
    os.symlink(elsewhere / "v.jsonl", root / "b" / "link.jsonl")  # a link to a file is a file
    found = [p.relative_to(root).as_posix() for p in landing_paths([root], ("*.jsonl", "*.json"))]
    # Path order, by parts ("a/..." before "a-b/..."); hidden names skipped (only names: a hidden
    # folder's files are listed, as the walk always did).
    assert found == [".git/c.jsonl", "a/deep/er/w.json", "a/y.jsonl", "a-b/x.jsonl", "b/a.jsonl", "b/link.jsonl", "b/z.jsonl"]
    assert landing_paths([tmp_path / "missing"], ("*.jsonl",)) == []
    # Nested roots list a file once, still in path order.
    assert [p.relative_to(root).as_posix() for p in landing_paths([root / "b", root], ("*.jsonl", "*.json"))] == found
