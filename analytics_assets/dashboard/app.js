// Agent Analytics dashboard: every chart is drawn from DATA (embedded marts) after filtering by
// date range, agent and team; nothing is fetched. A status element records errors, the time to
// the first chart and every chart's title and point count (the browser test reads it).
// Every string in DATA comes from someone holding a token (model, tool, team, developer names, alert
// messages): it is written as text (textContent, never innerHTML) and escaped for plotly, whose
// labels understand a few HTML tags.
"use strict";
const STATUS = {errors: window.__errors || [], firstChartMs: null, charts: []};
const COLORS = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac"];
const HINTS = {
  copilot: "No Copilot data: set GITHUB_TOKEN and copilot.org (or copilot.enterprise) in analytics.yaml, then backfill raw/copilot_usage.",
  git: "No commits: set git.repos or git.repos_dir (or git.github_repos) in analytics.yaml.",
  zen: "No Zen spans: point your agents at `analytics-assets receive` (see `analytics-assets init`).",
  forecast: "No forecast yet: materialize forecast/forecast_spend.",
  spend: "No agent requests in this range: widen the dates or check the transcript roots.",
  budgets: "No budgets: set budgets_file in analytics.yaml.",
  money: "No repository known for any request yet: transcripts name their working folder (Claude Code, Codex); `push` says which repository it is.",
  tickets: "No ticket in any branch name: set git.ticket_pattern in analytics.yaml (default [A-Z][A-Z0-9]+-[0-9]+).",
  anthropic: "No organization report: set anthropic.source (api, with an Admin key in ANTHROPIC_ADMIN_KEY; or folder) in analytics.yaml, then backfill raw/anthropic_claude_code_usage.",
  mcp: "No MCP tool calls: Claude Code's telemetry (tool_result events) names them; see `analytics-assets init`.",
};

function table(name) {
  const t = DATA[name] || {columns: [], rows: []};
  return t.rows.map(r => Object.fromEntries(t.columns.map((c, i) => [c, r[i]])));
}
const state = {from: null, to: null, agent: "all", team: "all"};
function filtered(name, opts = {}) {
  return table(name).filter(r =>
    (r.day === undefined || ((!state.from || r.day.slice(0, 10) >= state.from) && (!state.to || r.day.slice(0, 10) <= state.to))) &&
    (opts.ignoreAgent || r.agent === undefined || state.agent === "all" || r.agent === state.agent) &&
    (r.team === undefined || state.team === "all" || r.team === state.team));
}
function sumBy(rows, key, field) {
  const out = new Map();
  for (const r of rows) { const k = typeof key === "function" ? key(r) : r[key]; out.set(k, (out.get(k) || 0) + (Number(r[field]) || 0)); }
  return new Map([...out.entries()].sort((a, b) => (a[0] > b[0] ? 1 : -1)));
}
const uniq = (rows, key) => [...new Set(rows.map(r => r[key]))].filter(v => v !== null && v !== undefined).sort();
const week = d => { const x = new Date(d.slice(0, 10) + "T00:00:00Z"); x.setUTCDate(x.getUTCDate() - ((x.getUTCDay() + 6) % 7)); return x.toISOString().slice(0, 10); };
const month = d => d.slice(0, 7);
const money = v => "$" + Number(v || 0).toLocaleString(undefined, {maximumFractionDigits: 2});
// Every day from `from` to `to` (YYYY-MM-DD): a day with no spend is drawn as zero, not skipped.
function everyDay(from, to) {
  const out = [];
  if (!from || !to) return out;
  for (let d = new Date(from + "T00:00:00Z"); d <= new Date(to + "T00:00:00Z"); d.setUTCDate(d.getUTCDate() + 1)) out.push(d.toISOString().slice(0, 10));
  return out;
}
// Nodes made of text only: `parts` are strings (text nodes) or [tag, ...parts] (elements holding them).
const nodes = parts => parts.map(part => Array.isArray(part) ? el(part[0], ...part.slice(1))
  : document.createTextNode(part === null || part === undefined ? "" : String(part)));
