-- The Zen curated fact: one row per agent instance (span), tokens and cost by component.
-- tokens_total / cost_usd_total are what Zen reported; when a producer leaves them out they are
-- the sum of the components (and `*_is_reported` says which).
with spans as (select * from {{ ref('stg_zen_spans') }}),

tools as (
    select instance_id, sum(invocations) as tool_invocations, count(*) as distinct_tools
    from {{ ref('stg_zen_span_tools') }}
    group by instance_id
)

select
    s.instance_id,
    s.trace_id,
    s.span_id,
    s.started_at,
    s.ended_at,
    s.event_date,
    s.duration_ms,
    s.command,
    s.command_type,
    s.command_hash,
    s.status,
    s.session_hash,
    s.workspace_hash,
    s.batch_id,
    s.service_name,
    s.tokens_input,
    s.tokens_output,
    s.tokens_cache_read,
    s.tokens_cache_creation,
    s.tokens_tools,
    coalesce(s.tokens_total_reported,
             s.tokens_input + s.tokens_output + s.tokens_cache_read + s.tokens_cache_creation + s.tokens_tools)
                                                  as tokens_total,
    s.tokens_total_reported is not null           as tokens_total_is_reported,
    s.cost_usd_input,
    s.cost_usd_output,
    s.cost_usd_cache_read,
    s.cost_usd_cache_creation,
    coalesce(s.cost_usd_total_reported,
             s.cost_usd_input + s.cost_usd_output + s.cost_usd_cache_read + s.cost_usd_cache_creation)
                                                  as cost_usd_total,
    s.cost_usd_total_reported is not null         as cost_usd_total_is_reported,
    coalesce(t.tool_invocations, 0)               as tool_invocations,
    coalesce(t.distinct_tools, 0)                 as distinct_tools
from spans s
left join tools t on t.instance_id = s.instance_id
