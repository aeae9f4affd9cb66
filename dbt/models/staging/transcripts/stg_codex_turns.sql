-- One row per Codex turn with tokens: the difference between consecutive cumulative totals in a
-- session file (a counter that went down means Codex restarted counting: the turn's own
-- last_token_usage is used then). Cached input is part of input. The model is the one the latest
-- turn_context set, unless the event names its own.
with events as (
    select
        *,
        max(case when event_type = 'turn_context' then source_offset end)
            over (partition by source_file order by source_offset rows between unbounded preceding and current row) as context_offset,
        max(cwd) over (partition by source_file)                                                              as session_cwd
    from {{ source('raw_transcripts', 'codex_events') }}
),

with_model as (
    select
        e.*,
        coalesce(e.model, c.model) as turn_model
    from events e
    left join events c
        on c.source_file = e.source_file and c.source_offset = e.context_offset and c.event_type = 'turn_context'
    where e.event_type = 'token_count'
),

deltas as (
    select
        *,
        total_input_tokens - coalesce(lag(total_input_tokens) over w, 0)                           as d_input,
        total_cached_input_tokens - coalesce(lag(total_cached_input_tokens) over w, 0)             as d_cached,
        total_output_tokens - coalesce(lag(total_output_tokens) over w, 0)                         as d_output,
        total_reasoning_output_tokens - coalesce(lag(total_reasoning_output_tokens) over w, 0)     as d_reasoning
    from with_model
    window w as (partition by source_file order by source_offset)
)

select
    record_key                                                              as turn_key,
    agent,
    session_id,
    turn_model                                                              as model,
    event_at,
    event_date,
    case when d_input < 0 then coalesce(last_input_tokens, 0) else d_input end               as input_tokens,
    case when d_cached < 0 then coalesce(last_cached_input_tokens, 0) else d_cached end      as cached_input_tokens,
    case when d_output < 0 then coalesce(last_output_tokens, 0) else d_output end            as output_tokens,
    case when d_reasoning < 0 then coalesce(last_reasoning_output_tokens, 0) else d_reasoning end as reasoning_output_tokens,
    session_cwd                                                             as cwd,
    machine,
    source_file
from deltas
where coalesce(total_input_tokens, 0) + coalesce(total_output_tokens, 0) > 0
  and not (d_input = 0 and d_output = 0 and d_cached = 0)  -- a repeated token_count adds nothing
