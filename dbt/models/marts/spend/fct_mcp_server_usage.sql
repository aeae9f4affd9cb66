-- MCP servers and tools the agents called (Claude Code's tool_result events name an MCP tool
-- `mcp__<server>__<tool>`), with the cost of the sessions that called each server: a session's cost is
-- counted once per server it used, so servers' costs overlap and do not sum to the total. Telemetry
-- gives no per-tool token cost; this is what the source says.
with calls as (
    select
        session_id,
        regexp_extract(tool_name, '^mcp__(.+?)__(.+)$', 1)                    as mcp_server,
        regexp_extract(tool_name, '^mcp__(.+?)__(.+)$', 2)                    as mcp_tool,
        success
    from {{ ref('stg_claude_code_tool_results') }}
    where tool_name like 'mcp\_\_%' escape '\'
),

per_server as (
    select
        mcp_server,
        count(*)                                                              as calls,
        sum(case when success then 0 else 1 end)                              as failed_calls,
        count(distinct mcp_tool)                                              as tools,
        count(distinct session_id)                                            as sessions
    from calls
    where mcp_server <> ''
    group by 1
),

session_cost as (
    select s.session_id, s.cost_usd
    from {{ ref('fct_agent_sessions') }} s
    where s.agent = 'claude_code'
),

server_sessions as (
    select distinct mcp_server, session_id from calls where mcp_server <> ''
)

select
    p.mcp_server,
    p.calls,
    p.failed_calls,
    p.tools,
    p.sessions,
    sum(c.cost_usd)                                                           as sessions_cost_usd
from per_server p
left join server_sessions ss on ss.mcp_server = p.mcp_server
left join session_cost c on c.session_id = ss.session_id
group by 1, 2, 3, 4, 5
