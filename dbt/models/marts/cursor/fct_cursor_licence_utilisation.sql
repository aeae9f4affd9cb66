-- Cursor seats per member snapshot day and team: members (not removed), active in the last 7 / 28 days (a day of
-- Cursor's daily usage marked active), never used, inactive seats and what they cost per month at the configured
-- seat price (var cursor_seat_price_usd, from cursor.seat_price_usd), and the billing cycle's spend beside them.
{% set price = var('cursor_seat_price_usd', 40) %}
with identities as (
    select * from {{ source('raw_transcripts', 'developer_identities') }} where identity_kind = 'email'
),

seats as (
    select
        m.snapshot_day,
        m.user_email_hash,
        coalesce(i.team, 'unassigned')                                             as team,
        (select max(a.activity_date) from {{ ref('stg_cursor_daily_usage') }} a
          where a.user_email_hash = m.user_email_hash and a.is_active and a.activity_date <= m.snapshot_day) as last_active_date,
        s.spend_usd
    from {{ ref('stg_cursor_members') }} m
    left join identities i on i.identity = m.user_email_hash
    left join {{ ref('stg_cursor_spend') }} s on s.snapshot_day = m.snapshot_day and s.user_email_hash = m.user_email_hash
    where not m.is_removed
)

select
    snapshot_day,
    team,
    count(*)                                                                               as seats_assigned,
    count(*) filter (where last_active_date > snapshot_day - interval 7 day)               as active_7d,
    count(*) filter (where last_active_date > snapshot_day - interval 28 day)              as active_28d,
    count(*) filter (where last_active_date is null)                                       as never_used,
    count(*) filter (where last_active_date is null
                        or last_active_date <= snapshot_day - interval 28 day)             as inactive_28d,
    (count(*) filter (where last_active_date > snapshot_day - interval 28 day))::double
        / nullif(count(*), 0)                                                              as utilisation_28d,
    {{ price }}::double                                                                    as seat_price_usd,
    count(*) * {{ price }}::double                                                         as monthly_seat_cost_usd,
    (count(*) filter (where last_active_date is null
                         or last_active_date <= snapshot_day - interval 28 day)) * {{ price }}::double as inactive_monthly_cost_usd,
    coalesce(sum(spend_usd), 0)                                                            as cycle_spend_usd
from seats
group by 1, 2
