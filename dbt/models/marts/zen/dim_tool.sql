-- One row per tool seen in Zen spans. MCP tools (mcp__<server>__<tool>) keep their server.
select
    tool_name,
    case when tool_name like 'mcp\_\_%' escape '\' then 'mcp' else 'builtin' end as tool_kind,
    min(started_at)           as first_seen_at,
    max(started_at)           as last_seen_at,
    sum(coalesce(invocations, 0)) as invocations,
    sum(coalesce(tokens, 0))  as tokens
from {{ ref('stg_zen_span_tools') }}
group by tool_name
