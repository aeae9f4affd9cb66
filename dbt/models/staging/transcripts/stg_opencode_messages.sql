-- One row per OpenCode assistant message, in the agents' shape (see int_agent_requests): input, cache
-- reads and writes as OpenCode counts them; reasoning is billed as output and counted in output_tokens
-- (reasoning_output_tokens says how many, as for Codex); OpenCode's own cost kept as the reported cost.
select
    record_key                                      as request_key,
    session_id,
    message_id,
    provider,
    model,
    event_at,
    event_date,
    input_tokens,
    output_tokens + reasoning_tokens                as output_tokens,
    reasoning_tokens                                as reasoning_output_tokens,
    cache_read_tokens,
    cache_write_tokens                              as cache_creation_tokens,
    reported_cost_usd,
    cwd,
    machine,
    source_file
from {{ source('raw_transcripts', 'opencode_messages') }}
