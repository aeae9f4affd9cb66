-- One row per Gemini CLI model response reported through its OTel logs exporter (`gemini_cli.api_response`, Gemini
-- CLI's telemetry docs): input (the whole prompt, its cached part inside it), output, cached, thoughts and tool-use
-- prompt counts, in the saved chats' shape (stg_gemini_messages): the cached part split out of input, the tool-use
-- prompt counted as input, thoughts billed as output (reasoning_output_tokens says how many). The counts are not
-- modelled as OTLP columns: they come from the record's other attributes; user.email was hashed by the ingest. The
-- machine is the one the receiver's per-machine token named, when there was one.
with events as (
    select
        record_key                                                                          as event_id,
        time                                                                                as event_at,
        event_date,
        coalesce(session_id, json_extract_string(attributes, '$."session.id"'))             as session_id,
        coalesce(model, json_extract_string(attributes, '$.model'))                         as model,
        try_cast(json_extract_string(attributes, '$.input_token_count') as bigint)          as prompt_tokens,
        try_cast(json_extract_string(attributes, '$.cached_content_token_count') as bigint) as cached_tokens,
        try_cast(json_extract_string(attributes, '$.output_token_count') as bigint)         as output_tokens,
        try_cast(json_extract_string(attributes, '$.thoughts_token_count') as bigint)       as thoughts_tokens,
        try_cast(json_extract_string(attributes, '$.tool_token_count') as bigint)           as tool_tokens,
        user_email                                                                          as user_email_hash,
        json_extract_string(resource_attributes, '$."analytics.machine"')                   as machine
    from {{ source('raw', 'otlp_logs') }}
    where coalesce(event_name, otel_event_name, body, '') = 'gemini_cli.api_response'
)

select
    event_id,
    event_at,
    event_date,
    session_id,
    model,
    greatest(coalesce(prompt_tokens, 0) - coalesce(cached_tokens, 0), 0) + coalesce(tool_tokens, 0) as input_tokens,
    coalesce(output_tokens, 0) + coalesce(thoughts_tokens, 0)                                       as output_tokens,
    least(coalesce(cached_tokens, 0), coalesce(prompt_tokens, 0))                                   as cache_read_tokens,
    coalesce(thoughts_tokens, 0)                                                                    as reasoning_output_tokens,
    user_email_hash,
    machine
from events
where coalesce(prompt_tokens, 0) + coalesce(output_tokens, 0) + coalesce(thoughts_tokens, 0) > 0
