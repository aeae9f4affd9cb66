-- One row per Claude Code API request from transcripts. Streaming writes the same response
-- several times (same message.id + requestId) with growing output tokens: keep the line with the
-- largest token total (ties: the later line). Lines without both ids are requests of their own.
with lines as (
    select
        *,
        coalesce(input_tokens, 0) + coalesce(output_tokens, 0)
            + coalesce(cache_creation_tokens, 0) + coalesce(cache_read_tokens, 0) as total_tokens,
        case when message_id is not null and request_id is not null
             then message_id || ':' || request_id
             else record_key end                                               as request_key
    from {{ source('raw_transcripts', 'claude_requests') }}
),

ranked as (
    select
        *,
        row_number() over (partition by request_key order by total_tokens desc, event_at desc, source_file, source_offset desc) as keep_rank,
        count(*) over (partition by request_key)                                                                 as lines_written
    from lines
)

select
    request_key,
    agent,
    session_id,
    message_id,
    request_id,
    model,
    speed,
    event_at,
    event_date,
    coalesce(input_tokens, 0)              as input_tokens,
    coalesce(output_tokens, 0)             as output_tokens,
    coalesce(cache_creation_tokens, 0)     as cache_creation_tokens,
    coalesce(cache_read_tokens, 0)         as cache_read_tokens,
    cache_creation_5m_tokens,
    cache_creation_1h_tokens,
    reported_cost_usd,
    agent_version,
    is_sidechain,
    git_branch,
    project,
    cwd,
    machine,
    lines_written,
    source_file
from ranked
where keep_rank = 1
