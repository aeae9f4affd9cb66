-- Where the money went, by repository and branch (with the ticket its name carries, var('ticket_pattern')).
-- Branches come from the agents' own record (Claude Code transcripts' gitBranch); agents that do not
-- say are left out here and counted in fct_repository_costs.
select
    coalesce(repo_id, 'name:' || lower(repository))                           as repository_key,
    max(repository)                                                           as repository,
    git_branch                                                                as branch,
    max(ticket)                                                               as ticket,
    count(*)                                                                  as requests,
    count(distinct agent || ':' || coalesce(session_id, ''))                  as sessions,
    count(distinct developer_key)                                             as developers,
    sum(total_tokens)                                                         as total_tokens,
    sum(cost_usd)                                                             as cost_usd,
    min(event_at)                                                             as first_request_at,
    max(event_at)                                                             as last_request_at
from {{ ref('fct_agent_requests') }}
where repository is not null and git_branch is not null
group by 1, 3
