"""Scanning landing files in forked processes, for a block source's big reads (a first ingest of
months of history). No Dagster import.

Decoding is Python work under the GIL: in one process, the reading thread, the decoding and the
writer's threads (validation, DuckDB) take turns on it and two cores stay half idle. Forked
scanners each read and decode a share of the files with a GIL of their own and send back what
they kept — requests as column lists, a few percent of the bytes — with each file's cursor; the
parent only merges them into batches and writes.

Why fork and why it is safe here: a forked child starts in a few milliseconds (a spawned one
pays ~0.3 s of imports, a fifth of the whole job). A child has only the forking thread, so it
must not touch what other threads may hold locked: it never uses polars, DuckDB or logging, only
the file reads, msgspec and pickling of plain lists, and it leaves with os._exit (through
multiprocessing), running no finalizer of the parent's objects.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from multiprocessing.connection import wait
from pathlib import Path
from typing import Iterator

from .landing import HEAD_BYTES, Cursor, Plan, cursor_after, read_blocks

# Below this many bytes to read, forking costs more than it saves (every incremental run).
MIN_BYTES = 256 << 20
# A scanner reads this much at a time: the block is decoded while it is still in the CPU's cache,
# and freed memory of this size is reused; reading whole files (tens of MB) into fresh buffers
# cost twice the system time (page faults) and decoding read them back from RAM.
READ_BYTES = 1 << 20


def available() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1


def shares(plans: list[Plan], processes: int) -> list[list[Plan]]:
    """Plans dealt to `processes` scanners, biggest first to the least loaded (balanced bytes)."""
    loads = [[0, i, []] for i in range(processes)]
    for plan in sorted(plans, key=lambda p: p.size - p.start, reverse=True):
        least = min(loads)
        least[0] += plan.size - plan.start
        least[2].append(plan)
    return [share for _, _, share in loads if share]


def scanned(source, plans: list[Plan], max_line_bytes: int, processes: int = 2) -> Iterator[tuple[Path, object, Cursor, int, list]]:
    """(path, exported scan, cursor after it, bytes read, oversize lines skipped while streaming)
    per file, in the order the scanners finish them; each file's rows and cursor come together."""
    context = multiprocessing.get_context("fork")
    children, connections = [], []
    try:
        for share in shares(plans, processes):
            receiving, sending = context.Pipe(duplex=False)
            child = context.Process(target=_scan_share, args=(source, share, max_line_bytes, sending), daemon=True)
            child.start()
            sending.close()
            children.append(child)
            connections.append(receiving)
        while connections:
            for connection in wait(connections):
                try:
                    message = connection.recv()
                except EOFError:
                    message = ("error", "a scanner process ended without its results (killed?)")
                if message is None:
                    connections.remove(connection)
                    connection.close()
                elif message[0] == "error":
                    raise RuntimeError(f"scanning landing files failed in a forked scanner:\n{message[1]}")
                else:
                    yield message[1]
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()
            child.join()
        for connection in connections:
            connection.close()


def _scan_share(source, plans: list[Plan], max_line_bytes: int, sending) -> None:
    """In the child: scan each file whole and send it back with its cursor."""
    try:
        for plan in plans:
            scan, block, read, oversize, head = source.new_scan(python_only=True), None, 0, [], b""
            for block in read_blocks(plan, READ_BYTES, max_line_bytes):
                if block.offset == 0 and not head:
                    head = block.data[:HEAD_BYTES]
                source.scan_block(scan, str(plan.path), block.data, block.offset, max_line_bytes)
                oversize.extend(block.oversize)
                read += len(block.data)
            if block is not None:  # no complete line yet: nothing to say about this file
                cursor = cursor_after(plan, block.end_offset, block.data, block.offset, head)
                sending.send(("file", (plan.path, source.export_scan(scan), cursor, read, oversize)))
        sending.send(None)
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
        sending.send(("error", traceback.format_exc()))
    finally:
        sending.close()
