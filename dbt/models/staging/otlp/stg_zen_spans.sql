-- One row per Zen-instrumented agent instance (a span carrying zen.* attributes).
with spans as (
    select * from {{ source('raw', 'otlp_spans') }}
    where zen_command is not null or zen_tokens_total is not null or zen_cost_usd_total is not null
)

select
    record_key                                              as instance_id,
    trace_id,
    span_id,
    parent_span_id,
    span_name,
    start_time                                              as started_at,
    end_time                                                as ended_at,
    event_date,
    coalesce(zen_duration_ms, duration_ms)                  as duration_ms,
    coalesce(zen_command, span_name)                        as command,
    coalesce(zen_command_type, 'unknown')                   as command_type,
    {{ dbt.hash("coalesce(zen_command, span_name)") }}       as command_hash,
    lower(coalesce(zen_status, case status_code when 'error' then 'error' when 'ok' then 'success' end, 'unknown')) as status,
    zen_session_hash                                        as session_hash,
    zen_workspace_hash                                      as workspace_hash,
    zen_batch_id                                            as batch_id,
    service_name,
    service_version,
    coalesce(zen_tokens_input, 0)                           as tokens_input,
    coalesce(zen_tokens_output, 0)                          as tokens_output,
    coalesce(zen_tokens_cache_read, 0)                      as tokens_cache_read,
    coalesce(zen_tokens_cache_creation, 0)                  as tokens_cache_creation,
    coalesce(zen_tokens_tools, 0)                           as tokens_tools,
    zen_tokens_total                                        as tokens_total_reported,
    coalesce(zen_cost_usd_input, 0)                         as cost_usd_input,
    coalesce(zen_cost_usd_output, 0)                        as cost_usd_output,
    coalesce(zen_cost_usd_cache_read, 0)                    as cost_usd_cache_read,
    coalesce(zen_cost_usd_cache_creation, 0)                as cost_usd_cache_creation,
    zen_cost_usd_total                                      as cost_usd_total_reported,
    zen_tools,
    source_file
from spans
