-- Copilot usage by day × org/enterprise × breakdown (IDE, feature, language, model).
-- Active users come with the 'total' rows (GitHub reports them per day, not per breakdown);
-- engaged users = users of that day with an interaction or an accepted suggestion, from the users report.
-- Filter one breakdown before summing: every breakdown splits the same day.
-- Daily partitions (tag 'daily'): a run rebuilds only the days Dagster asks for (macros/daily_window.sql).
{{ config(materialized='incremental', incremental_strategy='append', tags=['daily'],
          pre_hook="{{ delete_daily_window('report_day') }}") }}
with engaged as (
    select
        report_day,
        scope_name,
        count(*) filter (where user_initiated_interaction_count > 0 or code_acceptance_activity_count > 0) as engaged_users,
        count(*) filter (where used_agent)                                                             as agent_users,
        count(*) filter (where used_chat)                                                              as chat_users,
        count(*) filter (where used_cli)                                                               as cli_users
    from {{ ref('stg_copilot_user_daily') }}
    where {{ in_daily_window('report_day') }}
    group by 1, 2
)

select
    u.report_day,
    u.scope,
    u.scope_name,
    u.breakdown,
    u.ide,
    u.feature,
    u.language,
    u.model,
    u.daily_active_users,
    u.weekly_active_users,
    u.monthly_active_users,
    case when u.breakdown = 'total' then e.engaged_users end      as engaged_users,
    case when u.breakdown = 'total' then e.agent_users end        as agent_users,
    case when u.breakdown = 'total' then e.chat_users end         as chat_users,
    case when u.breakdown = 'total' then e.cli_users end          as cli_users,
    u.user_initiated_interaction_count                            as interactions,
    u.code_generation_activity_count                              as code_generations,
    u.code_acceptance_activity_count                              as code_acceptances,
    u.loc_suggested_to_add_sum                                    as lines_suggested,
    u.loc_suggested_to_delete_sum                                 as lines_suggested_to_delete,
    u.loc_added_sum                                               as lines_added,
    u.loc_deleted_sum                                             as lines_deleted,
    u.code_acceptance_activity_count::double
        / nullif(u.code_generation_activity_count, 0)             as acceptance_rate,
    u.pr_total_created                                            as pull_requests_created,
    u.pr_total_created_by_copilot                                 as pull_requests_created_by_copilot,
    u.pr_total_reviewed_by_copilot                                as pull_requests_reviewed_by_copilot
from {{ ref('stg_copilot_usage') }} u
left join engaged e on e.report_day = u.report_day and e.scope_name = u.scope_name
where {{ in_daily_window('u.report_day') }}
