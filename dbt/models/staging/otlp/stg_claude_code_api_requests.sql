-- One row per model API request Claude Code reported (claude_code.api_request), with the cost
-- it reported itself; computed cost from the price table comes with the transcripts issue.
select
    event_id,
    event_at,
    event_date,
    session_id,
    user_account_hash,
    user_email_hash,
    organization_id,
    terminal_type,
    app_version,
    model,
    request_id,
    coalesce(input_tokens, 0)          as input_tokens,
    coalesce(output_tokens, 0)         as output_tokens,
    coalesce(cache_read_tokens, 0)     as cache_read_tokens,
    coalesce(cache_creation_tokens, 0) as cache_creation_tokens,
    cost_usd                           as reported_cost_usd,
    duration_ms,
    machine
from {{ ref('stg_claude_code_events') }}
where event_type = 'api_request'
