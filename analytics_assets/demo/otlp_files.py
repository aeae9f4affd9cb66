"""Demo OTLP files in the collector `file` exporter format: Zen spans, Claude Code logs and metrics.

One Export*ServiceRequest per line, batched like a collector's batch processor. Both int64
encodings occur (strings, as the spec writes them, and bare numbers, as some SDKs do), and a
share of ids is upper-case hex, so the demo exercises what the ingest must accept.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import orjson

from .world import Developer, at, cost, day_volume, nanos, pick_model, rng_for, stable_uuid

BATCH = 200
ZEN_COMMANDS = {
    "review": ["zen review", "zen review --security", "zen review pr"],
    "edit": ["zen edit", "zen fix lint", "zen apply suggestion"],
    "test": ["zen test", "zen test --watch", "zen write tests"],
    "plan": ["zen plan", "zen plan feature"],
    "chat": ["zen ask", "zen explain"],
    "refactor": ["zen refactor", "zen rename symbol"],
}
ZEN_TOOLS = ["Read", "Edit", "Bash", "Grep", "Glob", "Write", "WebFetch", "mcp__github__create_pull_request"]
CLAUDE_TOOLS = ["Read", "Edit", "Bash", "Grep", "Glob", "Write", "TodoWrite", "Task"]
# MCP tools some calls go to (drawn from a stream of their own, so the other draws stay as they were).
MCP_TOOLS = ["mcp__github__create_pull_request", "mcp__github__get_issue", "mcp__linear__search_issues", "mcp__sentry__get_event"]


def _s(key: str, value: str) -> dict:
    return {"key": key, "value": {"stringValue": value}}


def _i(key: str, value: int, as_number: bool) -> dict:
    return {"key": key, "value": {"intValue": value if as_number else str(value)}}


def _d(key: str, value: float) -> dict:
    return {"key": key, "value": {"doubleValue": value}}


def _b(key: str, value: bool) -> dict:
    return {"key": key, "value": {"boolValue": value}}


def _hex(rng, bits: int, upper: bool) -> str:
    text = f"{rng.getrandbits(bits):0{bits // 4}x}"
    return text.upper() if upper else text


class _BatchWriter:
    """Appends records to a file as request lines of at most BATCH records."""

    def __init__(self, path: Path, kind: str, resource: list[dict], scope: dict):
        self.path, self.kind, self.resource, self.scope = path, kind, resource, scope
        self.pending: list[dict] = []
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file = path.open("ab")
        self.records = 0

    def add(self, record: dict) -> None:
        self.pending.append(record)
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        resource_key, scope_key, records_key = {
            "traces": ("resourceSpans", "scopeSpans", "spans"),
            "logs": ("resourceLogs", "scopeLogs", "logRecords"),
            "metrics": ("resourceMetrics", "scopeMetrics", "metrics"),
        }[self.kind]
        request = {resource_key: [{"resource": {"attributes": self.resource}, scope_key: [{"scope": self.scope, records_key: self.pending}]}]}
        self.file.write(orjson.dumps(request) + b"\n")
        self.records += len(self.pending)
        self.pending = []

    def close(self) -> None:
        self.flush()
        self.file.close()


def write_zen_spans(out: Path, devs: list[Developer], days: list[dt.date], seed: int, scale: float) -> dict:
    rng = rng_for(seed, "zen")
    tokens_total = 0
    spans = 0
    cost_by_day: dict[str, float] = defaultdict(float)
    tools_total: dict[str, int] = defaultdict(int)
    resource = [_s("service.name", "zen"), _s("service.version", "0.9.3"), _s("host.name", "build-01")]
    scope = {"name": "zen.agent", "version": "0.9.3"}
    for day in days:
        writer = _BatchWriter(out / f"zen-traces-{day.isoformat()}.jsonl", "traces", resource, scope)
        for dev in devs:
            workspace = f"{dev.index:02d}{day.isocalendar().week:02d}"
            for _ in range(day_volume(rng, 6, dev, day, scale)):
                command_type = rng.choice(list(ZEN_COMMANDS))
                command = rng.choice(ZEN_COMMANDS[command_type])
                model = pick_model(rng)
                t_in = int(rng.lognormvariate(8.5, 0.8))
                t_out = int(rng.lognormvariate(7.0, 0.9))
                t_read = int(rng.lognormvariate(9.5, 1.0))
                t_create = int(rng.lognormvariate(7.5, 1.0))
                tools = rng.sample(ZEN_TOOLS, rng.randint(1, 4))
                tool_calls = {t: rng.randint(1, 12) for t in tools}
                tool_tokens = {t: tool_calls[t] * rng.randint(50, 900) for t in tools}
                t_tools = sum(tool_tokens.values())
                total = t_in + t_out + t_read + t_create + t_tools
                c_in, c_out, c_read, c_create = cost(model, t_in, t_out, t_read, t_create)
                c_total = c_in + c_out + c_read + c_create
                start = at(day, rng)
                duration_ms = int(rng.lognormvariate(10.0, 0.9))
                status = rng.choices(["success", "error", "cancelled"], weights=[90, 7, 3])[0]
                as_number = rng.random() < 0.3
                upper = rng.random() < 0.2
                attributes = [
                    _s("zen.instance.command", command),
                    _s("zen.instance.command_type", command_type),
                    _s("zen.instance.status", status),
                    _i("zen.instance.duration_ms", duration_ms, as_number),
                    _s("zen.workspace.hash", f"ws-{workspace}"),
                    _s("zen.session.hash", f"s-{rng.getrandbits(48):012x}"),
                    _s("zen.batch.id", f"b-{day.isoformat()}-{dev.index}"),
                    _s("gen_ai.request.model", model),
                    _i("zen.tokens.input", t_in, as_number),
                    _i("zen.tokens.output", t_out, as_number),
                    _i("zen.tokens.cache_read", t_read, as_number),
                    _i("zen.tokens.cache_creation", t_create, as_number),
                    _i("zen.tokens.tools", t_tools, as_number),
                    _i("zen.tokens.total", total, as_number),
                    _d("zen.cost.usd_input", c_in),
                    _d("zen.cost.usd_output", c_out),
                    _d("zen.cost.usd_cache_read", c_read),
                    _d("zen.cost.usd_cache_creation", c_create),
                    _d("zen.cost.usd_total", c_total),
                ]
                for tool in tools:
                    attributes.append(_i(f"zen.tools.invocations.{tool}", tool_calls[tool], as_number))
                    attributes.append(_i(f"zen.tools.tokens.{tool}", tool_tokens[tool], as_number))
                    tools_total[tool] += tool_calls[tool]
                start_ns = nanos(start)
                writer.add(
                    {
                        "traceId": _hex(rng, 128, upper),
                        "spanId": _hex(rng, 64, upper),
                        "name": f"zen.instance {command_type}",
                        "kind": 1,
                        "startTimeUnixNano": str(start_ns),
                        "endTimeUnixNano": str(start_ns + duration_ms * 1_000_000),
                        "attributes": attributes,
                        "status": {"code": 2 if status == "error" else 1},
                    }
                )
                spans += 1
                tokens_total += total
                cost_by_day[day.isoformat()] += c_total
        writer.close()
    return {
        "spans": spans,
        "tokens_total": tokens_total,
        "cost_usd_total_by_day": dict(sorted(cost_by_day.items())),
        "tool_invocations": dict(sorted(tools_total.items())),
    }


def write_claude_code_otel(out: Path, devs: list[Developer], days: list[dt.date], seed: int, scale: float, ledger=None) -> dict:
    """Claude Code's OTel logs (events) and metrics, as its exporters send them. `ledger` (anthropic_files.ClaudeLedger),
    when given, is told every session and request written."""
    rng = rng_for(seed, "claude-otel")
    mcp = rng_for(seed, "claude-otel-mcp")
    totals = defaultdict(float)
    resource_logs = [_s("service.name", "claude-code"), _s("service.version", "2.0.14"), _s("os.type", "linux")]
    log_scope = {"name": "com.anthropic.claude_code.events", "version": "2.0.14"}
    metric_scope = {"name": "com.anthropic.claude_code", "version": "2.0.14"}
    for day in days:
        logs = _BatchWriter(out / f"claude-code-logs-{day.isoformat()}.jsonl", "logs", resource_logs, log_scope)
        metrics = _BatchWriter(out / f"claude-code-metrics-{day.isoformat()}.jsonl", "metrics", resource_logs, metric_scope)
        for dev in (d for d in devs if d.uses_claude):
            sessions = day_volume(rng, 2, dev, day, 1.0)
            for _ in range(sessions):
                session = stable_uuid(rng)
                moment = at(day, rng)
                if ledger is not None:
                    ledger.session(dev.email, moment)
                old_style = rng.random() < 0.4  # older Claude Code sent numbers as strings
                standard = [
                    _s("session.id", session),
                    _s("user.account_uuid", dev.account_uuid),
                    _s("user.email", dev.email),
                    _s("organization.id", "org-demo-0001"),
                    _s("terminal.type", rng.choice(["vscode", "iTerm.app", "tmux"])),
                ]
                per_model = defaultdict(lambda: [0, 0, 0, 0, 0.0])
                requests = max(1, int(day_volume(rng, 12, dev, day, scale) / max(sessions, 1)))
                for _ in range(requests):
                    moment += dt.timedelta(seconds=rng.randint(5, 240))
                    model = pick_model(rng)
                    t_in, t_out = int(rng.lognormvariate(6.5, 1.0)), int(rng.lognormvariate(6.0, 1.0))
                    t_read, t_create = int(rng.lognormvariate(9.0, 1.0)), int(rng.lognormvariate(6.5, 1.2))
                    c = sum(cost(model, t_in, t_out, t_read, t_create))
                    num = (lambda k, v: _s(k, str(v))) if old_style else (lambda k, v: _i(k, v, True) if isinstance(v, int) else _d(k, v))
                    ts = moment.isoformat().replace("+00:00", "Z")
                    logs.add(_event(moment, "api_request", standard, ts, [
                        _s("model", model), num("cost_usd", c), num("duration_ms", rng.randint(800, 30000)),
                        num("input_tokens", t_in), num("output_tokens", t_out), num("cache_read_tokens", t_read),
                        num("cache_creation_tokens", t_create), _s("request_id", f"req_{rng.getrandbits(64):016x}"),
                    ]))
                    totals["api_requests"] += 1
                    if ledger is not None:
                        ledger.request(dev.email, moment, model, t_in, t_out, t_read, t_create)
                    totals["api_request_cost_usd"] += c
                    totals["input_tokens"] += t_in
                    totals["output_tokens"] += t_out
                    acc = per_model[model]
                    acc[0] += t_in; acc[1] += t_out; acc[2] += t_read; acc[3] += t_create; acc[4] += c
                    for _ in range(rng.randint(0, 3)):
                        moment += dt.timedelta(milliseconds=rng.randint(50, 20000))
                        ts = moment.isoformat().replace("+00:00", "Z")
                        tool = rng.choice(CLAUDE_TOOLS)
                        if mcp.random() < 0.12:
                            tool = mcp.choice(MCP_TOOLS)
                        ok = rng.random() > 0.06
                        logs.add(_event(moment, "tool_decision", standard, ts, [
                            _s("tool_name", tool), _s("decision", "accept"), _s("source", rng.choice(["config", "user_temporary"]))]))
                        result = [_s("tool_name", tool), _s("success", "true" if ok else "false"), num("duration_ms", rng.randint(5, 9000))]
                        if not ok:
                            result.append(_s("error", f"Command failed in /home/{dev.login}/src: exit code 1"))
                        logs.add(_event(moment, "tool_result", standard, ts, result))
                        totals["tool_results"] += 1
                        totals["log_records"] += 2
                    totals["log_records"] += 1
                logs.add(_event(moment, "user_prompt", standard, moment.isoformat(), [num("prompt_length", rng.randint(10, 2000))]))
                totals["log_records"] += 1
                totals["points"] += _session_metrics(metrics, moment, standard, per_model, rng, old_style)
        logs.close()
        metrics.close()
    return {k: (round(v, 10) if isinstance(v, float) and not v.is_integer() else int(v)) for k, v in totals.items()}


def _event(moment: dt.datetime, name: str, standard: list, ts: str, attrs: list) -> dict:
    return {
        "timeUnixNano": str(nanos(moment)),
        "observedTimeUnixNano": str(nanos(moment)),
        "severityNumber": 9,
        "body": {"stringValue": f"claude_code.{name}"},
        "attributes": [_s("event.name", name), _s("event.timestamp", ts), *standard, *attrs],
    }


def _session_metrics(writer: _BatchWriter, moment: dt.datetime, standard: list, per_model: dict, rng, old_style: bool) -> int:
    end = nanos(moment)
    start = end - 60_000_000_000

    def point(value, attrs, as_int=True):
        p = {"startTimeUnixNano": str(start), "timeUnixNano": str(end), "attributes": [*standard, *attrs]}
        if as_int:
            p["asInt"] = value if not old_style else str(value)
        else:
            p["asDouble"] = value
        return p

    def delta_sum(name, unit, points, description):
        writer.add({"name": name, "unit": unit, "description": description,
                    "sum": {"aggregationTemporality": 1, "isMonotonic": True, "dataPoints": points}})
        return len(points)

    count = delta_sum("claude_code.session.count", "count", [point(1, [])], "Count of CLI sessions started")
    tokens, costs = [], []
    for model, (t_in, t_out, t_read, t_create, c) in sorted(per_model.items()):
        for kind, value in (("input", t_in), ("output", t_out), ("cacheRead", t_read), ("cacheCreation", t_create)):
            tokens.append(point(value, [_s("type", kind), _s("model", model)]))
        costs.append(point(c, [_s("model", model)], as_int=False))
    count += delta_sum("claude_code.token.usage", "tokens", tokens, "Number of tokens used")
    count += delta_sum("claude_code.cost.usage", "USD", costs, "Cost of the Claude Code session")
    count += delta_sum("claude_code.lines_of_code.count", "count",
                       [point(rng.randint(0, 400), [_s("type", "added")]), point(rng.randint(0, 120), [_s("type", "removed")])],
                       "Count of lines of code modified")
    count += delta_sum("claude_code.commit.count", "count", [point(rng.randint(0, 3), [])], "Number of git commits created")
    count += delta_sum("claude_code.active_time.total", "s", [point(float(rng.randint(60, 5400)), [], as_int=False)], "Total active time in seconds")
    return count
