-- Cursor's requests with its own cost (cents) and tokens. Cursor names Claude models version first
-- (`claude-4.5-sonnet`, `claude-4-opus-thinking`); the price table names them family first
-- (`claude-sonnet-4-5`): rewritten so the list price applies (a thinking variant is priced as its model).
-- A request-priced call (isTokenBasedCall false) has no token counts: zeros here, flagged by has_tokens.
select
    event_id,
    usage_day                                                    as event_date,
    event_at,
    user_email                                                   as user_email_hash,
    model                                                        as cursor_model,
    regexp_replace(model, '^claude-([0-9.]+)-(opus|sonnet|haiku)(-thinking)?$', 'claude-\2-\1') as model,
    kind,
    max_mode,
    is_token_based                                               as has_tokens,
    is_chargeable,
    requests_costs,
    coalesce(input_tokens, 0)                                    as input_tokens,
    coalesce(output_tokens, 0)                                   as output_tokens,
    coalesce(cache_read_tokens, 0)                               as cache_read_tokens,
    coalesce(cache_write_tokens, 0)                              as cache_creation_tokens,
    total_cents / 100.0                                          as reported_cost_usd,
    charged_cents / 100.0                                        as charged_usd
from {{ source('raw_cursor', 'cursor_usage_events') }}
