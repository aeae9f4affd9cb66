-- Claude Code log events (OTel logs exporter). The event name arrives as the `event.name`
-- attribute ("api_request") and/or as the body ("claude_code.api_request"): both are accepted.
select
    record_key                                              as event_id,
    replace(coalesce(event_name, otel_event_name, body), 'claude_code.', '') as event_type,
    time                                                    as event_at,
    event_date,
    session_id,
    user_account_uuid                                       as user_account_hash,
    user_email                                              as user_email_hash,
    user_id                                                 as user_id_hash,
    organization_id,
    terminal_type,
    coalesce(app_version, service_version)                  as app_version,
    model,
    cost_usd,
    duration_ms,
    input_tokens,
    output_tokens,
    cache_read_tokens,
    cache_creation_tokens,
    request_id,
    tool_name,
    success,
    decision,
    decision_source,
    error,
    status_code,
    attempt,
    prompt_length,
    -- the machine the receiver's per-machine token named (not what the client said)
    json_extract_string(resource_attributes, '$."analytics.machine"') as machine,
    source_file
from {{ source('raw', 'otlp_logs') }}
where coalesce(service_name, '') = 'claude-code'
   or coalesce(event_name, otel_event_name, body, '') like 'claude_code.%'
   or scope_name like 'com.anthropic.claude_code%'
