"""The DuckDB warehouse file: opening it with clear errors, and the bookkeeping tables that
every ingest shares (`raw.quarantine`, `raw.ingest_cursors`). No Dagster import."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.dataset  # noqa: F401 - imported with the rest: DuckDB imports it at the first frame registered (~20 ms)

from .ingest.landing import Cursor

RAW = "raw"
# Days retention purged raw rows of: the daily marts keep their aggregates and never rebuild them.
PURGED_DAYS = f"{RAW}.purged_days"
REBUILD_HINT = (
    "Move it aside (or delete it) and run `make run` again: every raw table is re-ingested from "
    "landing/ (and the GitHub API), and dbt rebuilds the rest."
)


class WarehouseError(RuntimeError):
    pass


@contextlib.contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame | pa.Table) -> Iterator[None]:
    """`frame` (polars, or already Arrow) visible to SQL as `name` for the duration of the block."""
    con.register(name, frame.to_arrow() if isinstance(frame, pl.DataFrame) else frame)
    try:
        yield
    finally:
        con.unregister(name)


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Everything in the block commits together, or nothing does (the exception propagates)."""
    begin(con)
    with rolled_back_on_error(con):
        yield
    commit(con)


@contextlib.contextmanager
def rolled_back_on_error(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The open transaction is rolled back if the block fails (the exception propagates): for a
    transaction opened and committed in separate steps (see `transaction` for one block's)."""
    try:
        yield
    except BaseException:
        rollback(con)
        raise


def begin(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("BEGIN TRANSACTION")


def commit(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("COMMIT")


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("ROLLBACK")


@contextlib.contextmanager
def bulk_load(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Settings for a load whose other work (reading, decoding) already keeps every core busy.
    - Commits in the block only append to the WAL; the tables are checkpointed once, at the end
      (by the load's last commit when it calls `checkpoint_at_commit`, else here).
      By default every commit past 16 MB of WAL checkpoints, and each checkpoint compresses again
      the row groups the previous one wrote: a load in several transactions paid that many times.
    - One DuckDB thread: its inserts then cost less CPU in all (measured: ~0.15 s less on a
      1 GiB transcript load) than when two threads compete with the decoding for two cores.
    Both are restored before the closing checkpoint, which runs on every thread."""
    names = ("checkpoint_threshold", "threads")
    settings = {name: con.execute(f"SELECT current_setting('{name}')").fetchone()[0] for name in names}
    con.execute("SET checkpoint_threshold = '1TB'")
    con.execute("SET threads = 1")
    try:
        yield
    finally:
        for name in names:
            con.execute(f"SET {name} = '{settings[name]}'")
    if not _on_lake():
        con.execute("CHECKPOINT")


def checkpoint_at_commit(con: duckdb.DuckDBPyConnection) -> None:
    """In a bulk load's last transaction: its commit checkpoints, which bulk_load's closing
    checkpoint would do at once anyway, and DuckDB then writes the transaction's rows to the
    database file without writing them to the WAL first. bulk_load restores the threshold."""
    if not _on_lake():
        con.execute("SET checkpoint_threshold = '0b'")


def _on_lake() -> bool:
    """A lake's commits write their Parquet files themselves: there is no WAL to checkpoint, and DuckLake's
    CHECKPOINT (its maintenance: merging files, expiring snapshots) run while another writer commits failed an
    internal assertion (bench-lake, duckdb 1.5.5): it is left to a maintenance job, not to every ingest."""
    from . import lake

    return lake.url() is not None


# Rows per row group in what our writers append (DuckDB's default: 122,880). The row groups a
# transaction fills are written compressed straight into the file at its commit; what is left over
# goes to the WAL, to be compressed by the next checkpoint. At the default size a whole 1 GiB
# transcript history (~80k requests) fills none: every batch went through the WAL and the closing
# checkpoint compressed every row after the last batch was read (0.25 s of a 1.6 s load). At this
# size each batch writes nearly all its rows while the next is read, and the closing checkpoint
# takes ~0.02 s (measured: 30,720 rows left 17 MB to it, 4,096 made the checkpoint merge groups).
WRITE_ROW_GROUP_ROWS = 8_192  # a multiple of DuckDB's vector size (2,048), which ATTACH requires
# The file's storage format. DuckDB writes v1.0.0 unless asked, for old readers; at v1.0.0 every
# checkpoint converts each changed table's per-column distinct-count sketches to the old format
# (~0.25 ms a column) and strings get FSST or dictionary compression. From v1.4.0 the sketches are
# stored as they are and strings get DICT_FSST. Measured: the checkpoint of 1,199 new requests into
# 78k, 16.2 -> 9.2 ms; a 78k-request load 251 -> 211 ms and 10.0 -> 9.2 MB. A warehouse written
# before is upgraded in place by its next writer (it cannot go back: no DuckDB before 1.4 opens it,
# which the project's pin excludes); dbt and the readers use the version the file has.
STORAGE_VERSION = "v1.4.0"
# Block size of a warehouse file our writer creates (DuckDB's default: 256 KiB; a file keeps the size
# it was created with, whoever opens it). A checkpoint writes each changed column into fresh blocks,
# which the process zero-fills and faults in: measured on the 78 k-request table, the commit of
# 1,199 new requests 9.9 -> 7.6 ms (2,008 -> 1,127 page faults), the load of all 6 % slower, and the
# file 9.2 -> 5.9 MB (fewer half-empty blocks). 64 KiB: the load a third slower, the commit 1.3 ms shorter still.
NEW_FILE_BLOCK_BYTES = 128 << 10


def open_writer(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-write connection to the warehouse file, attached with our row group size (an ATTACH
    option: `duckdb.connect` has none). dbt opens the same file with DuckDB's defaults; both read
    every table whatever size its row groups are."""
    alias = path.stem if path.stem.isidentifier() and path.stem not in ("memory", "system", "temp") else "warehouse"
    new = not path.exists() or path.stat().st_size == 0  # a file's block size is set when it is created
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{str(path).replace(chr(39), chr(39) * 2)}' AS \"{alias}\" "
                    f"(ROW_GROUP_SIZE {WRITE_ROW_GROUP_ROWS}, STORAGE_VERSION '{STORAGE_VERSION}'"
                    + (f", BLOCK_SIZE {NEW_FILE_BLOCK_BYTES})" if new else ")"))
        con.execute(f'USE "{alias}"')
    except BaseException:
        con.close()
        raise
    return con


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """The warehouse: the DuckDB file at `path`, or the DuckLake lake ANALYTICS_WAREHOUSE names (lake.py; `path`
    then only places the files kept beside the warehouse: the hash salt, dbt's state)."""
    from . import lake

    if lake.url():
        try:
            return lake.connect(read_only)
        except duckdb.Error as exc:
            raise WarehouseError(f"The lake cannot be opened: {str(exc).splitlines()[0]}") from exc
    path = Path(path)
    if read_only and not path.exists():
        raise WarehouseError(f"The warehouse {path} does not exist yet. Run `make run` to build it.")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(path), read_only=True) if read_only else open_writer(path)
    except duckdb.IOException as exc:
        message = str(exc)
        if "lock" in message.lower():
            raise WarehouseError(
                f"The warehouse {path} is open for writing in another process ({message.splitlines()[0]}). "
                "Every writer runs in the Dagster pool 'duckdb_writer' (limit 1); wait for the other run."
            ) from exc
        raise WarehouseError(f"The warehouse {path} cannot be opened: {message.splitlines()[0]}. {REBUILD_HINT}") from exc
    except duckdb.BinderException as exc:
        if "already attached" not in str(exc):
            raise
        # Our writer attach, twice in one process (DuckDB would share one database between two connects).
        raise WarehouseError(f"The warehouse {path} is open for writing in this process already ({str(exc).splitlines()[0]}): "
                             "close that connection first.") from exc
    except duckdb.Error as exc:
        raise WarehouseError(f"The warehouse {path} is not a readable DuckDB file ({exc}). {REBUILD_HINT}") from exc


def holds(path: Path, question: Callable[[duckdb.DuckDBPyConnection], bool]) -> bool:
    """`question` asked of the warehouse, read-only; any doubt answers no: no warehouse yet, a writer
    holding the file, a table not there. What a sensor asks before it decides a run is not needed."""
    from . import lake

    if not lake.url() and not Path(path).exists():
        return False
    try:
        with connect(path, read_only=True) as con:
            return question(con)
    except Exception:  # noqa: BLE001 - e.g. the file is locked by a run that is writing it: run, as without the question
        return False


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """`table` as schema.name."""
    schema, name = table.split(".")
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                            [schema, name]).fetchone()[0])


@dataclass(frozen=True)
class RawCatalog:
    """The raw schema's tables as one catalog read found them: what an ingest's preparation asks of the catalog (do
    the bookkeeping tables have their columns, do the source's tables exist, what does a table's comment say). On a
    lake each catalog query is a round of snapshot reads from the catalog database (~8 ms): one, not one a question."""

    tables: dict[str, tuple[frozenset[str], str]]  # schema.name -> (its columns, its comment)

    def has(self, table: str, *columns: str) -> bool:
        found = self.tables.get(table)
        return found is not None and found[0].issuperset(columns)

    def comment(self, table: str) -> str:
        return self.tables.get(table, (frozenset(), ""))[1]


def raw_catalog(con: duckdb.DuckDBPyConnection) -> RawCatalog:
    rows = con.execute("SELECT table_name, list(column_name), any_value(coalesce(t.table_comment, '')) FROM information_schema.columns "
                       "JOIN information_schema.tables t USING (table_catalog, table_schema, table_name) "
                       "WHERE table_schema = ? AND table_catalog = current_database() GROUP BY table_name", [RAW]).fetchall()
    return RawCatalog({f"{RAW}.{name}": (frozenset(columns), comment) for name, columns, comment in rows})


def _bookkeeping_present(catalog: RawCatalog) -> bool:
    """Whether the bookkeeping tables exist with the columns added after them (a column added below is named here
    too). Each DDL statement is a commit of its own, which on a lake writes to the catalog database (the six below
    cost ~30 ms every step)."""
    return (catalog.has(f"{RAW}.quarantine") and catalog.has(f"{RAW}.ingest_cursors", "tail_hash", "mtime_ns")
            and catalog.has(PURGED_DAYS))


def ensure_bookkeeping(con: duckdb.DuckDBPyConnection, catalog: RawCatalog | None = None) -> None:
    """`catalog`: the raw schema as read just before (else it is read here)."""
    if _bookkeeping_present(catalog or raw_catalog(con)):
        return
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW}")
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {RAW}.quarantine (
            source VARCHAR NOT NULL,          -- otlp | claude | codex | copilot | git ...
            source_file VARCHAR,
            source_offset BIGINT,
            signal VARCHAR,                   -- spans | logs | metric_points | NULL (whole line)
            reason VARCHAR NOT NULL,
            raw_text VARCHAR,                 -- truncated to a bound
            quarantine_key VARCHAR NOT NULL,  -- md5 of the above: re-reading the same bytes adds nothing
            quarantined_at TIMESTAMPTZ NOT NULL
        )"""
    )
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {RAW}.ingest_cursors (
            source VARCHAR NOT NULL,
            path VARCHAR NOT NULL,
            inode BIGINT,
            head_hash VARCHAR,
            head_len INTEGER,
            "offset" BIGINT NOT NULL,
            mode VARCHAR,
            updated_at TIMESTAMPTZ NOT NULL,
            tail_hash VARCHAR
        )"""
    )
    con.execute(f"ALTER TABLE {RAW}.ingest_cursors ADD COLUMN IF NOT EXISTS tail_hash VARCHAR")
    con.execute(f"ALTER TABLE {RAW}.ingest_cursors ADD COLUMN IF NOT EXISTS mtime_ns BIGINT")
    con.execute(f"CREATE TABLE IF NOT EXISTS {PURGED_DAYS} (day DATE NOT NULL, purged_at TIMESTAMPTZ NOT NULL)")  # one row a day (retention's anti-join)


