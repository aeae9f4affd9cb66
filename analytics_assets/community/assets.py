"""The community dataset: k-anonymous daily aggregates by agent and model (agent requests) and by
command type and tool (Zen), published once per day when the day is final, as Parquet under
<output>/community/. Membership (who contributed to which cell) stays in the warehouse's
`community.members` for audit and is never exported."""

import datetime as dt

import dagster as dg
import polars as pl

from .. import project_config
from ..config import settings
from ..files import copy_query_atomically, write_text_atomically
from ..partitions import AFTER_THE_DASHBOARD
from ..resources import WarehouseResource, mart_reader, retried_on_lake_conflict
from ..warehouse import registered, table_exists, transaction
from .anonymize import Family, anonymize

FAMILIES = {
    "requests": (Family("requests", ("agent", "model"), "developer_key", ("requests", "tokens", "cost_usd")),
                 """SELECT event_date AS day, agent, coalesce(model, 'unknown') AS model, developer_key, 1::BIGINT AS requests,
                           coalesce(total_tokens, 0)::BIGINT AS tokens, coalesce(cost_usd, 0)::DOUBLE AS cost_usd
                    FROM marts.fct_agent_requests WHERE event_date IS NOT NULL AND developer_key IS NOT NULL"""),
    # Zen spans carry no developer: the workspace is the person-like unit k counts.
    "zen_tools": (Family("zen_tools", ("command_type", "tool_name"), "workspace_hash", ("instances", "invocations", "tokens")),
                  """SELECT t.event_date AS day, coalesce(t.command_type, 'unknown') AS command_type, t.tool_name,
                            i.workspace_hash, 1::BIGINT AS instances, t.invocations::BIGINT AS invocations, t.tokens::BIGINT AS tokens
                     FROM marts.fact_tool_usage t JOIN marts.fact_instance_usage i USING (instance_id)
                     WHERE t.event_date IS NOT NULL AND i.workspace_hash IS NOT NULL"""),
}


def _ensure(con) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS community")
    con.execute("""CREATE TABLE IF NOT EXISTS community.days (family VARCHAR, day DATE, k INTEGER, total_tokens BIGINT,
                   published_tokens BIGINT, suppressed_tokens BIGINT, suppressed_people BIGINT, published_at TIMESTAMPTZ,
                   late_unpublished_tokens BIGINT)""")


def publish(con, k: int, grace_days: int, asof: dt.date | None = None) -> dict:
    """Publish every final day not published yet; report late changes to published days."""
    _ensure(con)
    report = {}
    for name, (family, sql) in FAMILIES.items():
        records = con.execute(sql).pl()
        if records.height == 0:
            report[name] = {"days_published": 0, "rows_published": 0}
            continue
        last = asof or records["day"].max()
        done = {r[0] for r in con.execute("SELECT day FROM community.days WHERE family = ?", [name]).fetchall()}
        final = records.filter((pl.col("day") <= last - dt.timedelta(days=grace_days)) & ~pl.col("day").is_in(list(done)))
        rows, members, suppressed = anonymize(final, family, k)
        now = dt.datetime.now(dt.timezone.utc)
        totals = final.group_by("day").agg(pl.col("tokens").sum().alias("total_tokens"))
        pub_tokens = rows.group_by("day").agg(pl.col("tokens").sum().alias("published_tokens"))
        days = (totals.join(pub_tokens, on="day", how="left").join(suppressed.select("day", "suppressed_tokens", "suppressed_people"),
                                                                    on="day", how="left")
                .with_columns(pl.col("published_tokens", "suppressed_tokens", "suppressed_people").fill_null(0))
                .select(pl.lit(name).alias("family"), "day", pl.lit(k).alias("k"), "total_tokens", "published_tokens",
                        "suppressed_tokens", "suppressed_people", pl.lit(now).alias("published_at"),
                        pl.lit(0, pl.Int64).alias("late_unpublished_tokens")))
        table, member_table = f"community.{name}", f"community.{name}_members"
        with registered(con, "_rows", rows.with_columns(pl.lit(now).alias("published_at"))), \
                registered(con, "_members", members), registered(con, "_days", days):
            con.execute(f"CREATE TABLE IF NOT EXISTS {table} AS SELECT * FROM _rows LIMIT 0")
            con.execute(f"CREATE TABLE IF NOT EXISTS {member_table} AS SELECT * FROM _members LIMIT 0")
            with transaction(con):
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
                con.execute(f"INSERT INTO {member_table} BY NAME SELECT * FROM _members")
                con.execute("INSERT INTO community.days BY NAME SELECT * FROM _days")
        # Late data for days already published: counted, never republished.
        current = records.filter(pl.col("day").is_in(list(done))).group_by("day").agg(pl.col("tokens").sum().alias("now_tokens"))
        with registered(con, "_current", current):
            con.execute("""UPDATE community.days d SET late_unpublished_tokens = c.now_tokens - d.total_tokens
                           FROM _current c WHERE d.family = ? AND d.day = c.day""", [name])
        report[name] = {"days_published": days.height, "rows_published": rows.height}
    return report


