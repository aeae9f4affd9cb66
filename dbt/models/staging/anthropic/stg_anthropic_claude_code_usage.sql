-- The organization's Claude Code report, one row per actor and day (its terminals summed). An actor is a user
-- (email, hashed unless names are kept) or an API key (by its name, which is not a person's).
select
    usage_day                                                                  as activity_date,
    actor_type,
    user_email                                                                 as user_email_hash,
    api_key_name,
    min(customer_type)                                                         as customer_type,
    sum(sessions)                                                              as sessions,
    sum(lines_added)                                                           as lines_added,
    sum(lines_removed)                                                         as lines_removed,
    sum(commits)                                                               as commits,
    sum(pull_requests)                                                         as pull_requests,
    sum(edit_tool_accepted + multi_edit_tool_accepted + write_tool_accepted + notebook_edit_tool_accepted) as tool_accepts,
    sum(edit_tool_rejected + multi_edit_tool_rejected + write_tool_rejected + notebook_edit_tool_rejected) as tool_rejects
from {{ source('raw_anthropic', 'anthropic_claude_code_usage') }}
group by all