def load_cursors(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, Cursor]:
    rows = con.execute(
        f'SELECT path, inode, head_hash, head_len, "offset", mode, coalesce(tail_hash, \'\'), coalesce(mtime_ns, 0) '
        f"FROM {RAW}.ingest_cursors WHERE source = ?",
        [source],
    ).fetchall()
    return {r[0]: Cursor(*r) for r in rows}


_CURSORS = pa.schema([("source", pa.string()), ("path", pa.string()), ("inode", pa.int64()), ("head_hash", pa.string()),
                      ("head_len", pa.int64()), ("offset", pa.int64()), ("mode", pa.string()), ("updated_at", pa.timestamp("us", "UTC")),
                      ("tail_hash", pa.string()), ("mtime_ns", pa.int64())])


def save_cursors(con: duckdb.DuckDBPyConnection, source: str, cursors: list[Cursor], new: bool = False) -> None:
    """Upsert cursors in one MERGE: the files seen before are updated in place, new files inserted.
    Not DELETE + INSERT: re-inserted rows make the closing checkpoint rewrite the table (measured: ~9 ms more
    for 50 cursors of 500, a tenth of an incremental transcript ingest). `new`: no cursor of these files is
    stored (the caller read them in its transaction's warehouse): a plain INSERT, which reads no stored cursor
    (on a lake a MERGE of 50 new cursors costs ~24 ms, the INSERT ~3 ms)."""
    if not cursors:
        return
    # An Arrow table straight from the values (a polars frame of rows costs a few ms of the GIL, which
    # this runs without: the batch is being shaped meanwhile).
    values = {name: [getattr(c, name) for c in cursors] for name in _CURSORS.names if hasattr(cursors[0], name)}
    table = pa.table(values | {"source": [source] * len(cursors), "updated_at": [now()] * len(cursors)}, schema=_CURSORS)
    with registered(con, "_cursors", table):
        if new:
            con.execute(f"INSERT INTO {RAW}.ingest_cursors BY NAME SELECT * FROM _cursors")
            return
        assignments = ", ".join(f'"{c}" = c."{c}"' for c in _CURSORS.names if c not in ("source", "path"))
        con.execute(f"""MERGE INTO {RAW}.ingest_cursors t USING _cursors c ON t.source = c.source AND t.path = c.path
                    WHEN MATCHED THEN UPDATE SET {assignments} WHEN NOT MATCHED THEN INSERT BY NAME""")


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def insert_quarantine(con: duckdb.DuckDBPyConnection, source: str, rows: pl.DataFrame) -> int:
    """Append quarantine rows (source_file, source_offset, signal, reason, raw_text); returns how
    many were new (the same bad bytes read twice are quarantined once)."""
    if rows.height == 0:
        return 0
    batch = rows.select("source_file", "source_offset", "signal", "reason", "raw_text").with_columns(
        pl.lit(source).alias("source"), pl.lit(now()).alias("quarantined_at")
    )
    with registered(con, "_quarantine_batch", batch):
        return con.execute(
            f"""INSERT INTO {RAW}.quarantine BY NAME
            SELECT * FROM (
                SELECT b.*, md5(concat_ws('|', source, source_file, CAST(source_offset AS VARCHAR),
                                          coalesce(signal, ''), reason, coalesce(raw_text, ''))) AS quarantine_key
                FROM _quarantine_batch b
            ) n
            WHERE NOT EXISTS (SELECT 1 FROM {RAW}.quarantine q WHERE q.quarantine_key = n.quarantine_key)
            QUALIFY row_number() OVER (PARTITION BY quarantine_key) = 1"""
        ).fetchone()[0]


