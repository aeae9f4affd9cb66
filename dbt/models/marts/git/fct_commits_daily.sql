-- Per day and team: commits, the share an agent helped write, time from session to commit,
-- lines changed assisted vs manual, and what the agents cost that day per commit.
with commits as (
    select
        commit_date                                                              as day,
        team,
        count(*) filter (where not is_merge)                                     as commits,
        count(*) filter (where not is_merge and is_agent_assisted)               as agent_assisted_commits,
        count(*) filter (where not is_merge and evidence in ('trailer', 'trailer+session')) as trailer_commits,
        count(*) filter (where not is_merge and evidence = 'session')            as session_only_commits,
        median(minutes_since_session)                                            as median_minutes_session_to_commit,
        sum(lines_changed) filter (where not is_merge and is_agent_assisted)     as lines_changed_assisted,
        sum(lines_changed) filter (where not is_merge and not is_agent_assisted) as lines_changed_manual,
        count(distinct developer_key)                                            as committers
    from {{ ref('fct_git_commits') }}
    group by 1, 2
),

spend as (
    select event_date as day, coalesce(team, 'unassigned') as team, sum(cost_usd) as agent_cost_usd,
           sum(input_tokens + output_tokens + coalesce(cache_read_tokens, 0) + coalesce(cache_creation_tokens, 0)) as agent_tokens
    from {{ ref('int_agent_requests_priced') }}
    group by 1, 2
)

select
    coalesce(c.day, s.day)                                                       as day,
    coalesce(c.team, s.team)                                                     as team,
    coalesce(c.commits, 0)                                                       as commits,
    coalesce(c.agent_assisted_commits, 0)                                        as agent_assisted_commits,
    coalesce(c.trailer_commits, 0)                                               as trailer_commits,
    coalesce(c.session_only_commits, 0)                                          as session_only_commits,
    c.agent_assisted_commits::double / nullif(c.commits, 0)                      as agent_assisted_share,
    c.median_minutes_session_to_commit,
    coalesce(c.lines_changed_assisted, 0)                                        as lines_changed_assisted,
    coalesce(c.lines_changed_manual, 0)                                          as lines_changed_manual,
    coalesce(c.committers, 0)                                                    as committers,
    coalesce(s.agent_cost_usd, 0)                                                as agent_cost_usd,
    coalesce(s.agent_tokens, 0)                                                  as agent_tokens,
    s.agent_cost_usd / nullif(c.commits, 0)                                      as cost_per_commit_usd,
    s.agent_cost_usd / nullif(c.agent_assisted_commits, 0)                       as cost_per_assisted_commit_usd,
    s.agent_tokens::double / nullif(c.commits, 0)                                as tokens_per_commit
from commits c
full outer join spend s on s.day = c.day and s.team = c.team
