-- One row per Copilot user and day, linked to a configured developer through their login
-- (both sides hashed with the same key unless privacy.keep_names).
-- Daily partitions (tag 'daily'): a run rebuilds only the days Dagster asks for (macros/daily_window.sql).
{{ config(materialized='incremental', incremental_strategy='append', tags=['daily'],
          pre_hook="{{ delete_daily_window('report_day') }}") }}
with logins as (
    select identity as user_key, developer_key, team
    from {{ source('raw_transcripts', 'developer_identities') }}
    where identity_kind = 'login'
)

select
    d.report_day,
    d.scope,
    d.scope_name,
    d.user_key,
    l.developer_key,
    coalesce(l.team, 'unassigned')                                as team,
    d.used_agent,
    d.used_chat,
    d.used_cli,
    d.used_coding_agent,
    d.ai_credits_used,
    d.user_initiated_interaction_count                            as interactions,
    d.code_generation_activity_count                              as code_generations,
    d.code_acceptance_activity_count                              as code_acceptances,
    d.loc_suggested_to_add_sum                                    as lines_suggested,
    d.loc_added_sum                                               as lines_added,
    d.loc_deleted_sum                                             as lines_deleted,
    d.code_acceptance_activity_count::double
        / nullif(d.code_generation_activity_count, 0)             as acceptance_rate,
    d.features_used,
    d.ides_used,
    d.models_used
from {{ ref('stg_copilot_user_daily') }} d
left join logins l on l.user_key = d.user_key
where {{ in_daily_window('d.report_day') }}
