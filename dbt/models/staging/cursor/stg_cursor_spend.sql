select snapshot_day, cycle_start, user_email as user_email_hash, spend_cents / 100.0 as spend_usd, fast_premium_requests
from {{ source('raw_cursor', 'cursor_spend') }}
