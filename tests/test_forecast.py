"""The spend forecast on generated series with a known trend and weekly seasonality: shape,
ordered intervals, the true future inside the 95 % interval on most days, the backtest against the
seasonal-naive baseline, and the fallbacks (short history, gaps, no spend)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from analytics_assets.forecast.model import BASELINE, HORIZON, MIN_HISTORY, forecast_spend

END = dt.date(2026, 11, 20)


def truth(days: int, seed: int, trend: float = 0.3, level: float = 60.0, noise: float = 4.0):
    """Workdays at level + trend × t, weekends at 10 % of that, Gaussian noise; history + the next 30 days."""
    rng = np.random.default_rng(seed)
    start = END - dt.timedelta(days=days - 1)
    out = []
    for t in range(days + HORIZON):
        day = start + dt.timedelta(days=t)
        base = (level + trend * t) * (1.0 if day.weekday() < 5 else 0.1)
        out.append((day, max(base + rng.normal(0, noise), 0.0)))
    return out[:days], out[days:]


def frame(rows, kind="total", name="all") -> pl.DataFrame:
    return pl.DataFrame([(kind, name, d, v) for d, v in rows], schema=["series_kind", "series_name", "day", "cost_usd"], orient="row")


def test_intervals_cover_the_true_future_and_the_model_beats_the_baseline():
    covered, beaten = [], []
    for seed in range(4):
        history, future = truth(120, seed)
        result, reports = forecast_spend(frame(history), END)
        assert result.height == HORIZON and result["day"].to_list() == [d for d, _ in future]
        assert (result["lo_95"] <= result["lo_80"]).all() and (result["lo_80"] <= result["yhat"]).all()
        assert (result["yhat"] <= result["hi_80"]).all() and (result["hi_80"] <= result["hi_95"]).all()
        assert (result["lo_95"] >= 0).all()
        actual = np.array([v for _, v in future])
        inside = (actual >= result["lo_95"].to_numpy()) & (actual <= result["hi_95"].to_numpy())
        covered.append(inside.mean())
        [report] = reports
        assert set(report.mase) == {"AutoETS", "AutoTheta", BASELINE}
        beaten.append(report.beats_baseline)
        # Weekly shape: forecast workdays well above forecast weekends.
        weekday = result.filter(pl.col("day").dt.weekday() <= 5)["yhat"].mean()
        weekend = result.filter(pl.col("day").dt.weekday() >= 6)["yhat"].mean()
        assert weekday > 3 * weekend
    print(f"\n95 % interval coverage of the true future per seed: {[round(float(c), 2) for c in covered]}; beats baseline: {beaten}")
    assert min(covered) >= 0.75 and np.mean(covered) >= 0.9
    assert sum(beaten) >= 3  # trend + season: a fitted model beats the naive weekly repeat


def test_short_histories_gaps_and_zero_series_fall_back_clearly():
    short, _ = truth(MIN_HISTORY - 4, seed=1)
    gappy, _ = truth(60, seed=2)
    gappy = [row for i, row in enumerate(gappy) if i % 9 != 4]  # missing days: no rows at all
    idle = [(END - dt.timedelta(days=i), 0.0) for i in range(40)]
    daily = pl.concat([frame(short, "agent", "newcomer"), frame(gappy, "agent", "gappy"), frame(idle, "agent", "idle")])
    result, reports = forecast_spend(daily, END)
    by_name = {r.series_name: r for r in reports}
    assert by_name["newcomer"].model == "fallback_weekday_mean" and "< 14" in by_name["newcomer"].note
    assert by_name["idle"].model == "fallback_weekday_mean" and "no spend" in by_name["idle"].note
    assert by_name["gappy"].history_days == 60  # the gaps were filled with zero-spend days, then fitted
    assert by_name["gappy"].model in ("AutoETS", "AutoTheta", BASELINE)
    for name in ("newcomer", "gappy", "idle"):
        part = result.filter(pl.col("series_name") == name)
        assert part.height == HORIZON and part["yhat"].is_finite().all() and (part["lo_95"] >= 0).all()
    assert result.filter(pl.col("series_name") == "idle")["hi_95"].max() == 0.0
    newcomer = result.filter(pl.col("series_name") == "newcomer")
    assert newcomer["yhat"].mean() > 0 and (newcomer["hi_95"] >= newcomer["yhat"]).all()


def test_nothing_to_forecast():
    result, reports = forecast_spend(pl.DataFrame(schema={"series_kind": pl.String, "series_name": pl.String,
                                                          "day": pl.Date, "cost_usd": pl.Float64}), END)
    assert result.height == 0 and reports == []
