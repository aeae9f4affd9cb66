"""One self-contained HTML file: styles, plotly.js, the data and the page script all inline, so
it opens offline from disk or as an e-mail attachment. No Dagster import."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

VIEWS = [  # (id, tab label, chart and table ids)
    ("exec", "Executive ROI", ["exec-spend", "exec-cpc", "exec-licences", "exec-mom", "exec-roi"]),
    ("compare", "Agent comparison", ["cmp-tpc", "cmp-session", "cmp-adoption", "cmp-tools", "cmp-cache"]),
    ("team", "Team activity", ["team-who", "team-daily", "team-weekly", "team-hours", "team-inactive"]),
    ("git", "Git integration", ["git-share", "git-minutes", "git-freq", "git-lines"]),
    ("money", "Where the money goes", ["money-repos", "money-repo-table", "money-tickets", "money-branches", "money-subagents",
                                       "money-mcp"]),
    ("cost", "Cost & forecast", ["cost-daily", "cost-weekly", "cost-monthly", "cost-forecast", "cost-devs", "cost-org", "cost-budgets",
                                    "cost-alerts"]),
    ("usage", "Usage & tokens", ["zen-active", "zen-commands", "zen-status", "zen-tokens", "zen-heatmap", "zen-cost", "zen-scatter",
                                 "zen-adoption"]),
]

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f4f5f7;color:#1f2933}
header{background:#1f2933;color:#fff;padding:12px 20px;display:flex;flex-wrap:wrap;gap:16px;align-items:center}
header h1{font-size:18px;margin:0 16px 0 0}header label{font-size:13px}header select,header input{margin-left:4px}
#generated{font-size:12px;opacity:.7;margin-left:auto}
nav{display:flex;gap:4px;padding:8px 20px;background:#e4e7eb;flex-wrap:wrap}
nav button{border:0;background:transparent;padding:8px 14px;border-radius:6px;cursor:pointer;font-size:14px}
nav button.active{background:#fff;font-weight:600}
.view{display:block;padding:16px 20px}.view:not(.active){display:none}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:14px}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 2px rgba(0,0,0,.08);padding:6px;min-height:310px;overflow:auto}
.empty{padding:30px;color:#52606d}.empty h3,.card h3{font-size:14px;margin:6px 8px}
table{border-collapse:collapse;font-size:12px;margin:4px 8px}td,th{border-bottom:1px solid #e4e7eb;padding:4px 8px;text-align:left}
#exec-inputs{font-size:13px;margin:0 0 12px 0}#status{display:none}
"""

# Errors are collected before anything else runs, so the page can report them (the browser test reads #status);
# so is anything the Content-Security-Policy refused.
PRELUDE = """window.__errors=[];window.addEventListener('error',e=>window.__errors.push(String(e.message)));
document.addEventListener('securitypolicyviolation',e=>window.__errors.push('CSP refused '+e.violatedDirective+' '+e.blockedURI));
const __ce=console.error;console.error=function(){window.__errors.push([...arguments].join(' '));__ce.apply(console,arguments);};"""


def _sha256(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


def content_security_policy(scripts: list[str]) -> str:
    """Only the page's own inline scripts run (by hash: an injected script or event handler does not),
    nothing loads from anywhere (the page is self-contained); plotly sets inline styles and draws
    data: images."""
    return ("default-src 'none'; script-src " + " ".join(_sha256(s) for s in scripts) +
            "; style-src 'unsafe-inline'; img-src data:; font-src data:; base-uri 'none'; form-action 'none'")


def render(data: dict, plotly_js: str, app_js: str) -> str:
    tabs = "".join(f'<button data-view="{v}">{label}</button>' for v, label, _ in VIEWS)
    sections = []
    for view, label, ids in VIEWS:
        extra = '<p id="exec-inputs"></p>' if view == "exec" else ""
        cards = "".join(f'<div class="card"><div id="{i}" class="chart"></div></div>' for i in ids)
        sections.append(f'<section id="view-{view}" class="view" aria-label="{label}">{extra}<div class="grid">{cards}</div></section>')
    # The data as a JS literal that can never close its script tag or open a comment: <, > and & as \\u escapes
    # (JSON strings mean the same), and the two line separators JavaScript once refused in literals.
    payload = (json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
               .replace("&", "\\u0026").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    plotly_safe = plotly_js.replace("</script", "<\\/script")  # only inside string literals in the bundle
    data_js = f"const DATA={payload};"
    csp = content_security_policy([PRELUDE, plotly_safe, data_js, app_js])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Agent Analytics</title><style>{STYLE}</style><script>{PRELUDE}</script></head>
<body>
<header><h1>Agent Analytics</h1>
<label>from<input type="date" id="from"></label><label>to<input type="date" id="to"></label>
<label>agent<select id="agent"></select></label><label>team<select id="team"></select></label>
<span id="generated"></span></header>
<nav>{tabs}</nav>
{''.join(sections)}
<div id="status"></div>
<script>{plotly_safe}</script>
<script>{data_js}</script>
<script>{app_js}</script>
</body></html>
"""


def embedded_data(page: str) -> dict:
    """The data a page written by `render` embeds (its `\\u` escapes are JSON's own)."""
    start = page.index("<script>const DATA=") + len("<script>const DATA=")
    return json.loads(page[start:page.index(";</script>", start)])


def app_script() -> str:
    return (Path(__file__).parent / "app.js").read_text(encoding="utf-8")


def plotly_bundle(project_root: Path) -> tuple[str, str]:
    """(script, name): plotly.js's cartesian bundle when `make install` fetched it (1.4 MB: bar, scatter,
    heatmap, pie — everything the page draws; it loads several times faster), else the full bundle
    that ships with the plotly package (4.8 MB)."""
    partial = project_root / ".tools" / "node_modules" / "plotly.js-cartesian-dist-min" / "plotly-cartesian.min.js"
    if partial.exists():
        return partial.read_text(encoding="utf-8"), "plotly.js-cartesian-dist-min"
    from plotly.offline import get_plotlyjs

    return get_plotlyjs(), "plotly.js (full, from the plotly package)"