function el(tag, ...parts) {
  const node = document.createElement(tag);
  node.append(...nodes(parts));
  return node;
}
// Plotly renders <b>, <br>, <a href> and entities in labels: data strings go in with &, < and > escaped.
const plotlyText = v => (typeof v === "string" ? v.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;") : v);
const TEXT_FIELDS = ["x", "y", "labels", "text", "hovertext"];
function escapeTrace(t) {
  const out = {...t};
  for (const f of TEXT_FIELDS) if (Array.isArray(t[f])) out[f] = t[f].map(plotlyText);
  if (typeof t.name === "string") out.name = plotlyText(t.name);
  return out;
}
function empty(node, title, hint) {
  node.replaceChildren(el("div", ["h3", title], ["p", HINTS[hint]]));
  node.firstChild.className = "empty";
}

function chart(id, title, traces, layout = {}, hint = "spend") {
  const node = document.getElementById(id);
  const points = traces.reduce((n, t) => n + ((t.x || t.values || t.z || []).filter(v => v !== null).length), 0);
  // The sum of every plotted value: lets a test compare a chart with the mart it came from.
  const total = traces.reduce((n, t) => n + (t.values || t.y || []).reduce((s, v) => s + (typeof v === "number" ? v : 0), 0), 0);
  STATUS.charts.push({id, title, points, total, view: node.closest(".view").id});
  if (!points) {
    empty(node, title, hint);
    return;
  }
  Plotly.react(node, traces.map(escapeTrace), Object.assign({title: {text: plotlyText(title), font: {size: 14}}, height: 300, margin: {t: 40, l: 55, r: 15, b: 40},
    legend: {orientation: "h", y: -0.2}, colorway: COLORS, paper_bgcolor: "#fff", plot_bgcolor: "#fff"}, layout),
    {displaylogo: false, responsive: true});
  if (STATUS.firstChartMs === null) {
    STATUS.firstChartMs = Math.round(performance.now());
    document.getElementById("status").dataset.firstChartMs = STATUS.firstChartMs;  // readable before the other views draw
  }
}
function htmlTable(id, title, columns, rows, hint) {
  const node = document.getElementById(id);
  STATUS.charts.push({id, title, points: rows.length, view: node.closest(".view").id});
  if (!rows.length) { empty(node, title, hint); return; }
  const grid = el("table");  // (el() takes text and [tag, ...text] only: the rows are appended as nodes)
  grid.appendChild(el("tr", ...columns.map(c => ["th", c])));
  for (const r of rows) grid.appendChild(el("tr", ...r.map(v => ["td", v ?? ""])));
  node.replaceChildren(el("h3", title), grid);
}
// One trace per series; with `xs`, every x of it (a missing one is zero).
function stacked(rows, xKey, seriesKey, field, type = "bar", xs = null) {
  return uniq(rows, seriesKey).map(s => {
    const m = sumBy(rows.filter(r => r[seriesKey] === s), xKey, field);
    const x = xs || [...m.keys()];
    return {type, name: s, x, y: x.map(k => m.get(k) || 0), ...(type === "scatter" ? {stackgroup: "one"} : {})};
  });
}
// The days of the date filter (else of the rows): the x of every daily chart.
const days = rows => { const d = uniq(rows, "day"); return everyDay(state.from || d[0], state.to || d.slice(-1)[0]); };

function executive() {
  const roi = table("roi").filter(r => (state.agent === "all" ? true : r.agent === state.agent || r.agent === "all"));
  const perAgent = roi.filter(r => r.agent !== "all");
  chart("exec-spend", "Monthly spend by agent", stacked(perAgent, "month", "agent", "tool_cost_usd"), {barmode: "stack", xaxis: {type: "category"}, yaxis: {tickprefix: "$"}});
  const all = roi.filter(r => r.agent === "all");
  chart("exec-cpc", "Cost per commit", [
    {type: "scatter", name: "per commit", x: all.map(r => r.month), y: all.map(r => r.cost_per_commit_usd)},
    {type: "scatter", name: "per agent-assisted commit", x: all.map(r => r.month), y: all.map(r => r.cost_per_assisted_commit_usd)}],
    {yaxis: {tickprefix: "$"}}, "git");
  // Seat snapshots are taken today, after the last day of usage: the latest one counts, whatever the date filter.
  const lic = table("licences").filter(r => state.team === "all" || r.team === state.team);
  const latest = uniq(lic, "day").slice(-1)[0];
  const now = lic.filter(r => r.day === latest);
  chart("exec-licences", "Licence utilisation (Copilot seats)", [{type: "bar", x: ["assigned", "active 7 d", "active 28 d", "never used", "inactive 28 d+"],
    y: ["seats_assigned", "active_7d", "active_28d", "never_used", "inactive_28d"].map(f => now.reduce((s, r) => s + r[f], 0))}], {}, "copilot");
  const mom = [...sumBy(filtered("spend"), r => month(r.day), "cost")];
  chart("exec-mom", "Spend month over month", [{type: "bar", x: mom.map(e => e[0]), y: mom.map(e => e[1]),
    text: mom.map((e, i) => i ? `${(((e[1] / (mom[i - 1][1] || 1)) - 1) * 100).toFixed(0)}%` : ""), textposition: "outside"}], {xaxis: {type: "category"}, yaxis: {tickprefix: "$"}});
  chart("exec-roi", "ROI estimate: assisted commits × hours saved × hourly rate − tool cost", [
    {type: "bar", name: "ROI", x: all.map(r => r.month), y: all.map(r => r.roi_usd)},
    {type: "bar", name: "tool cost", x: all.map(r => r.month), y: all.map(r => r.tool_cost_usd)}], {xaxis: {type: "category"}, yaxis: {tickprefix: "$"}}, "git");
  const inputs = all.slice(-1)[0];
  document.getElementById("exec-inputs").replaceChildren(...(inputs ? nodes(["ROI inputs: ", ["b", inputs.hours_saved_per_assisted_commit],
    " hours saved per agent-assisted commit × ", ["b", money(inputs.hourly_rate_usd)], " per hour (roi: in analytics.yaml). Latest month: " +
    `${inputs.assisted_commits} assisted commits → ${Number(inputs.estimated_hours_saved).toFixed(1)} h saved, ROI ${money(inputs.roi_usd)}.`]) : []));
}

function comparison() {
  const spend = filtered("spend");
  const commits = filtered("commits");
  const agents = uniq(spend, "agent");
  const tokens = sumBy(spend, "agent", "input"), out = sumBy(spend, "agent", "output"), reads = sumBy(spend, "agent", "cache_read");
  const assisted = sumBy(commits.filter(r => r.agent !== "manual"), "agent", "assisted");
  chart("cmp-tpc", "Tokens per agent-assisted commit", [{type: "bar", x: agents, y: agents.map(a => assisted.get(a) ? ((tokens.get(a) || 0) + (out.get(a) || 0) + (reads.get(a) || 0)) / assisted.get(a) : null)}], {}, "git");
  const sessions = filtered("sessions");
  const dur = sumBy(sessions, "agent", "duration_seconds"), n = sumBy(sessions, "agent", "sessions");
  chart("cmp-session", "Average session duration (minutes)", [{type: "bar", x: [...n.keys()], y: [...n.keys()].map(a => dur.get(a) / n.get(a) / 60)}]);
  const adoption = agents.map(a => ({type: "scatter", name: a, x: [...sumBy(spend.filter(r => r.agent === a), r => week(r.day), "developers").keys()],
    y: [...sumBy(spend.filter(r => r.agent === a), r => week(r.day), "developers").values()]}));
  chart("cmp-adoption", "Adoption: developer-days per week by agent", adoption);
  const tools = [...sumBy(filtered("zen_tools"), "tool_name", "invocations")].sort((a, b) => b[1] - a[1]).slice(0, 15);
  chart("cmp-tools", "Popular tools (MCP and built-in)", [{type: "bar", orientation: "h", y: tools.map(t => t[0]), x: tools.map(t => t[1])}], {margin: {l: 140, t: 40}}, "zen");
  const inputs = sumBy(spend, "agent", "input");
  chart("cmp-cache", "Cache hit share (cache reads / all input)", [{type: "bar", x: agents, y: agents.map(a => (reads.get(a) || 0) / (((reads.get(a) || 0) + (inputs.get(a) || 0)) || 1))}], {yaxis: {tickformat: ".0%"}});
}

function team() {
  const devs = filtered("developers");
  const byDev = [...sumBy(devs, "developer", "cost")].sort((a, b) => b[1] - a[1]).map(e => e[0]);
  chart("team-who", "Who uses which agent (cost)", uniq(devs, "agent").map(a => {
    const m = sumBy(devs.filter(r => r.agent === a), "developer", "cost");
    return {type: "bar", name: a, y: byDev, x: byDev.map(d => m.get(d) || 0), orientation: "h"};
  }), {barmode: "stack", height: 360, margin: {l: 120, t: 40}, xaxis: {tickprefix: "$"}});
  const spend = filtered("spend");
  chart("team-daily", "Daily requests by team", stacked(spend, "day", "team", "requests", "scatter", days(spend)));
  chart("team-weekly", "Weekly spend by team", stacked(spend.map(r => ({...r, week: week(r.day)})), "week", "team", "cost"), {barmode: "stack", yaxis: {tickprefix: "$"}});
  const hours = filtered("hours");
  const z = [1, 2, 3, 4, 5, 6, 7].map(d => Array.from({length: 24}, (_, h) => hours.filter(r => r.weekday === d && r.hour === h).reduce((s, r) => s + r.requests, 0)));
  chart("team-hours", "Peak hours (weekday × hour, UTC)", hours.length ? [{type: "heatmap", z, x: Array.from({length: 24}, (_, h) => h),
    y: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], colorscale: "Blues"}] : [{z: []}]);
  htmlTable("team-inactive", "Inactive licensed Copilot users (28+ days)", ["user", "team", "last activity", "editor"],
    table("inactive_seats").map(r => [r.user_key && r.user_key.length === 32 ? r.user_key.slice(0, 10) + "…" : r.user_key, r.team, r.last_activity_at || "never", r.last_activity_editor]), "copilot");
}

