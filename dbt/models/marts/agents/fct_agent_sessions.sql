-- One row per agent session: start, end, duration, requests, tokens, cost, project, repository, branch.
-- (A session whose cwd changed shows one repository here; its requests keep their own: fct_agent_requests.)
select
    agent || ':' || coalesce(session_id, 'none') || ':' || coalesce(machine, user_account_hash, '') as session_key,
    agent,
    session_id,
    developer_key,
    min(event_at)                                    as started_at,
    max(event_at)                                    as ended_at,
    {{ dbt.datediff('min(event_at)', 'max(event_at)', 'second') }} as duration_seconds,
    min(event_date)                                  as start_date,
    count(*)                                         as requests,
    count(distinct model)                            as models_used,
    max(project)                                     as project,
    max(repository)                                  as repository,
    max(repo_id)                                     as repo_id,
    max(git_branch)                                  as git_branch,
    sum(total_tokens)                                as total_tokens,
    sum(cost_usd)                                    as cost_usd,
    sum(case when is_sidechain then 1 else 0 end)    as sidechain_requests
from {{ ref('fct_agent_requests') }}
-- Cursor's Admin API reports requests without their session: they are requests, not sessions.
where agent <> 'cursor'
group by 1, 2, 3, 4
