-- The report's tokens and estimated cost per actor, day and model (its terminals summed). Anthropic states the cost
-- in minor units of `currency` (cents for USD); only USD is converted, another currency stays null in usd.
select
    usage_day                                                                  as activity_date,
    actor_type,
    user_email                                                                 as user_email_hash,
    api_key_name,
    model,
    sum(input_tokens)                                                          as input_tokens,
    sum(output_tokens)                                                         as output_tokens,
    sum(cache_read_tokens)                                                     as cache_read_tokens,
    sum(cache_creation_tokens)                                                 as cache_creation_tokens,
    sum(case when coalesce(currency, 'USD') = 'USD' then estimated_cost_minor / 100.0 end) as estimated_cost_usd
from {{ source('raw_anthropic', 'anthropic_claude_code_models') }}
group by all
