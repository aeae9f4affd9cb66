-- Where the money went, main loop vs subagents: a Claude Code request made inside a subagent (Task tool,
-- transcripts' isSidechain: the `<session>/subagents/` files and sidechain lines) or by the main loop,
-- per agent and month. Sources that do not say (telemetry, Codex) count as main loop.
select
    cast({{ dbt.date_trunc('month', 'event_date') }} as date)                 as month,
    agent,
    case when is_sidechain then 'subagent' else 'main_loop' end               as context,
    count(*)                                                                  as requests,
    count(distinct session_id)                                                as sessions,
    sum(total_tokens)                                                         as total_tokens,
    sum(cost_usd)                                                             as cost_usd
from {{ ref('fct_agent_requests') }}
where event_date is not null
group by 1, 2, 3