function git() {
  const commits = filtered("commits", {ignoreAgent: true});
  const days = sumBy(commits, "day", "commits"), assisted = sumBy(commits, "day", "assisted");
  chart("git-share", "Agent-assisted share of commits", [{type: "scatter", x: [...days.keys()], y: [...days.keys()].map(d => (assisted.get(d) || 0) / days.get(d))}], {yaxis: {tickformat: ".0%"}}, "git");
  const msum = sumBy(commits, r => week(r.day), "minutes_sum"), mn = sumBy(commits, r => week(r.day), "minutes_n");
  chart("git-minutes", "Minutes from agent session to commit (weekly mean)", [{type: "bar", x: [...mn.keys()], y: [...mn.keys()].map(w => mn.get(w) ? msum.get(w) / mn.get(w) : null)}], {}, "git");
  chart("git-freq", "Commits per day: assisted vs manual", [
    {type: "bar", name: "agent-assisted", x: [...days.keys()], y: [...days.keys()].map(d => assisted.get(d) || 0)},
    {type: "bar", name: "manual", x: [...days.keys()], y: [...days.keys()].map(d => days.get(d) - (assisted.get(d) || 0))}], {barmode: "stack"}, "git");
  const lines = sumBy(commits.map(r => ({...r, kind: r.agent === "manual" ? "manual" : "agent-assisted"})), "kind", "lines_changed");
  chart("git-lines", "Lines changed: assisted vs manual", [{type: "pie", labels: [...lines.keys()], values: [...lines.values()], hole: 0.4}], {}, "git");
}

