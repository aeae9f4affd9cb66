-- One row per Codex model response reported through its OTel logs exporter: the `codex.sse_event`
-- of kind `response.completed` carries that response's token counts (Codex's docs, [otel] section).
-- Cached input is part of input (the OpenAI Responses API's convention), as in the session files.
-- The token counts are not modelled as columns by the OTLP ingest, so they come from the record's
-- other attributes; `user.account_id` was hashed there by the ingest. The machine is the one the
-- receiver's per-machine token named (resource attribute `analytics.machine`), when there was one.
with events as (
    select
        record_key                                                                   as event_id,
        time                                                                         as event_at,
        event_date,
        coalesce(event_name, otel_event_name, body)                                  as event_name,
        json_extract_string(attributes, '$."event.kind"')                            as event_kind,
        coalesce(json_extract_string(attributes, '$."conversation.id"'), session_id) as session_id,
        model,
        try_cast(json_extract_string(attributes, '$.input_token_count') as bigint)     as input_tokens,
        try_cast(json_extract_string(attributes, '$.cached_token_count') as bigint)    as cached_input_tokens,
        try_cast(json_extract_string(attributes, '$.output_token_count') as bigint)    as output_tokens,
        try_cast(json_extract_string(attributes, '$.reasoning_token_count') as bigint) as reasoning_output_tokens,
        try_cast(json_extract_string(attributes, '$.tool_token_count') as bigint)      as tool_tokens,
        json_extract_string(attributes, '$."user.account_id"')                       as user_account_hash,
        user_email                                                                   as user_email_hash,
        coalesce(app_version, service_version)                                       as app_version,
        json_extract_string(resource_attributes, '$."analytics.machine"')            as machine
    from {{ source('raw', 'otlp_logs') }}
    where coalesce(event_name, otel_event_name, body, '') = 'codex.sse_event'
)

select
    event_id,
    event_at,
    event_date,
    session_id,
    model,
    coalesce(input_tokens, 0)            as input_tokens,
    coalesce(cached_input_tokens, 0)     as cached_input_tokens,
    coalesce(output_tokens, 0)           as output_tokens,
    coalesce(reasoning_output_tokens, 0) as reasoning_output_tokens,
    coalesce(tool_tokens, 0)             as tool_tokens,
    user_account_hash,
    user_email_hash,
    app_version,
    machine
from events
where event_kind = 'response.completed'
  and coalesce(input_tokens, 0) + coalesce(output_tokens, 0) > 0
