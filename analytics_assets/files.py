"""Writing output files atomically: to a temporary name beside the target, then a rename, so a
reader (a browser, a sync client, another job) never sees half a file. No Dagster import."""

from __future__ import annotations

import os
from pathlib import Path


def write_text_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def copy_query_atomically(con, query: str, path: Path, options: str) -> None:
    """DuckDB `COPY (query) TO path (options)`, renamed into place when complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    con.execute(f"COPY ({query}) TO '{temp}' {options}")
    os.replace(temp, path)
