-- Day x developer x agent x model (developers resolved across sources in int_agent_requests).
-- Daily partitions (tag 'daily'): a run rebuilds only the days Dagster asks for (macros/daily_window.sql).
{{ config(materialized='incremental', incremental_strategy='append', tags=['daily'],
          pre_hook="{{ delete_daily_window('event_date') }}") }}
select
    event_date,
    developer_key,
    agent,
    coalesce(model, 'unknown')                        as model,
    count(*)                                          as requests,
    count(distinct session_id)                        as sessions,
    sum(input_tokens)                                 as input_tokens,
    sum(output_tokens)                                as output_tokens,
    sum(cache_read_tokens)                            as cache_read_tokens,
    sum(cache_creation_tokens)                        as cache_creation_tokens,
    sum(total_tokens)                                 as total_tokens,
    sum(cost_usd)                                     as cost_usd,
    sum(computed_cost_usd)                            as computed_cost_usd,
    sum(reported_cost_usd)                            as reported_cost_usd,
    sum(case when pricing_status = 'unpriced' then 1 else 0 end)          as unpriced_requests,
    sum(case when pricing_status = 'unpriced' then total_tokens else 0 end) as unpriced_tokens
from {{ ref('fct_agent_requests') }}
where {{ in_daily_window('event_date') }}
group by 1, 2, 3, 4
