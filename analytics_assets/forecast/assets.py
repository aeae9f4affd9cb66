"""Dagster wiring for the spend forecast: reads the cost mart, fits (model/backtest in model.py),
writes `forecast.forecast_spend` and the backtest table, and shows the backtest in metadata."""

import datetime as dt
import hashlib
from pathlib import Path

import dagster as dg
import polars as pl

from ..resources import WarehouseResource, mart_reader, retried_on_lake_conflict
from ..warehouse import registered, table_exists
from . import model
from .model import BASELINE, FORECAST_SCHEMA, HORIZON, forecast_spend

FORECAST_KEY = dg.AssetKey(["forecast", "forecast_spend"])
REQUESTS = dg.AssetKey(["marts", "fct_agent_requests"])
MODEL_CODE = hashlib.sha256(Path(model.__file__).read_bytes()).hexdigest()[:12]  # a changed model refits


def last_complete_day(last_with_data: dt.date | None) -> dt.date | None:
    """The day the forecast and the alerts are as of: yesterday (UTC), or the last day with data when earlier."""
    if last_with_data is None:
        return None
    return min(last_with_data, dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1))


def spend_series(con, end: dt.date | None = None) -> tuple[pl.DataFrame, dt.date | None]:
    """Daily cost in total, per agent, and per team (when the config names teams), through the
    last complete day (yesterday, or the last day with data when that is earlier)."""
    # Summed exactly (DECIMAL): a DOUBLE sum's last digits depend on the order DuckDB's threads add rows in,
    # and the same history should give the same fit (and the same digest: input_digest).
    daily = con.execute("""SELECT event_date AS day, agent, team, sum(cost_usd::DECIMAL(38, 12))::DOUBLE AS cost_usd
                           FROM marts.fct_agent_requests WHERE event_date IS NOT NULL AND cost_usd IS NOT NULL
                           GROUP BY ALL""").pl()
    if daily.height == 0:
        return daily, None
    end = end or last_complete_day(daily["day"].max())
    daily = daily.filter(pl.col("day") <= end)
    parts = [daily.select(pl.lit("total").alias("series_kind"), pl.lit("all").alias("series_name"), "day", "cost_usd"),
             daily.select(pl.lit("agent").alias("series_kind"), pl.col("agent").alias("series_name"), "day", "cost_usd")]
    if daily.filter(pl.col("team") != "unassigned")["team"].n_unique() > 0:
        parts.append(daily.select(pl.lit("team").alias("series_kind"), pl.col("team").fill_null("unassigned").alias("series_name"),
                                  "day", "cost_usd"))
    return pl.concat(parts), end


def input_digest(series: pl.DataFrame, end: dt.date | None) -> str:
    """What the fit depends on: every series' daily costs through `end`, the horizon and the model's code."""
    # Every column in the sort: a series holds several rows a day (one per team).
    ordered = series.sort(["series_kind", "series_name", "day", "cost_usd"]) if series.height else series
    text = f"{end}|{HORIZON}|{BASELINE}|{MODEL_CODE}|" + ordered.write_csv()
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def last_fit(context: dg.AssetExecutionContext) -> dict:
    """The metadata of the forecast's last materialization (empty when there is none)."""
    last = context.instance.get_latest_materialization_event(FORECAST_KEY)
    return dict(last.asset_materialization.metadata) if last and last.asset_materialization else {}


def unchanged_fit(metadata: dict, con, digest: str) -> dict | None:
    """The last fit's `metadata` when it was made from exactly these inputs and its table is still there."""
    previous = metadata.get("input_digest")
    if previous is None or previous.value != digest or not table_exists(con, "forecast.forecast_spend"):
        return None
    return {k: v for k, v in metadata.items() if k != "status"} | {"status": getattr(metadata.get("status"), "value", "")}


def day_kept_by_refresh(context: dg.AssetExecutionContext, metadata: dict, con) -> dict | None:
    """In a refresh (a run for a source's new bytes), the last fit's `metadata` when its history, through the
    last day it was fitted to, is unchanged: the first refresh after midnight would otherwise refit only because
    yesterday became a complete day (~2-4 s, in the run whose dashboard someone waits for). The day moves with
    the daily schedule (`marts_and_forecast_daily`, 05:00) and with any other run; late rows for a day the fit
    covers change that history, and the refresh refits."""
    day = metadata.get("last_history_day")
    if not context.job_name.endswith("_refresh") or day is None:
        return None
    series, end = spend_series(con, dt.date.fromisoformat(day.value))
    return unchanged_fit(metadata, con, input_digest(series, end))


