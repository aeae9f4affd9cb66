-- One row per GitHub Copilot CLI model call. Copilot CLI can report one call four times: a chat span, an
-- inference-details log, an agent-turn log and the invoke_agent summary span. A record is kept when no more
-- precise kind shares its trace or its response id (chat > inference_log > agent_turn > agent_summary), the
-- order ccusage uses. Copilot CLI's output count already includes the reasoning tokens (the GenAI conventions'
-- output is the whole completion; reasoning.output_tokens is the part of it), as Codex's does: kept as they are.
with records as (
    select
        *,
        case kind when 'chat' then 0 when 'inference_log' then 1 when 'agent_turn' then 2 else 3 end as precision_rank
    from {{ source('raw_transcripts', 'copilot_cli_usage') }}
),

best_by_trace as (
    select trace_id, min(precision_rank) as best from records where trace_id is not null group by 1
),

best_by_response as (
    select response_id, min(precision_rank) as best from records where response_id is not null group by 1
)

select
    r.record_key                                    as request_key,
    r.kind,
    r.session_id,
    r.trace_id,
    r.model,
    r.event_at,
    r.event_date,
    r.input_tokens,
    r.output_tokens,
    r.reasoning_tokens                              as reasoning_output_tokens,
    r.cache_read_tokens,
    r.cache_creation_tokens,
    r.machine,
    r.source_file
from records r
left join best_by_trace t on t.trace_id = r.trace_id
left join best_by_response p on p.response_id = r.response_id
where (r.kind = 'chat' or coalesce(t.best, 99) >= r.precision_rank)
  and (r.kind = 'chat' or coalesce(p.best, 99) >= r.precision_rank)