def write_snapshot(con, folder, k: int, grace_days: int) -> dict:
    """The published cells as Parquet (atomic rename) and a manifest with the overall suppressed
    share. Per-day totals and suppressed amounts stay private: a day's total minus its published
    cells would be the suppressed cells themselves."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"k": k, "grace_days": grace_days, "families": {}}
    for name in FAMILIES:
        if not table_exists(con, f"community.{name}"):
            continue
        target = folder / f"community_{name}.parquet"
        copy_query_atomically(con, f"SELECT * EXCLUDE (published_at) FROM community.{name} ORDER BY ALL", target, "(FORMAT parquet)")
        rows, days = con.execute(f"SELECT count(*), count(DISTINCT day) FROM community.{name}").fetchone()
        total, suppressed = con.execute("SELECT sum(total_tokens), sum(suppressed_tokens) FROM community.days WHERE family = ?",
                                        [name]).fetchone()
        manifest["families"][name] = {"file": target.name, "rows": rows, "days": days,
                                      "suppressed_token_share": round(suppressed / total, 4) if total else 0.0}
    write_text_atomically(folder / "manifest.json", json.dumps(manifest, indent=2))
    return manifest


@dg.asset(
    key=["community", "community_aggregates"],
    deps=[dg.AssetKey(["marts", "fct_agent_requests"]), dg.AssetKey(["marts", "fact_tool_usage"]),
          dg.AssetKey(["marts", "fact_instance_usage"])],
    **mart_reader("community"),
    group_name="outputs",
    kinds={"polars", "parquet"},
    op_tags=AFTER_THE_DASHBOARD,
    description="k-anonymous daily aggregates (agent × model requests, tokens, cost; Zen command type × tool) with no "
    "identifiers: a cell is published only with at least k distinct contributors (community.k, default 5), smaller cells "
    "fold into 'other', the rest is suppressed and its share reported. A day is published once, after community.grace_days "
    "(default 2): late data is counted, never republished (the difference would expose its few contributors).",
)
@retried_on_lake_conflict
def community_aggregates(warehouse: WarehouseResource) -> dg.MaterializeResult:
    outputs = project_config.load(settings().config_path).outputs
    k, grace = outputs.community_k, outputs.community_grace_days
    with warehouse.connect() as con:
        report = publish(con, k, grace)
        files = write_snapshot(con, settings().output_dir / "community", k, grace)
        share = con.execute("""SELECT family, sum(total_tokens), sum(suppressed_tokens), sum(late_unpublished_tokens)
                               FROM community.days GROUP BY 1 ORDER BY 1""").fetchall()
    table = "| family | tokens | suppressed share | late, unpublished |\n|---|---|---|---|\n" + "\n".join(
        f"| {f} | {t:,} | {s / t if t else 0:.1%} | {late:,} |" for f, t, s, late in share)
    return dg.MaterializeResult(metadata={
        "k": k, "grace_days": grace, "published_now": dg.MetadataValue.json(report), "published": dg.MetadataValue.json(files["families"]),
        "suppression": dg.MetadataValue.md(table),
        "suppressed_share": float(round(sum(s for _, _, s, _ in share) / max(1, sum(t for _, t, _, _ in share)), 4)),
    })
