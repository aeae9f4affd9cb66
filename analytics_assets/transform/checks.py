"""Asset checks on the marts that dbt tests cannot express well: they report figures, not rows."""

import dagster as dg

from ..resources import WarehouseResource, writer_pool

AGENT_REQUESTS = dg.AssetKey(["marts", "fct_agent_requests"])


@dg.asset_check(
    asset=AGENT_REQUESTS,
    name="every_model_priced",
    description="Warns when requests use a model with no price in model_prices / model_price_overrides (and no cost "
    "reported by the agent): their cost is unknown, never a silent $0. Lists each such model with its token volume.",
    blocking=False,
    pool=writer_pool(None),  # reads the warehouse: in the file's writer pool, so it never meets a writer's lock
)
def every_model_priced(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        rows = con.execute(
            """SELECT coalesce(model, '(none)'), agent, count(*), sum(total_tokens), min(event_date), max(event_date)
               FROM marts.fct_agent_requests WHERE pricing_status = 'unpriced'
               GROUP BY 1, 2 ORDER BY 4 DESC"""
        ).fetchall()
        matched = con.execute(
            "SELECT price_match, count(*) FROM marts.fct_agent_requests GROUP BY 1 ORDER BY 1 NULLS LAST"
        ).fetchall()
    table = "| model | agent | requests | tokens | first day | last day |\n|---|---|---|---|---|---|\n" + "\n".join(
        f"| {m} | {a} | {n:,} | {t:,} | {d0} | {d1} |" for m, a, n, t, d0, d1 in rows
    )
    return dg.AssetCheckResult(
        passed=not rows,
        severity=dg.AssetCheckSeverity.WARN,
        description=None if not rows else f"{len(rows)} model(s) without a price: add them to dbt/seeds/model_price_overrides.csv",
        metadata={
            "unpriced_models": len(rows),
            "unpriced_requests": sum(r[2] for r in rows),
            "unpriced_tokens": sum(r[3] for r in rows),
            "unpriced": dg.MetadataValue.md(table if rows else "_every model is priced_"),
            "requests_by_price_match": dg.MetadataValue.json({str(k): v for k, v in matched}),
        },
    )