@dataclass(frozen=True)
class Rank:
    """Which of the rows sharing a key a table keeps: the greatest by these values, compared in
    order (a missing value is the least) — as polars expressions, to choose within a batch, and as
    SQL over a row `{row}`, to compare a batch's row with a stored one."""

    polars: tuple[pl.Expr, ...]
    sql: tuple[str, ...]

    def best(self, frame: pl.DataFrame, key: str) -> pl.DataFrame:
        """The best row of each key in `frame`, in the frame's order."""
        if frame.get_column(key).n_unique() == frame.height:
            return frame
        values = [expr.alias(f"_rank{i}") for i, expr in enumerate(self.polars)]
        best = (
            frame.select(pl.int_range(pl.len()).alias("_index"), pl.col(key), *values)
            .sort([f"_rank{i}" for i in range(len(values))], descending=True, nulls_last=True, maintain_order=True)
            .unique(key, keep="first")
            .get_column("_index")
            .sort()
        )
        return frame[best]

    def beats(self, challenger: str, holder: str) -> str:
        """SQL: row `challenger` ranks above row `holder`."""
        return " > ".join("(" + ", ".join(value.format(row=row) for value in self.sql) + ")" for row in (challenger, holder))

    def order(self, row: str) -> str:
        """SQL ORDER BY terms, best row first."""
        return ", ".join(f"{value.format(row=row)} DESC" for value in self.sql)


