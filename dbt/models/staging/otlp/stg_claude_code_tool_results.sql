-- One row per tool execution Claude Code reported (claude_code.tool_result).
select
    event_id,
    event_at,
    event_date,
    session_id,
    user_account_hash,
    organization_id,
    app_version,
    tool_name,
    success,
    duration_ms,
    decision,
    decision_source,
    error
from {{ ref('stg_claude_code_events') }}
where event_type = 'tool_result'