@dg.asset(
    key=FORECAST_KEY,
    deps=[REQUESTS],
    **mart_reader("forecast"),
    group_name="forecast",
    kinds={"statsforecast", "duckdb"},
    description=f"The next {HORIZON} days of spend in total, per agent and per team (when teams are configured), with 80 % and "
    "95 % prediction intervals. Per series, AutoETS and AutoTheta (weekly season) compete with a seasonal-naive baseline in "
    "a rolling-origin backtest (MASE); the best is used, and the metadata says whether it beat the baseline. Histories "
    "under 14 days get a weekday-mean fallback.",
)
@retried_on_lake_conflict
def forecast_spend_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        series, end = spend_series(con)
        digest = input_digest(series, end)
        previous = last_fit(context)
        kept = unchanged_fit(previous, con, digest)
        if kept is not None:
            # Through the last complete day, nothing changed (a refresh today adds only today's rows): the
            # fit would be the same; refitting costs ~4 s of every refresh.
            return dg.MaterializeResult(metadata={**kept, "status": f"inputs unchanged since the last fit: kept ({kept.get('status', '')})"})
        kept = day_kept_by_refresh(context, previous, con)
        if kept is not None:
            return dg.MaterializeResult(metadata={**kept, "status": f"a refresh keeps the fit's last day, {kept['last_history_day'].value}; "
                                                  f"the daily schedule moves it ({kept.get('status', '')})"})
        forecast, reports = forecast_spend(series, end) if end else (None, [])
        con.execute("CREATE SCHEMA IF NOT EXISTS forecast")
        if forecast is None:
            with registered(con, "_forecast", pl.DataFrame(schema=FORECAST_SCHEMA)):  # the table exists, empty
                con.execute("CREATE OR REPLACE TABLE forecast.forecast_spend AS SELECT * FROM _forecast")
            return dg.MaterializeResult(metadata={"status": "no priced spend yet: nothing to forecast", "dagster/row_count": 0})
        backtest = pl.DataFrame([{"series_kind": r.series_kind, "series_name": r.series_name, "model": r.model,
                                  "history_days": r.history_days, "mase_chosen": r.mase.get(r.model),
                                  "mase_baseline": r.mase.get(BASELINE), "beats_baseline": r.beats_baseline, "note": r.note}
                                 for r in reports],
                                schema={"series_kind": pl.String, "series_name": pl.String, "model": pl.String, "history_days": pl.Int64,
                                        "mase_chosen": pl.Float64, "mase_baseline": pl.Float64, "beats_baseline": pl.Boolean,
                                        "note": pl.String})
        with registered(con, "_forecast", forecast), registered(con, "_backtest", backtest):
            con.execute("CREATE OR REPLACE TABLE forecast.forecast_spend AS SELECT * FROM _forecast")
            con.execute("CREATE OR REPLACE TABLE forecast.forecast_backtest AS SELECT *, now() AS fitted_at FROM _backtest")
    total = next((r for r in reports if r.series_kind == "total"), None)
    table = "| series | model | history days | MASE chosen | MASE baseline | beats baseline | note |\n|---|---|---|---|---|---|---|\n"
    table += "\n".join(f"| {r.series_kind}:{r.series_name} | {r.model} | {r.history_days} | "
                       f"{r.mase.get(r.model, float('nan')):.3f} | {r.mase.get(BASELINE, float('nan')):.3f} | {r.beats_baseline} | {r.note} |"
                       for r in reports)
    month_end = forecast.filter((pl.col("series_kind") == "total") & (pl.col("day").dt.month() == end.month))
    status = ("no total series" if total is None else
              f"total: {total.model} beats the seasonal-naive baseline (MASE {total.mase[total.model]:.3f} vs {total.mase[BASELINE]:.3f})"
              if total.beats_baseline else f"total: {total.model} — {total.note or 'does not beat the seasonal-naive baseline'}")
    if total is None or not total.beats_baseline:
        context.log.warning(status)
    return dg.MaterializeResult(metadata={
        "status": status,
        "input_digest": digest,
        "last_history_day": str(end),
        "series": len(reports),
        "total_model": total.model if total else None,
        "total_backtest_mase_chosen": float(total.mase.get(total.model, float("nan"))) if total else None,
        "total_backtest_mase_baseline": float(total.mase.get(BASELINE, float("nan"))) if total else None,
        "total_beats_baseline": bool(total.beats_baseline) if total else False,
        "next_30_days_usd": float(round(forecast.filter(pl.col("series_kind") == "total")["yhat"].sum(), 2)),
        "rest_of_month_usd": float(round(month_end["yhat"].sum(), 2)),
        "backtest": dg.MetadataValue.md(table),
        "dagster/row_count": forecast.height,
    })
