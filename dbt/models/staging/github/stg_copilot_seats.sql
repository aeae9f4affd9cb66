-- Copilot seats per snapshot day; assignee_login is hashed unless privacy.keep_names.
select
    snapshot_day,
    scope,
    scope_name,
    assignee_login                              as user_key,
    assignee_type,
    coalesce(assigning_team, 'unassigned')      as assigning_team,
    plan_type,
    created_at,
    pending_cancellation_date,
    last_activity_at,
    last_activity_editor
from {{ source('raw_github', 'copilot_seats') }}