def insert_new(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame | pa.Table, key: str = "record_key", hash_key: bool = False,
               rank: Rank | None = None, none_stored: bool = False, repeated: bool = False) -> tuple[int, int, bool]:
    """Insert rows whose key is not in the table yet (first of each key within the batch).
    With `hash_key`, the frame's key column holds the key's source text and the stored key is its
    md5 (`stored_keys`: without it, the key column holds the key as stored). With a `rank`, the
    batch's best row of each key is inserted, and replaces a stored row it beats: the table holds the
    best row seen of each key. `none_stored`: the caller found none of the frame's keys in the table
    (any_key_stored, in this transaction), which then is not looked up again. `repeated`: a key
    repeats within the frame (`insertable` tells; a ranked frame has one row per key once ranked).
    Returns (rows inserted, stored rows replaced, whether a key of the batch was stored before: True where
    that cannot be told from the counts, a frame whose keys repeat); the rest were duplicates."""
    if len(frame) == 0:
        return 0, 0, False
    if rank is not None:
        frame = rank.best(frame, key)
    batch = _as_stored_keys("_insert_batch", key, hash_key)
    # Ranking the batch's rows by key costs more than the rest of the insert: only when keys repeat.
    first = f"QUALIFY row_number() OVER (PARTITION BY b.{key} ORDER BY b.source_offset) = 1" if repeated and rank is None else ""
    new = "" if none_stored else f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.{key} = b.{key})"
    insert = f"INSERT INTO {table} BY NAME SELECT * FROM {batch} b {new} {first}"
    with registered(con, "_insert_batch", frame):
        inserted = con.execute(insert).fetchone()[0]
        # A key of the batch was stored when the anti-join left rows out, or cannot be told from the counts when
        # keys repeat within an unranked frame (the QUALIFY leaves rows out too).
        met = not none_stored and (inserted < len(frame) or (repeated and rank is None))
        if rank is None or inserted == len(frame):
            return inserted, 0, met  # (ranked) no key of the batch was stored before: the common case, one statement
        # Some were: a request's streaming writes that a batch or run boundary split, a resumed
        # session's copies, a file read again. Stored rows that the batch's beat make way for them.
        replaced = con.execute(f"DELETE FROM {table} t USING {batch} b WHERE t.{key} = b.{key} AND {rank.beats('b', 't')}").fetchone()[0]
        if replaced:
            inserted += con.execute(insert).fetchone()[0]
    return inserted, replaced, True


