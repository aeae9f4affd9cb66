"""Storing what a vendor API answered for some days: the warehouse's rows of those days are replaced in one
transaction (a re-run of a day never duplicates, and a day the vendor revised is revised here), identities are
hashed unless names are kept, and the quarantine rows land beside. No Dagster import."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import duckdb
import polars as pl

from .privacy import hash_identities
from .warehouse import RAW, ensure_bookkeeping, ensure_table, insert_quarantine, now, registered, transaction


@dataclass
class VendorStats:
    records: Counter = field(default_factory=Counter)
    loaded: Counter = field(default_factory=Counter)
    quarantined: Counter = field(default_factory=Counter)
    duplicates: Counter = field(default_factory=Counter)
    replaced: Counter = field(default_factory=Counter)
    windows: int = 0
    days_refused: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class VendorTables:
    """A vendor's raw tables: name, parsed schema, grain (what makes a row unique) and identity columns per kind."""
    signal: str
    names: dict[str, str]
    schemas: dict[str, dict]
    grain: dict[str, tuple[str, ...]]
    identities: tuple[str, ...] = ("user_email",)
    blanked: tuple[str, ...] = ("member_name",)  # names of people: null unless names are kept

    def ensure(self, con: duckdb.DuckDBPyConnection) -> None:
        """The tables exist (empty) where the vendor is not configured, so dbt's staging models build everywhere."""
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW}")
        for kind, schema in self.schemas.items():
            ensure_table(con, self.names[kind], pl.DataFrame(schema=schema | {"ingested_at": pl.Datetime("us", "UTC")}))

    def privacy(self, frame: pl.DataFrame, salt: bytes, keep_names: bool) -> pl.DataFrame:
        if keep_names:
            return frame
        frame = hash_identities(frame, tuple(c for c in self.identities if c in frame.columns), salt)
        blank = [pl.lit(None, pl.String).alias(c) for c in self.blanked if c in frame.columns]
        return frame.with_columns(blank) if blank else frame

    def replace_days(self, con: duckdb.DuckDBPyConnection, frames: dict[str, pl.DataFrame], days: list[dt.date],
                     day_column: str, salt: bytes, keep_names: bool, stats: VendorStats) -> None:
        """Replace the stored rows of `days` with `frames` ({kind: rows, 'quarantine': rows}) — one transaction."""
        ensure_bookkeeping(con)
        self.ensure(con)
        stamp = now()
        with transaction(con):
            for kind in (k for k in frames if k != "quarantine"):
                frame = frames[kind]
                unique = frame.unique(subset=list(self.grain[kind]), keep="first", maintain_order=True)
                stats.duplicates[kind] += frame.height - unique.height
                ready = self.privacy(unique, salt, keep_names).with_columns(pl.lit(stamp).alias("ingested_at"))
                stats.replaced[kind] += con.execute(
                    f"DELETE FROM {self.names[kind]} WHERE {day_column} IN (SELECT unnest(?::DATE[]))", [days]).fetchone()[0]
                with registered(con, f"_{self.signal}_rows", ready):
                    con.execute(f"INSERT INTO {self.names[kind]} BY NAME SELECT * FROM _{self.signal}_rows")
                stats.loaded[kind] += ready.height
            insert_quarantine(con, self.signal, frames["quarantine"])


def within_days(rows: pl.DataFrame, days, label: str, kind: str, stats: VendorStats) -> pl.DataFrame:
    """The rows of the run's days. A response may hold rows of days the run did not ask for: those are their own
    partitions' (noted, left to those runs)."""
    inside = rows.filter(pl.col("usage_day").is_in(list(days)))
    if inside.height < rows.height:
        stats.notes.append(f"{label}: {rows.height - inside.height} {kind} rows outside the run's days ignored")
    return inside


def concat(frames: list[pl.DataFrame], schema: dict) -> pl.DataFrame:
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)
