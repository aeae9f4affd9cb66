-- One row per (instance, tool): how often each tool ran and the tokens it consumed.
select
    instance_id || ':' || tool_name as instance_tool_id,
    instance_id,
    event_date,
    started_at,
    command_hash,
    command_type,
    tool_name,
    coalesce(invocations, 0)        as invocations,
    coalesce(tokens, 0)             as tokens
from {{ ref('stg_zen_span_tools') }}
