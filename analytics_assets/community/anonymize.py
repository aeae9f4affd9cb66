"""k-anonymous daily aggregates (pure polars, no Dagster).

Each record belongs to one person (a developer for agent requests; a workspace for Zen, whose
spans carry no developer). A cell — a day and its dimensions — is published only when at least
k distinct people contributed to it. Records of smaller cells are folded into coarser cells
(the last dimension becomes "other", then the next, ...); a folded cell is published under the
same rule, and what remains after the coarsest level is suppressed and counted.

No identifier is published, no marginal total either (a total minus published cells would
reveal a suppressed one), and the asset publishes a day once: later changes to a published
day (late data from a few people) are never republished, because the difference between two
publications of the same day would expose exactly those few people.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

OTHER = "other"


@dataclass(frozen=True)
class Family:
    name: str               # requests | zen_tools
    dims: tuple[str, ...]   # most specific first; folding replaces them from the right
    member: str             # the person column (never published)
    metrics: tuple[str, ...]


def levels(dims: tuple[str, ...]) -> list[tuple[str, ...]]:
    """(a, b) -> [(a, b), (a,), ()]: the dimensions kept at each folding level."""
    return [dims[:i] for i in range(len(dims), -1, -1)]


def anonymize(records: pl.DataFrame, family: Family, k: int) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """records: (day, *dims, member, *metrics) → (published cells, cell members (private),
    suppressed totals per day)."""
    if k < 2:
        raise ValueError("k must be at least 2")
    dims, member, metrics = list(family.dims), family.member, list(family.metrics)
    remaining = records.select("day", *dims, member, *metrics).with_columns([pl.col(d).cast(pl.String).fill_null("unknown") for d in dims])
    published, members = [], []
    for level, keep in enumerate(levels(family.dims)):
        cells = remaining.with_columns([pl.lit(OTHER).alias(f"_cell_{d}") if d not in keep else pl.col(d).alias(f"_cell_{d}") for d in dims])
        keys = ["day", *(f"_cell_{d}" for d in dims)]
        grouped = cells.group_by(keys).agg(pl.col(member).n_unique().alias("contributors"), *(pl.col(m).sum() for m in metrics))
        ok = grouped.filter(pl.col("contributors") >= k)
        if ok.height:
            published.append(ok.with_columns(pl.lit(level).alias("fold_level")))
            members.append(cells.join(ok.select(keys), on=keys, how="semi").select(*keys, member).unique())
        remaining = cells.join(ok.select(keys), on=keys, how="anti").drop([f"_cell_{d}" for d in dims])
    rename = {f"_cell_{d}": d for d in dims}
    schema = {"day": pl.Date, **{d: pl.String for d in dims}, "contributors": pl.UInt32, **{m: records.schema[m] for m in metrics},
              "fold_level": pl.Int32}
    out = (pl.concat(published).rename(rename).with_columns(pl.col("fold_level").cast(pl.Int32)) if published
           else pl.DataFrame(schema=schema))
    member_rows = pl.concat(members).rename(rename) if members else pl.DataFrame(schema={"day": pl.Date, **{d: pl.String for d in dims},
                                                                                        member: pl.String})
    suppressed = remaining.group_by("day").agg(pl.col(member).n_unique().alias("suppressed_people"),
                                               pl.len().alias("suppressed_records"), *(pl.col(m).sum().alias(f"suppressed_{m}") for m in metrics))
    return out.with_columns(pl.lit(family.name).alias("family")), member_rows, suppressed
