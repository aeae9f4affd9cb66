"""Identity hashing and free-text redaction (DESIGN.md, Privacy). Pure polars + hmac.

Identities (emails, account ids) are replaced by a keyed hash before they reach the warehouse,
unless the deployment opts into names. Hashing runs once per distinct value, so it costs
nothing on large batches (a team has tens of developers, not millions).
"""

from __future__ import annotations

import hashlib
import hmac
import json

import polars as pl

HASH_HEX_CHARS = 32


def keyed_hash(value: str, salt: bytes) -> str:
    return hmac.new(salt, value.encode("utf-8"), hashlib.sha256).hexdigest()[:HASH_HEX_CHARS]


def hash_identities(frame: pl.DataFrame, columns: tuple[str, ...], salt: bytes) -> pl.DataFrame:
    for column in columns:
        if column not in frame.columns:
            continue
        distinct = frame.get_column(column).drop_nulls().unique().to_list()
        mapping = {value: keyed_hash(value, salt) for value in distinct}
        frame = frame.with_columns(pl.col(column).replace_strict(mapping, default=None, return_dtype=pl.String))
    return frame


def hash_json_identities(frame: pl.DataFrame, column: str, keys: tuple[str, ...], salt: bytes) -> pl.DataFrame:
    """Hash the string values of `keys` inside a JSON-object text column (the attributes the OTLP
    ingest keeps unmodelled, e.g. Codex's `user.account_id`). Only the rows that hold a key are
    parsed, so a batch without them costs one substring scan."""
    if column not in frame.columns or frame.height == 0:
        return frame
    texts = frame.get_column(column)
    holding = pl.any_horizontal(*(texts.str.contains(f'"{key}":', literal=True) for key in keys))
    rows = frame.select(pl.arg_where(holding.fill_null(False))).to_series()
    if rows.len() == 0:
        return frame
    hashed: dict[str, str] = {}
    fixed = []
    for text in texts.gather(rows).to_list():
        data = json.loads(text)
        for key in keys:
            if isinstance(data.get(key), str):
                value = data[key]
                data[key] = hashed.get(value) or hashed.setdefault(value, keyed_hash(value, salt))
        fixed.append(json.dumps(data, separators=(",", ":"), ensure_ascii=False))
    return frame.with_columns(texts.scatter(rows, fixed))


_REDACTIONS = (
    (r"(?i)\b(?:sk|pk|rk)-[a-z0-9_-]{8,}", "<secret>"),
    (r"\bgh[pousr]_[A-Za-z0-9]{20,}", "<secret>"),
    (r"\bgithub_pat_[A-Za-z0-9_]{20,}", "<secret>"),
    (r"(?i)\bbearer\s+[a-z0-9._~+/=-]{8,}", "Bearer <secret>"),
    (r"(?i)\b(?:api[_-]?key|token|password|secret)\s*[=:]\s*\S+", "<secret>"),
    (r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", "<email>"),
    (r"(?:/home|/Users)/[^/\s\"']+", "~"),
    (r"(?i)C:\\Users\\[^\\\s\"']+", "~"),
    (r"(?i)\b(?:[a-z0-9-]+\.)+(?:com|net|org|io|dev|internal|local|corp|lan|cloud)\b", "<host>"),
)


def redact(expr: pl.Expr) -> pl.Expr:
    """Secrets, emails, home paths and host names out of a free-text column."""
    for pattern, replacement in _REDACTIONS:
        expr = expr.str.replace_all(pattern, replacement)
    return expr


def redact_distinct(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """`redact` run once per distinct value, for a column that repeats a few values (a session's
    working directory on each of its requests): nine regexes over 100 k rows cost 60 ms."""
    distinct = frame.select(pl.col(column).drop_nulls().unique())
    mapping = distinct.with_columns(redact(pl.col(column)).alias("_redacted"))
    return frame.with_columns(
        pl.col(column).replace_strict(mapping.get_column(column), mapping.get_column("_redacted"), default=None, return_dtype=pl.String)
    )
