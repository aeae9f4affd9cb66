-- Where the money went, by repository: agent requests (every agent whose source names a working folder)
-- and the commits of the same repository, with the cost per agent-assisted commit beside it.
-- A repository is its identity (repo_id, the normalised remote host/owner/name) where git told us, else
-- its folder name (repository_rule says which; see int_agent_requests).
with requests as (
    select
        coalesce(repo_id, 'name:' || lower(repository))                     as repository_key,
        repo_id,
        repository,
        repository_rule,
        agent,
        session_id,
        developer_key,
        is_sidechain,
        total_tokens,
        cost_usd
    from {{ ref('fct_agent_requests') }}
    where repository is not null
),

spend as (
    select
        repository_key,
        max(repo_id)                                                          as repo_id,
        max(repository)                                                       as repository,
        min(repository_rule)                                                  as repository_rule,
        count(*)                                                              as requests,
        count(distinct agent || ':' || coalesce(session_id, ''))              as sessions,
        count(distinct developer_key)                                         as developers,
        count(distinct agent)                                                 as agents,
        sum(total_tokens)                                                     as total_tokens,
        sum(cost_usd)                                                         as cost_usd,
        sum(case when is_sidechain then cost_usd else 0 end)                  as subagent_cost_usd
    from requests
    group by 1
),

commits as (
    select
        coalesce(repo_id, 'name:' || lower(regexp_replace(repo, '^.*/', ''))) as repository_key,
        count(*)                                                              as commits,
        sum(case when is_agent_assisted then 1 else 0 end)                    as assisted_commits
    from {{ ref('fct_git_commits') }}
    where not is_merge
    group by 1
)

select
    s.repository_key,
    s.repo_id,
    s.repository,
    s.repository_rule,
    s.requests,
    s.sessions,
    s.developers,
    s.agents,
    s.total_tokens,
    s.cost_usd,
    s.subagent_cost_usd,
    coalesce(c.commits, 0)                                                    as commits,
    coalesce(c.assisted_commits, 0)                                           as assisted_commits,
    s.cost_usd / nullif(c.assisted_commits, 0)                                as cost_per_assisted_commit_usd
from spend s
left join commits c on c.repository_key = s.repository_key
