-- One row per GitHub Copilot CLI model call sent as OTLP spans to the receiver (service.name `github-copilot`,
-- GitHub's OpenTelemetry reference): its `chat <model>` spans carry the GenAI conventions' usage — input (cache
-- reads included, split out here), output (reasoning included, as OpenAI counts a completion), cache read and
-- cache write. A trace with no chat span is counted from its `invoke_agent` summary span, the order
-- stg_copilot_cli_usage keeps for the file export (chat before the summary). The machine is the one the receiver's
-- per-machine token named.
with spans as (
    select
        record_key                                                                                   as call_id,
        trace_id,
        end_time                                                                                     as event_at,
        cast(end_time as date)                                                                       as event_date,
        coalesce(json_extract_string(attributes, '$."gen_ai.operation.name"'),
                 case when span_name like 'chat %' then 'chat' when span_name like 'invoke_agent%' then 'invoke_agent' end) as operation,
        coalesce(json_extract_string(attributes, '$."gen_ai.conversation.id"'), session_id)          as session_id,
        coalesce(json_extract_string(attributes, '$."gen_ai.response.model"'),
                 json_extract_string(attributes, '$."gen_ai.request.model"'))                        as model,
        coalesce(try_cast(json_extract_string(attributes, '$."gen_ai.usage.input_tokens"') as bigint), 0)            as raw_input,
        coalesce(try_cast(json_extract_string(attributes, '$."gen_ai.usage.output_tokens"') as bigint), 0)           as output_tokens,
        coalesce(try_cast(json_extract_string(attributes, '$."gen_ai.usage.cache_read.input_tokens"') as bigint), 0) as cache_read_tokens,
        coalesce(try_cast(json_extract_string(attributes, '$."gen_ai.usage.cache_write.input_tokens"') as bigint),
                 try_cast(json_extract_string(attributes, '$."gen_ai.usage.cache_creation.input_tokens"') as bigint), 0) as cache_creation_tokens,
        coalesce(try_cast(json_extract_string(attributes, '$."gen_ai.usage.reasoning.output_tokens"') as bigint),
                 try_cast(json_extract_string(attributes, '$."gen_ai.usage.reasoning_tokens"') as bigint), 0) as reasoning_output_tokens,
        json_extract_string(resource_attributes, '$."analytics.machine"')                            as machine
    from {{ source('raw', 'otlp_spans') }}
    where coalesce(service_name, '') like 'github-copilot%'
),

calls as (
    select * from spans where operation in ('chat', 'invoke_agent')
      and raw_input + output_tokens + cache_read_tokens + cache_creation_tokens > 0
),

traces_with_chat as (
    select distinct trace_id from calls where operation = 'chat'
)

select
    call_id,
    trace_id,
    operation,
    event_at,
    event_date,
    session_id,
    model,
    raw_input - least(raw_input, cache_read_tokens) as input_tokens,
    output_tokens,
    cache_read_tokens,
    cache_creation_tokens,
    reasoning_output_tokens,
    machine
from calls
where operation = 'chat' or trace_id not in (select trace_id from traces_with_chat)