function costs() {
  const spend = filtered("spend");
  chart("cost-daily", "Daily spend by agent", stacked(spend, "day", "agent", "cost", "scatter", days(spend)), {yaxis: {tickprefix: "$"}});
  chart("cost-weekly", "Weekly spend by agent", stacked(spend.map(r => ({...r, week: week(r.day)})), "week", "agent", "cost"), {barmode: "stack", yaxis: {tickprefix: "$"}});
  chart("cost-monthly", "Monthly spend by agent", stacked(spend.map(r => ({...r, month: month(r.day)})), "month", "agent", "cost"), {barmode: "stack", xaxis: {type: "category"}, yaxis: {tickprefix: "$"}});
  const series = state.agent !== "all" ? ["agent", state.agent] : state.team !== "all" ? ["team", state.team] : ["total", "all"];
  const f = table("forecast").filter(r => r.series_kind === series[0] && r.series_name === series[1]);
  const spent = sumBy(spend, "day", "cost");
  const actual = new Map(days(spend).map(d => [d, spent.get(d) || 0]));
  const band = (lo, hi, name, color) => [{type: "scatter", x: f.map(r => r.day), y: f.map(r => r[hi]), line: {width: 0}, showlegend: false, hoverinfo: "skip"},
    {type: "scatter", x: f.map(r => r.day), y: f.map(r => r[lo]), fill: "tonexty", fillcolor: color, line: {width: 0}, name}];
  chart("cost-forecast", `30-day forecast (${series.join(": ")}) with 80 % and 95 % intervals`, f.length ? [
    ...band("lo_95", "hi_95", "95 %", "rgba(76,120,168,0.15)"), ...band("lo_80", "hi_80", "80 %", "rgba(76,120,168,0.3)"),
    {type: "scatter", name: "forecast", x: f.map(r => r.day), y: f.map(r => r.yhat), line: {dash: "dot"}},
    {type: "scatter", name: "actual", x: [...actual.keys()], y: [...actual.values()]}] : [{x: []}], {yaxis: {tickprefix: "$"}}, "forecast");
  const devs = [...sumBy(filtered("developers"), "developer", "cost")].sort((a, b) => b[1] - a[1]);
  chart("cost-devs", "Cost per developer", [{type: "bar", x: devs.map(d => d[0]), y: devs.map(d => d[1])}], {yaxis: {tickprefix: "$"}});
  // Anthropic's own report (what the organization was billed for) beside what transcripts and telemetry collected:
  // never added together; the gap is usage no machine sent (or, below zero, usage outside the organization).
  const org = filtered("claude_org");
  const reported = org.some(r => r.org_tokens > 0);
  const orgBy = sumBy(org, "developer", "org_cost"), seenBy = sumBy(org, "developer", "seen_cost");
  const who = [...orgBy.keys()].sort((a, b) => orgBy.get(b) - orgBy.get(a));
  chart("cost-org", "Claude Code: Anthropic's report vs collected", reported ? [
    {type: "bar", name: "Anthropic's report (estimated)", x: who, y: who.map(k => orgBy.get(k))},
    {type: "bar", name: "collected here (list price)", x: who, y: who.map(k => seenBy.get(k))}] : [{x: []}],
    {barmode: "group", yaxis: {tickprefix: "$"}}, "anthropic");
  const last = uniq(spend, "day").slice(-1)[0];
  const budgets = DATA.budgets.map(b => {
    const rows = table("spend").filter(r => last && r.day.slice(0, 7) === last.slice(0, 7) && r.day <= last &&
      (b.scope === "organization" || (b.scope === "team" && r.team === b.name) || (b.scope === "agent" && r.agent === b.name)));
    return [`${b.scope} ${b.name}`, rows.reduce((s, r) => s + r.cost, 0), b.monthly_usd];
  }).filter(b => !b[0].startsWith("developer"));
  chart("cost-budgets", "Month to date vs budget", budgets.length ? [
    {type: "bar", name: "month to date", x: budgets.map(b => b[0]), y: budgets.map(b => b[1])},
    {type: "scatter", mode: "markers", name: "budget", marker: {symbol: "line-ew-open", size: 40, line: {width: 3}}, x: budgets.map(b => b[0]), y: budgets.map(b => b[2])}] : [{x: []}],
    {yaxis: {tickprefix: "$"}}, "budgets");
  htmlTable("cost-alerts", "Active alerts", ["severity", "rule", "message", "first seen"], table("alerts").map(r => [r.severity, r.rule, r.message, r.first_seen_at]), "budgets");
}

