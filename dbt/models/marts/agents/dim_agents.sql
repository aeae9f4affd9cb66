-- One row per agent with what we know of it: where its data comes from and its volume.
select
    agent,
    case agent when 'claude_code' then 'Claude Code' when 'codex' then 'Codex CLI' when 'gemini_cli' then 'Gemini CLI' when 'opencode' then 'OpenCode' when 'copilot_cli' then 'GitHub Copilot CLI' when 'cursor' then 'Cursor' else agent end as agent_name,
    case agent when 'claude_code' then 'Anthropic' when 'codex' then 'OpenAI' when 'gemini_cli' then 'Google' when 'copilot_cli' then 'GitHub' when 'cursor' then 'Anysphere' end as vendor,
    count(distinct source)                 as sources,
    count(distinct model)                  as models_used,
    min(event_at)                          as first_seen_at,
    max(event_at)                          as last_seen_at,
    count(*)                               as requests,
    sum(cost_usd)                          as cost_usd
from {{ ref('fct_agent_requests') }}
group by agent
