-- One row per developer key seen in agent data. Transcripts identify a machine
-- (landing/claude/<machine>/), telemetry a hashed account; linking the two needs an identity map
-- (a later step), so until then each is its own developer. Team from the developer_teams seed.
with seen as (
    select
        coalesce(user_account_hash, machine, 'unknown') as developer_key,
        case when user_account_hash is not null then 'account' when machine is not null then 'machine' else 'unknown' end as identity_kind,
        agent,
        event_at
    from {{ ref('fct_agent_requests') }}
)

select
    s.developer_key,
    min(s.identity_kind)                    as identity_kind,
    coalesce(min(t.team), 'unassigned')     as team,
    min(s.event_at)                         as first_seen_at,
    max(s.event_at)                         as last_seen_at,
    count(distinct s.agent)                 as agents_used,
    count(*)                                as requests
from seen s
left join {{ ref('developer_teams') }} t on t.developer_key = s.developer_key
group by s.developer_key
