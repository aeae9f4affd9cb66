-- Cost by period (day, ISO week, month) x agent x team: one table, filter on period_grain.
with requests as (
    select * from {{ ref('fct_agent_requests') }} where event_date is not null
),

grains as (
    select 'day' as period_grain, event_date as period_start, * from requests
    union all
    select 'week', cast({{ dbt.date_trunc('week', 'event_date') }} as date), * from requests
    union all
    select 'month', cast({{ dbt.date_trunc('month', 'event_date') }} as date), * from requests
)

select
    period_grain,
    period_start,
    agent,
    team,
    count(*)                                                        as requests,
    count(distinct developer_key)                                   as developers,
    sum(total_tokens)                                               as total_tokens,
    sum(cost_usd)                                                   as cost_usd,
    sum(computed_cost_usd)                                          as computed_cost_usd,
    sum(reported_cost_usd)                                          as reported_cost_usd,
    sum(case when pricing_status = 'unpriced' then total_tokens else 0 end) as unpriced_tokens
from grains
group by 1, 2, 3, 4
