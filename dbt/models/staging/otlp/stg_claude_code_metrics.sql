-- Claude Code metric points (claude_code.*). Delta temporality is Claude Code's default; the
-- temporality is kept so cumulative exporters can be differenced downstream.
select
    record_key                               as point_id,
    replace(metric_name, 'claude_code.', '') as metric,
    metric_type,
    temporality,
    is_monotonic,
    start_time,
    time                                     as observed_at,
    event_date,
    value,
    metric_unit                              as unit,
    session_id,
    user_account_uuid                        as user_account_hash,
    organization_id,
    model,
    type                                     as token_or_line_type,
    tool_name,
    decision,
    language
from {{ source('raw', 'otlp_metric_points') }}
where metric_name like 'claude_code.%'
