"""`analytics-assets` console script. `summary` prints what the warehouse holds (used by `make run`);
`partition-range` the Copilot or marts partitions `make run` backfills; `materialize-all` runs the whole
graph over them (`make run`); `receive` runs the OTLP/HTTP receiver, which also takes the team's
pushes; `token` manages the receiver's per-machine tokens; `push` sends this machine's transcripts to
it; `init` configures this machine's agents; `doctor` checks the set-up."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .config import settings

SCHEMAS = ("raw", "pricing", "staging", "intermediate", "marts", "forecast", "alerts", "community")


def summary() -> int:
    from . import lake, warehouse

    s = settings()
    in_lake = lake.url() is not None
    if not in_lake and not s.duckdb_path.exists():
        print(f"No warehouse at {s.duckdb_path}: run `make run` first.", file=sys.stderr)
        return 1
    con = warehouse.connect(s.duckdb_path, read_only=True)
    try:
        tables = con.execute(
            "SELECT table_schema, table_name, table_type FROM information_schema.tables "
            "WHERE table_schema IN ? AND table_catalog = current_database() ORDER BY table_schema, table_name",
            [list(SCHEMAS)],
        ).fetchall()
        # (a lake's connection string may hold a password: never printed)
        print(f"Warehouse   DuckLake, catalog in PostgreSQL, data in {lake.data_path()}" if in_lake else f"Warehouse   {s.duckdb_path}")
        print(f"Landing     {s.landing_dir}")
        print(f"Outputs     {s.output_dir}")
        print(f"Dagster     {os.environ.get('DAGSTER_HOME', '(DAGSTER_HOME not set)')}  (`make ui` to browse runs and lineage)")
        print()
        print(f"{'table':<45} {'kind':<6} {'rows':>12}")
        for schema, name, kind in tables:
            rows = con.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchone()[0]
            print(f"{schema + '.' + name:<45} {'view' if kind == 'VIEW' else 'table':<6} {rows:>12,}")
        if ("raw", "quarantine", "BASE TABLE") in tables:
            reasons = con.execute(
                "SELECT source, count(*) FROM raw.quarantine GROUP BY source ORDER BY source"
            ).fetchall()
            print()
            print("quarantined: " + (", ".join(f"{src}={n}" for src, n in reasons) or "nothing"))
        outputs = [(label, path) for label, path in (
            ("dashboard", s.output_dir / "reports" / "dashboard.html"),
            ("exports", max((s.output_dir / "exports").glob("*/manifest.json"), default=None)),
            ("community", s.output_dir / "community" / "manifest.json")) if path and path.exists()]
        if outputs:
            print()
            for label, path in outputs:
                print(f"{label:<10} {path.parent if path.name == 'manifest.json' else path}")
    finally:
        con.close()
    return 0


def partition_range(kind: str, days: int) -> int:
    start, end = partition_span(kind, days)
    print(f"{start}...{end}")
    return 0


def partition_span(kind: str, days: int = 28) -> tuple[str, str]:
    """The partition range `make run` backfills, (START, END). The demo's days when landing/ holds the
    demo. Otherwise, Copilot: the last `days` complete days (GitHub publishes a day's report the next
    morning); marts: every day raw retention keeps, up to today (a partition for today exists)."""
    import datetime as dt
    import json

    from . import partitions, project_config

    manifest = settings().landing_dir / "demo_manifest.json"
    today = partitions.today_utc()
    if manifest.exists():
        arguments = json.loads(manifest.read_text())["arguments"]
        start, end = arguments["start"], arguments["end"]
        end = today.isoformat() if kind == "marts" else end
    elif kind == "copilot":
        end = today - dt.timedelta(days=1)
        start, end = (end - dt.timedelta(days=days - 1)).isoformat(), end.isoformat()
    else:
        cutoff = project_config.load(settings().config_path).retention.raw_cutoff(today)
        start, end = max(cutoff.isoformat(), partitions.HISTORY_START), today.isoformat()
    return start, end


def materialize_all() -> int:
    """`make run`'s graph, in this one process (the code location is imported once, every step runs in
    it): Copilot's report partitions in one run, then everything else over the marts' days in a second
    (each asset's single-run backfill policy makes a partition range one run). Both are runs of the
    instance DAGSTER_HOME names, as `dagster asset materialize --partition-range` would make them."""
    import time

    from .transform.dbt_state import finish_parse_ahead, start_parse_ahead

    # On a fresh warehouse dbt parses the whole project (~7 s of a core) in a process of its own while this one
    # imports the code location and ingests; the graph's first dbt command then parses only what changed.
    start_parse_ahead()

    import dagster as dg

    from .copilot.assets import copilot_usage
    from .definitions import defs

    instance = dg.DagsterInstance.get()
    copilot = dg.AssetSelection.assets(copilot_usage)
    try:
        for label, selection, kind in (("Copilot reports", copilot, "copilot"), ("the rest of the graph", dg.AssetSelection.all() - copilot, "marts")):
            start, end = partition_span(kind)
            started = time.perf_counter()
            result = dg.materialize([*defs.assets, *defs.asset_checks], instance=instance, resources=defs.resources, selection=selection,
                                    tags={"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end},
                                    raise_on_error=False)
            outcome = "succeeded" if result.success else "FAILED"
            print(f"{label} ({start}...{end}): run {result.run_id} {outcome} in {time.perf_counter() - started:.1f} s", flush=True)
            if not result.success:
                return 1
        return 0
    finally:
        finish_parse_ahead()  # no process left behind (a failed run's warehouse keeps the state for the next)


def lake_import(source: Path, replace: bool) -> int:
    """`analytics-assets lake-import FILE`: the file's tables (and hash salt) into the lake; then a `dbt build`
    (`make run`, or any refresh) recreates the staging views."""
    from . import lake
    from .lake_import import LakeImportError, carry_salt, import_file

    if not lake.url():
        print("analytics-assets lake-import: set ANALYTICS_WAREHOUSE=ducklake:postgres:<connection string> and "
              "ANALYTICS_LAKE_DATA_PATH to the lake to import into", file=sys.stderr)
        return 2
    try:
        salt = carry_salt(source.resolve(), settings().duckdb_path.resolve())
        with lake.connect() as con:
            copied = import_file(con, source.resolve(), replace)
    except (LakeImportError, lake.LakeError) as exc:
        print(f"analytics-assets lake-import: {exc}", file=sys.stderr)
        return 1
    for c in copied:
        print(f"{c.schema}.{c.table:<40} {c.rows:>12,}")
    print(f"{len(copied)} tables, {sum(c.rows for c in copied):,} rows copied into the lake ({lake.data_path()}); {salt}. "
          "Next: `make run` (or any refresh) rebuilds the dbt views.", file=sys.stderr)
    return 0


def token_command(args) -> int:
    from .receiver.tokens import TokenError, TokenStore, default_path

    store = TokenStore(Path(args.tokens) if args.tokens else default_path(settings().duckdb_path))
    try:
        if args.token_command == "add":
            token = store.add(args.developer, args.machine)
            print(f"token for {args.machine} ({args.developer}), shown once; on that machine put it in a file "
                  f"for `push --token-file` or in ANALYTICS_PUSH_TOKEN:", file=sys.stderr)
            print(token)
        elif args.token_command == "list":
            rows = store.listing()
            print(f"{'machine':<28} {'developer':<28} created")
            for row in rows:
                print(f"{row['machine']:<28} {row['developer']:<28} {row['created']}")
            print(f"{len(rows)} token(s) in {store.path}", file=sys.stderr)
        else:
            removed = store.revoke(args.machine)
            print(f"revoked {removed} token(s) of {args.machine}", file=sys.stderr)
            return 0 if removed else 1
    except TokenError as exc:
        print(f"analytics-assets token: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="analytics-assets")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("summary", help="tables, row counts and paths of the warehouse")
    span = sub.add_parser("partition-range", help="START...END of the partitions `make run` backfills")
    span.add_argument("kind", choices=["copilot", "marts"])
    span.add_argument("--days", type=int, default=28, help="Copilot: how many complete days (outside the demo)")
    sub.add_parser("materialize-all", help="the whole graph on the demo's (or retention's) days, in two runs of this instance")
    receive = sub.add_parser("receive", help="OTLP/HTTP receiver writing landing/otlp (token: ANALYTICS_RECEIVER_TOKEN)")
    receive.add_argument("--host", default="127.0.0.1")
    receive.add_argument("--port", type=int, default=4318, help="0 picks a free port (printed on the first line)")
    receive.add_argument("--landing", default="", help="folder for the files (default: ANALYTICS_LANDING_DIR/otlp)")
    receive.add_argument("--max-body-mb", type=float, default=16.0)
    receive.add_argument("--rotate-mb", type=float, default=64.0)
    receive.add_argument("--rotate-seconds", type=float, default=300.0)
    receive.add_argument("--min-free-mb", type=float, default=256.0, help="answer 503 below this much free disk")
    receive.add_argument("--tokens", default="", help="per-machine tokens file (default: beside the warehouse)")
    receive.add_argument("--tls-cert", default="", help="serve HTTPS with this certificate chain (PEM)")
    receive.add_argument("--tls-key", default="", help="the certificate's private key (PEM), when not in --tls-cert")
    token = sub.add_parser("token", help="the receiver's per-machine tokens: add, list, revoke")
    token.add_argument("--tokens", default="", help="tokens file (default: beside the warehouse)")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    token_add = token_sub.add_parser("add", help="a new token for a machine, printed once (its last word on stdout)")
    token_add.add_argument("--developer", required=True)
    token_add.add_argument("--machine", required=True)
    token_sub.add_parser("list", help="developer, machine and date of every token")
    token_revoke = token_sub.add_parser("revoke", help="remove every token of a machine")
    token_revoke.add_argument("machine")
    push = sub.add_parser("push", help="send this machine's new transcript lines to the team receiver")
    push.add_argument("--to", default="", help="the receiver's URL, e.g. https://analytics.example.com:4318 "
                      "(default: what `init --push-to` saved)")
    push.add_argument("--token-file", default="", help="file holding this machine's token (else ANALYTICS_PUSH_TOKEN, "
                      "else what `init --push-to` saved)")
    push.add_argument("--ca-file", default="", help="certificates to trust for HTTPS (else the system's)")
    push.add_argument("--state", default="", help="the local cursor file (default: ~/.local/state/analytics-assets/)")
    push.add_argument("--quiet", action="store_true", help="only the summary line")
    init = sub.add_parser("init", help="configure Claude Code, Codex, transcript roots and repositories on this machine")
    init.add_argument("--dry-run", action="store_true", help="print the changes, write nothing")
    init.add_argument("--home", default=str(Path.home()), help="the home folder holding .claude/ and .codex/")
    init.add_argument("--repo", action="append", default=[], help="a git repository to follow (repeatable)")
    init.add_argument("--receiver", default="http://127.0.0.1:4318")
    init.add_argument("--push-to", default="", help="the team server's receiver URL: telemetry and transcript pushes go there")
    init.add_argument("--token-file", default="", help="with --push-to: the file holding this machine's token")
    init.add_argument("--cleanup-days", type=int, default=None,
                      help="set Claude Code's cleanupPeriodDays (how long it keeps transcripts; 30 by default)")
    move = sub.add_parser("lake-import", help="copy a DuckDB warehouse file's history into the lake ANALYTICS_WAREHOUSE names")
    move.add_argument("file", help="the DuckDB warehouse file, e.g. data/warehouse.duckdb")
    move.add_argument("--replace", action="store_true", help="overwrite tables the lake already holds rows in")
    doctor = sub.add_parser("doctor", help="check the set-up and say what is missing")
    doctor.add_argument("--receiver", default="http://127.0.0.1:4318")
    args = parser.parse_args(argv)
    if args.command == "init":
        from .onboarding import init_agents

        return init_agents.run(Path(args.home), dict(os.environ), settings().config_path, [Path(r) for r in args.repo],
                               args.dry_run, args.receiver, args.push_to, args.token_file, args.cleanup_days)
    if args.command == "doctor":
        from .onboarding import doctor as checks

        return checks.run(settings(), args.receiver)[0]
    if args.command == "receive":
        from .receiver.server import config_from_args, serve
        from .receiver.tokens import default_path

        return serve(config_from_args(args, settings().landing_dir, default_path(settings().duckdb_path)))
    if args.command == "token":
        return token_command(args)
    if args.command == "push":
        from .push.client import run as push_run

        return push_run(args)
    if args.command == "summary":
        return summary()
    if args.command == "partition-range":
        return partition_range(args.kind, args.days)
    if args.command == "materialize-all":
        return materialize_all()
    if args.command == "lake-import":
        return lake_import(Path(args.file), args.replace)
    return 2


if __name__ == "__main__":
    sys.exit(main())
