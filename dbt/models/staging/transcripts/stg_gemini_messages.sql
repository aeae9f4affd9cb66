-- One row per Gemini CLI response, in the agents' shape (see int_agent_requests):
--   Gemini's `input` is the whole prompt; where `total` = input + output + thoughts + tool, the cached part is
--   inside it and is split out (as ccusage does); the tool-use prompt is input too;
--   thoughts are billed as output tokens: output_tokens includes them, reasoning_output_tokens says how many
--   (as for Codex, whose output includes its reasoning).
with messages as (
    select
        *,
        cached_tokens > 0
            and total_tokens = input_tokens + output_tokens + thoughts_tokens + tool_tokens
            and total_tokens <> input_tokens + output_tokens + thoughts_tokens + tool_tokens + cached_tokens as cached_in_input
    from {{ source('raw_transcripts', 'gemini_messages') }}
)

select
    record_key                                                              as request_key,
    session_id,
    message_id,
    project_hash,
    model,
    event_at,
    event_date,
    case when cached_in_input then input_tokens - least(input_tokens, cached_tokens) else input_tokens end
        + tool_tokens                                                       as input_tokens,
    output_tokens + thoughts_tokens                                         as output_tokens,
    cached_tokens                                                           as cache_read_tokens,
    thoughts_tokens                                                         as reasoning_output_tokens,
    total_tokens                                                            as reported_total_tokens,
    machine,
    source_file
from messages