function usage() {
  const zen = filtered("zen_daily");
  const inst = sumBy(zen, "day", "instances");
  chart("zen-active", "Daily active instances", [{type: "scatter", x: [...inst.keys()], y: [...inst.values()], name: "daily"},
    {type: "bar", name: "weekly", x: [...sumBy(zen, r => week(r.day), "instances").keys()], y: [...sumBy(zen, r => week(r.day), "instances").values()], opacity: 0.3}], {}, "zen");
  const top = [...sumBy(zen, "command", "instances")].sort((a, b) => b[1] - a[1]).slice(0, 12);
  chart("zen-commands", "Top commands", [{type: "bar", orientation: "h", y: top.map(t => t[0]), x: top.map(t => t[1])}], {margin: {l: 140, t: 40}}, "zen");
  chart("zen-status", "Success vs failure", [{type: "bar", name: "success", x: [...sumBy(zen, "day", "ok").keys()], y: [...sumBy(zen, "day", "ok").values()]},
    {type: "bar", name: "failure", x: [...sumBy(zen, "day", "failed").keys()], y: [...sumBy(zen, "day", "failed").values()]}], {barmode: "stack"}, "zen");
  chart("zen-tokens", "Token trends by type", ["input", "output", "cache_read", "cache_creation"].map(k => ({type: "scatter", name: k,
    x: [...sumBy(zen, "day", k).keys()], y: [...sumBy(zen, "day", k).values()]})), {}, "zen");
  const tools = filtered("zen_tools");
  const cmds = uniq(tools, "command_type"), names = uniq(tools, "tool_name");
  chart("zen-heatmap", "Token heatmap: command × tool", tools.length ? [{type: "heatmap", x: names, y: cmds, colorscale: "Viridis",
    z: cmds.map(c => names.map(t => tools.filter(r => r.command_type === c && r.tool_name === t).reduce((s, r) => s + r.tokens, 0)))}] : [{z: []}], {margin: {l: 100, t: 40, b: 80}}, "zen");
  chart("zen-cost", "Cost by component (stacked area)", ["cost_input", "cost_output", "cost_cache_read", "cost_cache_creation"].map(k => ({type: "scatter",
    stackgroup: "one", name: k.replace("cost_", ""), x: [...sumBy(zen, "day", k).keys()], y: [...sumBy(zen, "day", k).values()]})), {yaxis: {tickprefix: "$"}}, "zen");
  const sample = filtered("zen_instances");
  chart("zen-scatter", "Cost vs duration (sample of instances)", uniq(sample, "status").map(s => ({type: "scatter", mode: "markers", name: s,
    x: sample.filter(r => r.status === s).map(r => r.duration_ms / 1000), y: sample.filter(r => r.status === s).map(r => r.cost), marker: {size: 5, opacity: 0.6}})),
    {xaxis: {title: {text: "seconds"}}, yaxis: {tickprefix: "$"}}, "zen");
  const adoption = names.map(t => ({type: "scatter", name: t, x: [...sumBy(tools.filter(r => r.tool_name === t), r => week(r.day), "instances").keys()],
    y: [...sumBy(tools.filter(r => r.tool_name === t), r => week(r.day), "instances").values()]}));
  chart("zen-adoption", "Tool adoption (instances using each tool, weekly)", adoption, {}, "zen");
}

