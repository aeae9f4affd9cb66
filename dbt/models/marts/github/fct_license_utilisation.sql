-- Copilot licence utilisation per seat snapshot day, org/enterprise and assigning team:
-- seats assigned, active in the last 7 / 28 days (by the seat's last activity), never used, and
-- what the seats inactive for 28+ days cost per month at the configured seat price
-- (var copilot_seat_price_usd, from copilot.seat_price_usd in analytics.yaml).
{% set price = var('copilot_seat_price_usd', 19) %}
select
    snapshot_day,
    scope,
    scope_name,
    assigning_team,
    count(*)                                                                              as seats_assigned,
    count(*) filter (where last_activity_at >= snapshot_day - interval 7 day)             as active_7d,
    count(*) filter (where last_activity_at >= snapshot_day - interval 28 day)            as active_28d,
    count(*) filter (where last_activity_at is null)                                      as never_used,
    count(*) filter (where last_activity_at is null
                        or last_activity_at < snapshot_day - interval 28 day)             as inactive_28d,
    count(*) filter (where pending_cancellation_date is not null)                         as pending_cancellation,
    (count(*) filter (where last_activity_at >= snapshot_day - interval 28 day))::double
        / nullif(count(*), 0)                                                             as utilisation_28d,
    {{ price }}::double                                                                   as seat_price_usd,
    count(*) * {{ price }}::double                                                        as monthly_seat_cost_usd,
    (count(*) filter (where last_activity_at is null
                         or last_activity_at < snapshot_day - interval 28 day)) * {{ price }}::double as inactive_monthly_cost_usd
from {{ ref('stg_copilot_seats') }}
group by 1, 2, 3, 4
