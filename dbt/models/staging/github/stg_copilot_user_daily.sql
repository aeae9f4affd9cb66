-- One row per Copilot user and day (window reports, which have no per-day figures, are left out).
-- user_login is the keyed hash of the login unless privacy.keep_names.
select
    report_day,
    scope,
    scope_name,
    user_login                                  as user_key,
    user_initiated_interaction_count,
    code_generation_activity_count,
    code_acceptance_activity_count,
    loc_suggested_to_add_sum,
    loc_added_sum,
    loc_deleted_sum,
    coalesce(used_agent, false)                 as used_agent,
    coalesce(used_chat, false)                  as used_chat,
    coalesce(used_cli, false)                   as used_cli,
    coalesce(used_copilot_coding_agent, used_copilot_cloud_agent, false) as used_coding_agent,
    ai_credits_used,
    features_used,
    ides_used,
    models_used
from {{ source('raw_github', 'copilot_user_usage') }}
where window_days = 1