// Where the money goes: the spend marts as they are (all time; the agent filter applies where the mart has agents).
function spending() {
  const usd = v => v === null || v === undefined ? "" : money(v);
  const repos = table("repositories");
  const label = r => r.repo_id || `${r.repository} (folder name)`;
  const keyLabel = r => r.repository_key.startsWith("name:") ? `${r.repository} (folder name)` : r.repository_key;
  chart("money-repos", "Top repositories by agent cost (all time)", [{type: "bar", orientation: "h", y: repos.slice(0, 12).map(label).reverse(),
    x: repos.slice(0, 12).map(r => r.cost_usd).reverse()}], {margin: {l: 220, t: 40}, xaxis: {tickprefix: "$"}}, "money");
  htmlTable("money-repo-table", "Repositories: cost and what it produced", ["repository", "sessions", "cost", "subagents", "assisted commits", "$ / assisted commit"],
    repos.map(r => [label(r), r.sessions, usd(r.cost_usd), usd(r.subagent_cost_usd), `${r.assisted_commits} of ${r.commits}`, usd(r.cost_per_assisted_commit_usd)]), "money");
  const tickets = table("tickets");
  chart("money-tickets", "Top tickets by agent cost (from branch names)", [{type: "bar", x: tickets.slice(0, 15).map(r => r.ticket),
    y: tickets.slice(0, 15).map(r => r.cost_usd)}], {xaxis: {type: "category"}, yaxis: {tickprefix: "$"}}, "tickets");
  htmlTable("money-branches", "Top branches", ["repository", "branch", "ticket", "sessions", "cost", "last request"],
    table("branches").map(r => [keyLabel(r), r.branch, r.ticket, r.sessions, usd(r.cost_usd), r.last_request_at]), "money");
  const sub = table("subagents").filter(r => state.agent === "all" || r.agent === state.agent);
  chart("money-subagents", "Main loop vs subagents, monthly", stacked(sub, "month", "context", "cost_usd"),
    {barmode: "stack", xaxis: {type: "category"}, yaxis: {tickprefix: "$"}});
  htmlTable("money-mcp", "MCP servers (cost of the sessions that called each; overlapping)", ["server", "calls", "failed", "tools", "sessions", "sessions' cost"],
    table("mcp").map(r => [r.mcp_server, r.calls, r.failed_calls, r.tools, r.sessions, usd(r.sessions_cost_usd)]), "mcp");
}

