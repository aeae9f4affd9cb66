-- One row per developer: those the project config names (with all their identities, even before
-- any activity) and every identity seen in agent data that the config does not resolve.
with configured as (
    select
        developer_key,
        min(developer_name)                                                    as developer_name,
        min(team)                                                              as team,
        sum(case when identity_kind = 'machine' then 1 else 0 end)             as machines,
        sum(case when identity_kind in ('email', 'account') then 1 else 0 end) as accounts,
        sum(case when identity_kind = 'login' then 1 else 0 end)               as logins
    from {{ source('raw_transcripts', 'developer_identities') }}
    group by developer_key
),

activity as (
    select
        developer_key,
        min(team)               as team,
        min(event_at)           as first_seen_at,
        max(event_at)           as last_seen_at,
        count(distinct agent)   as agents_used,
        count(*)                as requests,
        sum(cost_usd)           as cost_usd
    from {{ ref('fct_agent_requests') }}
    group by developer_key
)

select
    coalesce(c.developer_key, a.developer_key)        as developer_key,
    c.developer_name,
    coalesce(c.team, a.team, 'unassigned')            as team,
    c.developer_key is not null                       as is_configured,
    coalesce(c.machines, 0)                           as machines,
    coalesce(c.accounts, 0)                           as accounts,
    coalesce(c.logins, 0)                             as logins,
    a.first_seen_at,
    a.last_seen_at,
    coalesce(a.agents_used, 0)                        as agents_used,
    coalesce(a.requests, 0)                           as requests,
    coalesce(a.cost_usd, 0)                           as cost_usd
from configured c
full outer join activity a on a.developer_key = c.developer_key
