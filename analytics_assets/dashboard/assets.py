"""The dashboard asset: reads the marts (and the forecast and alerts), writes one self-contained
HTML file, atomically, to <output>/reports/dashboard.html."""

import dagster as dg
from .. import project_config
from ..alerts.assets import ALERTS_KEY
from ..alerts.rules import load_budgets
from ..config import PROJECT_ROOT, settings
from ..files import write_text_atomically
from ..forecast.assets import FORECAST_KEY
from ..resources import WarehouseResource, mart_reader
from .data import collect
from .page import VIEWS, app_script, plotly_bundle, render

MARTS = ["fct_agent_requests", "fct_agent_sessions", "dim_developers", "fct_git_commits", "fct_roi_monthly", "fct_copilot_usage",
         "fct_license_utilisation", "fact_cost_daily", "fact_tool_usage", "fact_instance_usage"]


@dg.asset(
    key=["reports", "dashboard"],
    deps=[dg.AssetKey(["marts", m]) for m in MARTS] + [FORECAST_KEY, ALERTS_KEY],
    **mart_reader(None),
    group_name="outputs",
    kinds={"plotly", "html"},
    description="reports/dashboard.html: one self-contained file (plotly.js, data and script inline; opens offline or as an "
    "attachment) with six views — Executive ROI, Agent comparison, Team activity, Git integration, Cost & forecast, "
    "Usage & tokens — and filters for dates, agent and team. Reads the marts only.",
)
def dashboard(warehouse: WarehouseResource) -> dg.MaterializeResult:
    config = project_config.load(settings().config_path)
    with warehouse.connect(read_only=False) as con:
        data = collect(con, load_budgets(config.alerts.budgets_file), config.keep_names, config.copilot.configured)
    bundle, bundle_name = plotly_bundle(PROJECT_ROOT)
    html = render(data, bundle, app_script())
    target = settings().output_dir / "reports" / "dashboard.html"
    write_text_atomically(target, html)
    spend = data["spend"]["rows"]
    total = sum(r[3] or 0 for r in spend)
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(target)),
        "url": dg.MetadataValue.url(target.as_uri()),
        "size_mb": round(len(html.encode()) / 1e6, 2),
        "plotly_bundle": bundle_name,
        "views": ", ".join(label for _, label, _ in VIEWS),
        "rows_embedded": sum(len(t["rows"]) for t in data.values() if isinstance(t, dict) and "rows" in t),
        "key_numbers": dg.MetadataValue.md(
            "| figure | value |\n|---|---|\n"
            f"| agent spend in the data | ${total:,.2f} |\n"
            f"| days | {len({r[0] for r in spend})} |\n"
            f"| open alerts | {len(data['alerts']['rows'])} |\n"
            f"| commits | {sum(r[3] for r in data['commits']['rows']):,} |"),
    })