const VIEWS = {exec: executive, compare: comparison, team, git, money: spending, cost: costs, usage};
function renderAll(first = "exec") {
  // The view on screen is drawn first; the others follow one per task, so the page answers at once.
  STATUS.charts = [];
  const order = [first, ...Object.keys(VIEWS).filter(v => v !== first)];
  const el = document.getElementById("status");
  el.dataset.ready = "";
  const step = () => {
    const name = order.shift();
    try { VIEWS[name](); } catch (e) { STATUS.errors.push(`${name}: ${e.message}`); }
    if (order.length) { setTimeout(step, 0); return; }
    el.textContent = JSON.stringify(STATUS);
    el.dataset.ready = "1";
  };
  step();
}
function show(view) {
  document.querySelectorAll(".view").forEach(v => v.classList.toggle("active", v.id === `view-${view}`));
  document.querySelectorAll("nav button").forEach(b => b.classList.toggle("active", b.dataset.view === view));
  document.querySelectorAll(`#view-${view} .js-plotly-plot`).forEach(p => Plotly.Plots.resize(p));
  history.replaceState(null, "", `#view=${view}`);
}
function init() {
  // The default range covers every source's days (agents, Zen, commits, Copilot), not only agent spend.
  const days = [...new Set(["spend", "zen_daily", "commits", "copilot"].flatMap(n => table(n).map(r => r.day.slice(0, 10))))].sort();
  const from = document.getElementById("from"), to = document.getElementById("to");
  from.value = state.from = days[0] || ""; to.value = state.to = days.slice(-1)[0] || "";
  const fill = (id, values) => { document.getElementById(id).replaceChildren(...["all", ...values].map(v => el("option", v))); };
  fill("agent", uniq(table("spend"), "agent"));
  fill("team", uniq(table("spend"), "team"));
  for (const id of ["from", "to", "agent", "team"]) {
    document.getElementById(id).addEventListener("change", e => { state[id] = e.target.value || null; renderAll(current()); });
  }
  document.querySelectorAll("nav button").forEach(b => b.addEventListener("click", () => show(b.dataset.view)));
  document.getElementById("generated").textContent = `generated ${DATA.meta.generated_at} UTC · ${DATA.meta.names ? "names shown" : "developers hashed (privacy.keep_names: false)"}`;
  const wanted = (location.hash.match(/view=(\w+)/) || [])[1];
  const first = VIEWS[wanted] ? wanted : "exec";
  show(first);
  renderAll(first);
}
function current() {
  const active = document.querySelector(".view.active");
  return active ? active.id.replace("view-", "") : "exec";
}
init();
