-- One row per Claude Code API request from transcripts. The load keeps one line per request
-- already (of the lines sharing message.id + requestId — streaming writes, a resumed session's
-- copies — the one with the largest token total: see transcripts/claude.py REQUEST_RANK), so
-- this model only shapes it. Lines without both ids are requests of their own.
select
    case when message_id is not null and request_id is not null
         then message_id || ':' || request_id
         else record_key end                   as request_key,
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
    source_file
from {{ source('raw_transcripts', 'claude_requests') }}
