-- Daily Zen usage and cost by command type, command and command hash (UTC event dates).
-- Daily partitions (tag 'daily'): a run rebuilds only the days Dagster asks for (macros/daily_window.sql).
{{ config(materialized='incremental', incremental_strategy='append', tags=['daily'],
          pre_hook="{{ delete_daily_window('event_date') }}") }}
select
    event_date,
    command_type,
    command,
    command_hash,
    count(*)                                        as instances,
    sum(case when status = 'success' then 1 else 0 end) as successful_instances,
    sum(case when status = 'error' then 1 else 0 end)   as failed_instances,
    sum(duration_ms)                                as duration_ms,
    sum(tokens_input)                               as tokens_input,
    sum(tokens_output)                              as tokens_output,
    sum(tokens_cache_read)                          as tokens_cache_read,
    sum(tokens_cache_creation)                      as tokens_cache_creation,
    sum(tokens_tools)                               as tokens_tools,
    sum(tokens_total)                               as tokens_total,
    sum(cost_usd_input)                             as cost_usd_input,
    sum(cost_usd_output)                            as cost_usd_output,
    sum(cost_usd_cache_read)                        as cost_usd_cache_read,
    sum(cost_usd_cache_creation)                    as cost_usd_cache_creation,
    sum(cost_usd_total)                             as cost_usd_total,
    sum(tool_invocations)                           as tool_invocations
from {{ ref('fact_instance_usage') }}
where {{ in_daily_window('event_date') }}
group by event_date, command_type, command, command_hash
