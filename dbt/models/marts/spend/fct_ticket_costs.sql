-- Where the money went, by ticket: the ticket id var('ticket_pattern') finds in a branch name (default
-- `[A-Z][A-Z0-9]+-[0-9]+`, e.g. feature/PAY-142-refunds -> PAY-142), over every repository and branch
-- that carries it, with the assisted commits made on those branches.
with spend as (
    select
        ticket,
        count(distinct coalesce(repo_id, lower(repository)))                  as repositories,
        count(distinct git_branch)                                            as branches,
        count(*)                                                              as requests,
        count(distinct agent || ':' || coalesce(session_id, ''))              as sessions,
        count(distinct developer_key)                                         as developers,
        sum(total_tokens)                                                     as total_tokens,
        sum(cost_usd)                                                         as cost_usd,
        min(event_at)                                                         as first_request_at,
        max(event_at)                                                         as last_request_at
    from {{ ref('fct_agent_requests') }}
    where ticket is not null
    group by 1
),

commits as (
    select
        {{ ticket_from_branch('branch') }} as ticket,
        count(*)                                                              as commits,
        sum(case when is_agent_assisted then 1 else 0 end)                    as assisted_commits
    from {{ ref('fct_git_commits') }}
    where not is_merge
    group by 1
)

select
    s.*,
    coalesce(c.commits, 0)                                                    as commits,
    coalesce(c.assisted_commits, 0)                                           as assisted_commits,
    s.cost_usd / nullif(c.assisted_commits, 0)                                as cost_per_assisted_commit_usd
from spend s
left join commits c on c.ticket = s.ticket
