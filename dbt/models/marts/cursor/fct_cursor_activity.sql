-- Cursor activity per day and developer (Cursor's daily usage, beside Copilot's): lines written and accepted,
-- the acceptance rates of suggestions and of Tab, requests by kind and by how they were paid for.
with identities as (
    select * from {{ source('raw_transcripts', 'developer_identities') }} where identity_kind = 'email'
)
select
    d.activity_date,
    coalesce(i.developer_key, d.user_email_hash)                                   as developer_key,
    coalesce(i.team, 'unassigned')                                                 as team,
    d.is_active,
    d.total_lines_added,
    d.total_lines_deleted,
    d.accepted_lines_added,
    d.accepted_lines_deleted,
    d.total_applies,
    d.total_accepts,
    d.total_rejects,
    d.total_accepts::double / nullif(d.total_accepts + d.total_rejects, 0)         as acceptance_rate,
    d.total_tabs_shown,
    d.total_tabs_accepted,
    d.total_tabs_accepted::double / nullif(d.total_tabs_shown, 0)                 as tab_acceptance_rate,
    d.composer_requests,
    d.chat_requests,
    d.agent_requests,
    d.cmdk_usages,
    d.composer_requests + d.chat_requests + d.agent_requests + d.cmdk_usages       as requests,
    d.subscription_included_reqs,
    d.usage_based_reqs,
    d.api_key_reqs,
    d.most_used_model,
    d.client_version
from {{ ref('stg_cursor_daily_usage') }} d
left join identities i on i.identity = d.user_email_hash
