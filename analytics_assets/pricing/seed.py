"""Regenerate the dbt price seed from a LiteLLM price table (model_prices_and_context_window.json).

    python -m analytics_assets.pricing.seed --table ../shared/pricing/litellm_model_prices.json \
        [--table-date 2026-10-01] [--out dbt/seeds/model_prices.csv]

Keeps every chat / responses / completion model with input and output prices; USD per token.
Long-context tiers are kept generically: `tier_threshold_tokens` (200k for Anthropic, 272k for
GPT-5) with the `*_above_tier` prices. Model-name matching lives in dbt (one definition, used on
both the price keys and the requests' model names), not here.

Derived rates: where an entry for a Claude model (Anthropic's own, Bedrock, Vertex, Azure, ...) lacks
a cache price, the rate Anthropic documents for prompt caching is filled in — 1-hour cache writes at
2 x the base input price, 5-minute writes at 1.25 x, cache reads at 0.1 x (for the long-context tier
too, from its input price) — and `derived_rates` names the columns so filled. LiteLLM lists several
older models only under Bedrock names that carry no 1-hour rate; without this their 1-hour writes
would be charged at the 5-minute rate.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import re
import sys
from pathlib import Path

from ..config import DBT_PROJECT_DIR

COLUMNS = [
    "price_key", "provider", "mode",
    "input_cost_per_token", "output_cost_per_token", "cache_read_cost_per_token",
    "cache_creation_cost_per_token", "cache_creation_1h_cost_per_token",
    "tier_threshold_tokens", "input_cost_per_token_above_tier", "output_cost_per_token_above_tier",
    "cache_read_cost_per_token_above_tier", "cache_creation_cost_per_token_above_tier",
    "cache_creation_1h_cost_per_token_above_tier", "derived_rates", "table_source", "table_date",
]
MODES = {"chat", "responses", "completion"}
TIER = re.compile(r"^input_cost_per_token_above_(\d+)k_tokens$")
# Anthropic's prompt-caching multipliers of the base input price (docs: "Prompt caching", pricing).
CLAUDE_CACHE_MULTIPLIERS = {"cache_creation_1h": 2.0, "cache_creation": 1.25, "cache_read": 0.1}


def derive_claude_rates(row: dict) -> dict:
    """Fill a Claude entry's missing cache prices from its input price; record which were derived."""
    derived = []
    if "claude" in row["price_key"].lower():
        for name, multiplier in CLAUDE_CACHE_MULTIPLIERS.items():
            for column, base in ((f"{name}_cost_per_token", "input_cost_per_token"),
                                 (f"{name}_cost_per_token_above_tier", "input_cost_per_token_above_tier")):
                if row[column] is None and row[base] is not None:
                    row[column] = round(row[base] * multiplier, 15)
                    derived.append(column)
    row["derived_rates"] = " ".join(derived) or None
    return row


def rows(table: dict, source: str, table_date: str) -> list[dict]:
    out = []
    for key, spec in sorted(table.items()):
        if key == "sample_spec" or not isinstance(spec, dict) or spec.get("mode") not in MODES:
            continue
        if spec.get("input_cost_per_token") is None or spec.get("output_cost_per_token") is None:
            continue
        tiers = sorted(int(m.group(1)) for k in spec if (m := TIER.match(k)))
        tier = tiers[0] if tiers else None
        above = (lambda name: spec.get(f"{name}_above_{tier}k_tokens")) if tier else (lambda name: None)
        out.append(derive_claude_rates({
            "price_key": key,
            "provider": spec.get("litellm_provider"),
            "mode": spec.get("mode"),
            "input_cost_per_token": spec.get("input_cost_per_token"),
            "output_cost_per_token": spec.get("output_cost_per_token"),
            "cache_read_cost_per_token": spec.get("cache_read_input_token_cost"),
            "cache_creation_cost_per_token": spec.get("cache_creation_input_token_cost"),
            "cache_creation_1h_cost_per_token": spec.get("cache_creation_input_token_cost_above_1hr"),
            "tier_threshold_tokens": tier * 1000 if tier else None,
            "input_cost_per_token_above_tier": above("input_cost_per_token"),
            "output_cost_per_token_above_tier": above("output_cost_per_token"),
            "cache_read_cost_per_token_above_tier": above("cache_read_input_token_cost"),
            "cache_creation_cost_per_token_above_tier": above("cache_creation_input_token_cost"),
            "cache_creation_1h_cost_per_token_above_tier": above("cache_creation_input_token_cost_above_1hr"),
            "table_source": source,
            "table_date": table_date,
        }))
    return out


def write(rows_: list[dict], out: Path) -> None:
    with out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows_:
            writer.writerow({k: ("" if v is None else (repr(v) if isinstance(v, float) else v)) for k, v in row.items()})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analytics_assets.pricing.seed", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--table", required=True, type=Path)
    parser.add_argument("--table-date", default=None, help="when the table was published (default: the file's mtime date)")
    parser.add_argument("--source", default="litellm model_prices_and_context_window")
    parser.add_argument("--out", type=Path, default=DBT_PROJECT_DIR / "seeds" / "model_prices.csv")
    args = parser.parse_args(argv)
    table_date = args.table_date or dt.date.fromtimestamp(args.table.stat().st_mtime).isoformat()
    result = rows(json.loads(args.table.read_text()), args.source, table_date)
    write(result, args.out)
    print(f"{len(result)} priced models from {args.table} (table date {table_date}) -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
