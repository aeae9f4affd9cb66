"""30-day spend forecasts with prediction intervals (statsforecast), the model chosen per series
by a rolling-origin backtest against a seasonal-naive baseline. Pure: polars in, polars out.

Daily spend has a strong weekly shape (developers do not work weekends), so every model is
seasonal with period 7. Errors are MASE (mean absolute error scaled by the in-sample error of the
weekly naive forecast): MAPE is undefined on the zero-spend weekends this data is full of.
Histories shorter than MIN_HISTORY days get a stated fallback instead of a fit.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import polars as pl

SEASON = 7
MIN_HISTORY = 14
HORIZON = 30
LEVELS = (80, 95)
BASELINE = "SeasonalNaive"
BACKTEST_H = 7
Z = {80: 1.2816, 95: 1.9600}

FORECAST_SCHEMA = {
    "series_kind": pl.String, "series_name": pl.String, "day": pl.Date, "model": pl.String,
    "yhat": pl.Float64, "lo_80": pl.Float64, "hi_80": pl.Float64, "lo_95": pl.Float64, "hi_95": pl.Float64,
    "history_days": pl.Int64, "last_history_day": pl.Date,
}


@dataclass
class SeriesReport:
    series_kind: str
    series_name: str
    history_days: int
    model: str
    mase: dict[str, float] = field(default_factory=dict)   # backtest error per candidate (baseline included)
    note: str = ""

    @property
    def beats_baseline(self) -> bool | None:
        if self.model not in self.mase or BASELINE not in self.mase:
            return None
        return self.model != BASELINE and self.mase[self.model] < self.mase[BASELINE]


def complete_days(frame: pl.DataFrame, end: dt.date) -> pl.DataFrame:
    """(series_kind, series_name, day, cost_usd) → one row per series and day from the series'
    first day to `end`, missing days as zero spend (no activity is a real zero, not a gap)."""
    if frame.height == 0:
        return frame
    spans = frame.group_by("series_kind", "series_name").agg(pl.col("day").min().alias("first"))
    grid = spans.with_columns(pl.date_ranges("first", pl.lit(end), interval="1d").alias("day")).explode("day").drop("first")
    summed = frame.group_by("series_kind", "series_name", "day").agg(pl.col("cost_usd").sum())
    return (grid.join(summed, on=["series_kind", "series_name", "day"], how="left")
            .with_columns(pl.col("cost_usd").fill_null(0.0)).filter(pl.col("day") <= end)
            .sort("series_kind", "series_name", "day"))


def _models():
    from statsforecast.models import AutoETS, AutoTheta, SeasonalNaive

    return [AutoETS(season_length=SEASON), AutoTheta(season_length=SEASON), SeasonalNaive(season_length=SEASON)]


def _scale(y: np.ndarray) -> float:
    """In-sample MAE of the weekly naive forecast (MASE's denominator); never zero."""
    if len(y) <= SEASON:
        return max(float(np.mean(np.abs(y))), 1e-9)
    return max(float(np.mean(np.abs(y[SEASON:] - y[:-SEASON]))), 1e-9)


def _fallback(y: np.ndarray, days: list[dt.date]) -> dict[str, np.ndarray]:
    """Short history: the mean of the same weekday where a full week exists, else the overall mean;
    intervals from the history's spread (normal approximation), never below zero."""
    if len(y) >= SEASON:
        by_weekday = {}
        for value, day in zip(y, days):
            by_weekday.setdefault(day.weekday(), []).append(value)
        start = days[-1] + dt.timedelta(days=1)
        yhat = np.array([np.mean(by_weekday[(start + dt.timedelta(days=i)).weekday()]) for i in range(HORIZON)])
    else:
        yhat = np.full(HORIZON, float(np.mean(y)) if len(y) else 0.0)
    spread = float(np.std(y)) if len(y) > 1 else float(np.mean(y)) if len(y) else 0.0
    out = {"yhat": yhat}
    for level in LEVELS:
        out[f"lo_{level}"] = np.maximum(yhat - Z[level] * spread, 0.0)
        out[f"hi_{level}"] = yhat + Z[level] * spread
    return out


def _backtest(sf_frame, names: list[str]) -> dict[str, dict[str, float]]:
    """Rolling origin: up to 4 windows of 7 days, stepping a week, every fit keeping at least two
    weeks of history; MASE per series and model. Series too short for one window get no scores."""
    from statsforecast import StatsForecast

    sizes = sf_frame.groupby("unique_id").size()
    eligible = sizes[sizes >= 3 * SEASON]
    if eligible.empty:
        return {}
    windows = min(4, (int(eligible.min()) - 2 * SEASON) // SEASON)
    frame = sf_frame[sf_frame["unique_id"].isin(eligible.index)]
    cv = StatsForecast(models=_models(), freq="D", n_jobs=1).cross_validation(df=frame, h=BACKTEST_H, n_windows=windows, step_size=SEASON)
    scores: dict[str, dict[str, float]] = {}
    for uid, part in cv.groupby("unique_id"):
        scale = _scale(frame.loc[frame["unique_id"] == uid, "y"].to_numpy())
        scores[uid] = {m: float(np.mean(np.abs(part["y"].to_numpy() - part[m].to_numpy()))) / scale for m in names}
    return scores


def forecast_spend(daily: pl.DataFrame, end: dt.date) -> tuple[pl.DataFrame, list[SeriesReport]]:
    """`daily`: (series_kind, series_name, day, cost_usd) through `end` (the last complete day).
    Returns the next HORIZON days per series with intervals, and one report per series."""
    import pandas as pd
    from statsforecast import StatsForecast

    full = complete_days(daily, end)
    if full.height == 0:
        return pl.DataFrame(schema=FORECAST_SCHEMA), []
    names = [type(m).__name__ for m in _models()]
    series = {(k, n): part for (k, n), part in full.group_by("series_kind", "series_name", maintain_order=True)}
    reports: dict[str, SeriesReport] = {}
    fit_ids, fallback_ids = [], []
    for (kind, name), part in series.items():
        uid = f"{kind}:{name}"
        reports[uid] = SeriesReport(kind, name, part.height, model="")
        (fit_ids if part.height >= MIN_HISTORY and part["cost_usd"].sum() > 0 else fallback_ids).append(uid)
    rows = []
    if fit_ids:
        frame = pl.concat([series[(reports[u].series_kind, reports[u].series_name)].with_columns(pl.lit(u).alias("unique_id"))
                           for u in fit_ids])
        sf_frame = pd.DataFrame({"unique_id": frame["unique_id"].to_list(), "ds": pd.to_datetime(frame["day"].to_list()),
                                 "y": frame["cost_usd"].to_numpy()})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # statsforecast warns on flat series; the backtest judges them
            scores = _backtest(sf_frame, names)
            predicted = StatsForecast(models=_models(), freq="D", n_jobs=1).forecast(df=sf_frame, h=HORIZON, level=list(LEVELS))
        for uid, part in predicted.groupby("unique_id"):
            report = reports[uid]
            report.mase = scores.get(uid, {})
            finite = {m: e for m, e in report.mase.items() if math.isfinite(e) and m in part and part[m].notna().all()}
            report.model = min(finite, key=finite.get) if finite else BASELINE
            if not report.mase:
                report.note = f"history too short to backtest ({report.history_days} days): seasonal-naive baseline used"
            elif report.model == BASELINE:
                report.note = "no candidate beat the seasonal-naive baseline in the backtest: the baseline is used"
            m = report.model
            values = {"yhat": part[m].to_numpy()} | {f"{b}_{lv}": part[f"{m}-{b}-{lv}"].to_numpy() for lv in LEVELS for b in ("lo", "hi")}
            rows.append(_rows(report, part["ds"].dt.date.tolist(), values, end))
    for uid in fallback_ids:
        report = reports[uid]
        part = series[(report.series_kind, report.series_name)]
        report.model = "fallback_weekday_mean"
        report.note = ("no spend in the history: zero forecast" if part["cost_usd"].sum() == 0 else
                       f"history of {report.history_days} days (< {MIN_HISTORY}): weekday means with the history's spread")
        values = _fallback(part["cost_usd"].to_numpy(), part["day"].to_list())
        rows.append(_rows(report, [end + dt.timedelta(days=i + 1) for i in range(HORIZON)], values, end))
    return pl.concat(rows).sort("series_kind", "series_name", "day"), list(reports.values())


def _rows(report: SeriesReport, days: list[dt.date], values: dict[str, np.ndarray], end: dt.date) -> pl.DataFrame:
    frame = pl.DataFrame({"day": days, **{k: np.asarray(v, dtype=float) for k, v in values.items()}})
    # Spend is never negative: the intervals of additive models are clipped at zero.
    frame = frame.with_columns([pl.col(c).clip(lower_bound=0.0) for c in ("yhat", "lo_80", "hi_80", "lo_95", "hi_95")])
    return frame.with_columns(
        pl.lit(report.series_kind).alias("series_kind"), pl.lit(report.series_name).alias("series_name"),
        pl.lit(report.model).alias("model"), pl.lit(report.history_days, pl.Int64).alias("history_days"),
        pl.lit(end).alias("last_history_day"),
    ).select(list(FORECAST_SCHEMA)).cast(FORECAST_SCHEMA)
