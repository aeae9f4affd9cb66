"""Alert conditions, computed from mart data (pure: polars in, alerts out; no Dagster, no I/O
beyond reading the budgets YAML).

Budgets file (path from `budgets_file` in analytics.yaml):

    budgets:
      - scope: organization     # organization | team | agent | developer
        name: all               # the team, the agent (claude_code, codex, ...), the developer's name
        monthly_usd: 2000
        thresholds: [0.8, 1.0]  # shares of the budget; 1.0 and above are errors, below are warnings

Every alert has a stable `key` naming its condition (rule, subject, period): the alerts table
keeps one open row per key, so a condition that holds for days alerts once.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import yaml

from ..privacy import keyed_hash

SCOPES = ("organization", "team", "agent", "developer")
WARN, ERROR = "WARN", "ERROR"
TRAILING_DAYS = 28


class BudgetError(ValueError):
    pass


@dataclass(frozen=True)
class Budget:
    scope: str
    name: str
    monthly_usd: float
    thresholds: tuple[float, ...] = (0.8, 1.0)


@dataclass(frozen=True)
class Alert:
    key: str
    rule: str
    severity: str
    subject: str
    message: str
    value: float | None = None
    threshold: float | None = None


def load_budgets(path: Path | None) -> list[Budget]:
    if path is None or not Path(path).exists():
        return []
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except yaml.YAMLError as exc:
        raise BudgetError(f"{path} is not valid YAML: {exc}") from exc
    budgets = []
    for i, raw in enumerate(data.get("budgets") or []):
        where = f"{path}: budgets[{i}]"
        if not isinstance(raw, dict) or raw.get("scope") not in SCOPES:
            raise BudgetError(f"{where}.scope must be one of {', '.join(SCOPES)}")
        try:
            amount = float(raw["monthly_usd"])
            thresholds = tuple(sorted(float(t) for t in raw.get("thresholds") or (0.8, 1.0)))
        except (KeyError, TypeError, ValueError):
            raise BudgetError(f"{where} needs monthly_usd (a number) and thresholds (numbers)") from None
        if amount <= 0 or not thresholds or any(t <= 0 for t in thresholds):
            raise BudgetError(f"{where}: monthly_usd and thresholds must be positive")
        budgets.append(Budget(raw["scope"], str(raw.get("name") or "all"), amount, thresholds))
    return budgets


def _scope_filter(budget: Budget, salt: bytes, keep_names: bool) -> pl.Expr:
    if budget.scope == "organization":
        return pl.lit(True)
    if budget.scope == "developer":
        key = budget.name if keep_names else keyed_hash(budget.name, salt)
        return pl.col("developer_key") == key
    return pl.col(budget.scope) == budget.name


def _month(asof: dt.date) -> tuple[dt.date, dt.date]:
    return asof.replace(day=1), asof.replace(day=calendar.monthrange(asof.year, asof.month)[1])


def budget_alerts(spend: pl.DataFrame, forecast: pl.DataFrame, budgets: list[Budget], asof: dt.date,
                  salt: bytes = b"", keep_names: bool = False) -> list[Alert]:
    """`spend`: (day, agent, team, developer_key, cost_usd); `forecast`: (series_kind, series_name,
    day, yhat). Month-to-date through `asof` against each threshold (the highest crossed one
    alerts), and the month-end projection (MTD + forecast of the days left) against the budget."""
    start, end = _month(asof)
    alerts = []
    for budget in budgets:
        rows = spend.filter(pl.col("day").is_between(start, asof) & _scope_filter(budget, salt, keep_names))
        mtd = float(rows["cost_usd"].sum() or 0.0)
        subject = f"{budget.scope} {budget.name}"
        month = f"{start:%Y-%m}"
        crossed = [t for t in budget.thresholds if mtd >= t * budget.monthly_usd]
        if crossed:
            t = crossed[-1]
            alerts.append(Alert(
                f"budget_mtd|{budget.scope}|{budget.name}|{month}|{t:g}", "budget_month_to_date", ERROR if t >= 1 else WARN,
                subject, f"{subject}: ${mtd:,.2f} spent in {month} through {asof}, {mtd / budget.monthly_usd:.0%} of the "
                f"${budget.monthly_usd:,.2f} budget (threshold {t:.0%})", round(mtd, 2), round(t * budget.monthly_usd, 2)))
        series = {"organization": ("total", "all"), "team": ("team", budget.name), "agent": ("agent", budget.name)}.get(budget.scope)
        rest = forecast.filter((pl.col("day") > asof) & (pl.col("day") <= end))
        if series:
            rest = rest.filter((pl.col("series_kind") == series[0]) & (pl.col("series_name") == series[1]))
            projected, how = mtd + float(rest["yhat"].sum() or 0.0), "forecast"
        else:  # developers have no forecast series of their own: the month's pace so far
            projected, how = mtd / asof.day * end.day, "pace so far"
        if projected > budget.monthly_usd:
            alerts.append(Alert(
                f"budget_forecast|{budget.scope}|{budget.name}|{month}", "budget_forecast_month_end", WARN, subject,
                f"{subject}: month-end spend projected at ${projected:,.2f} ({how}), over the ${budget.monthly_usd:,.2f} budget "
                f"for {month}", round(projected, 2), budget.monthly_usd))
    return alerts


def spike_alerts(spend: pl.DataFrame, asof: dt.date, z_threshold: float = 3.5, min_usd: float = 5.0) -> list[Alert]:
    """A day's spend (in total and per agent) far above the trailing four weeks' same kind of day
    (workday vs weekend): robust z-score = 0.6745 × (x − median) / MAD, and at least `min_usd` above
    the median so that cents never page anyone."""
    alerts = []
    weekend = asof.weekday() >= 5
    window = spend.filter(pl.col("day").is_between(asof - dt.timedelta(days=TRAILING_DAYS), asof))
    window = window.with_columns(pl.lit("all").alias("total"))
    for kind, column in (("total", "total"), ("agent", "agent")):
        daily = window.group_by(column, "day").agg(pl.col("cost_usd").sum())
        for (name,), part in daily.group_by(column):
            today = part.filter(pl.col("day") == asof)["cost_usd"].sum()
            history = part.filter((pl.col("day") < asof) & ((pl.col("day").dt.weekday() >= 6) == weekend))
            # Days without spend are zeros, not missing: fill the trailing same-kind days.
            days = [asof - dt.timedelta(days=i) for i in range(1, TRAILING_DAYS + 1) if ((asof - dt.timedelta(days=i)).weekday() >= 5) == weekend]
            values = dict(zip(history["day"].to_list(), history["cost_usd"].to_list()))
            series = pl.Series([float(values.get(d, 0.0)) for d in days])
            median = float(series.median() or 0.0)
            mad = float((series - median).abs().median() or 0.0)
            excess = today - median
            z = float("inf") if mad == 0 else 0.6745 * excess / mad
            if excess >= min_usd and z >= z_threshold:
                subject = "all agents" if kind == "total" else f"agent {name}"
                alerts.append(Alert(
                    f"spend_spike|{kind}|{name}|{asof}", "daily_spend_spike", WARN, subject,
                    f"{subject}: ${today:,.2f} on {asof} vs a median of ${median:,.2f} on the same kind of day in the trailing "
                    f"{TRAILING_DAYS} days (robust z {'∞' if z == float('inf') else f'{z:.1f}'})", round(today, 2), round(median, 2)))
    return alerts


def unpriced_alerts(unpriced: pl.DataFrame) -> list[Alert]:
    """`unpriced`: (model, agent, requests, tokens) of requests with no price."""
    return [Alert(f"unpriced_model|{r['agent']}|{r['model']}", "unpriced_model", WARN, f"model {r['model']}",
                  f"{r['agent']} used {r['model']} ({r['requests']:,} requests, {r['tokens']:,} tokens) and it has no price: add it "
                  "to dbt/seeds/model_price_overrides.csv", float(r["tokens"]), None)
            for r in unpriced.iter_rows(named=True)]


def inactive_seat_alerts(seats: pl.DataFrame) -> list[Alert]:
    """`seats`: the latest snapshot per scope (scope_name, inactive_28d, inactive_monthly_cost_usd)."""
    return [Alert(f"inactive_seats|{r['scope_name']}", "inactive_copilot_seats", WARN, f"Copilot {r['scope_name']}",
                  f"{r['inactive_28d']} Copilot seat(s) in {r['scope_name']} unused for 28+ days, "
                  f"${r['inactive_monthly_cost_usd']:,.2f} a month", float(r["inactive_28d"]), None)
            for r in seats.iter_rows(named=True) if r["inactive_28d"]]
