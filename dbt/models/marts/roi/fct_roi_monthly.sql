-- Per month and agent (and 'all'): what the agent cost, who used it against the seats paid for,
-- what it cost per commit, and the ROI estimate
--     (agent-assisted commits × hours saved per assisted commit × hourly rate) − tool cost
-- with both inputs (vars roi_hours_saved_per_assisted_commit, roi_hourly_rate_usd, from roi: in
-- analytics.yaml) shown as columns next to the result. Copilot's tool cost is its seats (latest
-- snapshot of the month × seat price); the others' is their token cost.
{% set hours = var('roi_hours_saved_per_assisted_commit', 0.5) %}
{% set rate = var('roi_hourly_rate_usd', 80) %}
with usage as (
    select
        cast({{ dbt.date_trunc('month', 'event_date') }} as date)     as month,
        agent,
        sum(cost_usd)                                                  as token_cost_usd,
        sum(total_tokens)                                              as tokens,
        count(distinct developer_key)                                  as active_users
    from {{ ref('fct_agent_requests') }}
    where event_date is not null
    group by 1, 2
),

copilot_users as (
    select cast({{ dbt.date_trunc('month', 'report_day') }} as date) as month, 'copilot' as agent,
           count(distinct user_key) as active_users
    from {{ ref('stg_copilot_user_daily') }}
    group by 1, 2
),

seats as (
    select cast({{ dbt.date_trunc('month', 'snapshot_day') }} as date) as month, 'copilot' as agent,
           sum(seats_assigned) as seats, sum(monthly_seat_cost_usd) as seat_cost_usd, sum(active_28d) as seats_active_28d
    from {{ ref('fct_license_utilisation') }}
    where snapshot_day in (select max(snapshot_day) from {{ ref('fct_license_utilisation') }}
                           group by cast({{ dbt.date_trunc('month', 'snapshot_day') }} as date))
    group by 1, 2
),

commits as (
    select cast({{ dbt.date_trunc('month', 'commit_date') }} as date) as month,
           count(*) filter (where not is_merge)                                        as commits
    from {{ ref('fct_git_commits') }}
    group by 1
),

assisted as (
    select cast({{ dbt.date_trunc('month', 'commit_date') }} as date) as month, agent,
           count(*) filter (where not is_merge and is_agent_assisted)                  as assisted_commits
    from {{ ref('fct_git_commits') }}
    where agent is not null
    group by 1, 2
),

-- Every (month, agent) that cost something, had users or seats, or helped write a commit.
months_agents as (
    select month, agent from usage
    union select month, agent from copilot_users
    union select month, agent from seats
    union select month, agent from assisted
),

per_agent as (
    select
        m.month,
        m.agent,
        coalesce(u.token_cost_usd, 0)                                  as token_cost_usd,
        coalesce(s.seat_cost_usd, 0)                                   as seat_cost_usd,
        coalesce(u.tokens, 0)                                          as tokens,
        coalesce(u.active_users, c.active_users, 0)                    as active_users,
        s.seats,
        s.seats_active_28d
    from months_agents m
    left join usage u on u.month = m.month and u.agent = m.agent
    left join copilot_users c on c.month = m.month and c.agent = m.agent
    left join seats s on s.month = m.month and s.agent = m.agent
),

with_all as (
    select * from per_agent
    union all
    select month, 'all', sum(token_cost_usd), sum(seat_cost_usd), sum(tokens), null, sum(seats), sum(seats_active_28d)
    from per_agent group by month
),

assisted_with_all as (
    select month, agent, assisted_commits from assisted
    union all
    select month, 'all', sum(assisted_commits) from assisted group by month
),

joined as (
    select
        a.*,
        a.token_cost_usd + a.seat_cost_usd                             as tool_cost_usd,
        coalesce(c.commits, 0)                                         as commits,
        coalesce(s.assisted_commits, 0)                                as assisted_commits
    from with_all a
    left join commits c on c.month = a.month
    left join assisted_with_all s on s.month = a.month and s.agent = a.agent
)

select
    month,
    agent,
    tool_cost_usd,
    token_cost_usd,
    seat_cost_usd,
    tokens,
    active_users,
    seats,
    seats_active_28d,
    active_users::double / nullif(seats, 0)                            as licence_utilisation,
    commits,
    assisted_commits,
    tool_cost_usd / nullif(commits, 0)                                 as cost_per_commit_usd,
    tool_cost_usd / nullif(assisted_commits, 0)                        as cost_per_assisted_commit_usd,
    tokens::double / nullif(commits, 0)                                as tokens_per_commit,
    {{ hours }}::double                                                as hours_saved_per_assisted_commit,
    {{ rate }}::double                                                 as hourly_rate_usd,
    assisted_commits * {{ hours }}::double                             as estimated_hours_saved,
    assisted_commits * {{ hours }}::double * {{ rate }}::double - tool_cost_usd as roi_usd
from joined