def insertable(frame: pl.DataFrame, key: str = "record_key") -> tuple[pa.Table, bool]:
    """A frame made ready for insert_new where there is time to spare (the ingest's shaping threads,
    not its one writer): Arrow with polars' string views kept (DuckDB reads them as they are, ~6 %
    faster to insert than the large strings of a default conversion), and whether a key repeats."""
    return frame.to_arrow(compat_level=pl.CompatLevel.newest()), bool(frame.get_column(key).is_duplicated().any())


def any_key_stored(con: duckdb.DuckDBPyConnection, table: str, keys: pl.Series, key: str = "record_key", hash_key: bool = False) -> bool:
    """Whether any of `keys` (their source text, with `hash_key`: see insert_new) is stored in `table`."""
    batch = _as_stored_keys("_batch_keys", key, hash_key)
    with registered(con, "_batch_keys", keys.alias(key).to_frame()):
        return con.execute(f"SELECT EXISTS (SELECT 1 FROM {batch} b WHERE EXISTS (SELECT 1 FROM {table} t WHERE t.{key} = b.{key}))").fetchone()[0]


def _as_stored_keys(view: str, key: str, hash_key: bool) -> str:
    """SQL: the rows of `view` with `key` as it is stored (with `hash_key`, the md5 of its source text)."""
    return f"(SELECT * REPLACE (md5({key}) AS {key}) FROM {view})" if hash_key else view


def stored_keys(con: duckdb.DuckDBPyConnection, texts: pl.Series) -> pl.Series:
    """Content-keyed rows' keys as stored, from their source text: DuckDB's md5, the function every
    stored key was made with (polars' hash is not stable across versions), as insert_new's
    `hash_key` computes it inside the insert. `con` may be a cursor of the writer's database used
    from another thread: the query reads no table."""
    with registered(con, "_key_texts", pa.table({"k": texts.to_arrow()})):
        hashed = con.execute("SELECT md5(k) AS k FROM _key_texts").to_arrow_table()
    return pl.from_arrow(hashed).to_series().alias(texts.name)


def ensure_table(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame | pa.Table) -> None:
    """Create `table` shaped like `frame`; on an existing table add the columns a newer version
    of the flattening produces, so INSERT BY NAME keeps working across upgrades."""
    try:  # pragma_table_info, not duckdb_columns(): the latter's first call in a process costs ~10 ms
        existing = {r[0] for r in con.execute(f"SELECT name FROM pragma_table_info('{table}')").fetchall()}
    except duckdb.CatalogException:
        existing = set()
    columns = frame.column_names if isinstance(frame, pa.Table) else frame.columns
    if existing and existing.issuperset(columns):
        return  # the common case, every run after the first: one catalog query
    with registered(con, "_shape", frame.slice(0, 0) if isinstance(frame, pa.Table) else frame.head(0)):
        if not existing:
            con.execute(f"CREATE TABLE IF NOT EXISTS {table} AS SELECT * FROM _shape")
            return
        for column, dtype, *_ in con.execute("DESCRIBE SELECT * FROM _shape").fetchall():
            if column not in existing:
                con.execute(f'ALTER TABLE {table} ADD COLUMN "{column}" {dtype}')
