-- Cost of every request, computed once, here.
--
-- Matching: a request's model is matched to a price by, in order: the exact price key; the
-- regional name (provider paths such as `converse/`, -v1:0 and @date suffixes removed, the region
-- kept: a regional endpoint's premium is not lost); the normalized name (regions and makers'
-- prefixes removed too, version dots written as dashes); the model family (normalized, date suffix
-- removed). Overrides win over the table; the model maker's own listing wins over resellers'. The
-- matched key is kept (price_key, price_match) for audit.
--
-- Long-context rule (Anthropic's): when a request's whole prompt (input + cache read + cache
-- creation) exceeds the model's tier threshold (200k; 272k for GPT-5), every component of that
-- request is charged at the above-tier price. ccusage instead applies the threshold to each token
-- type separately (only the tokens of a type beyond 200k cost more); the two agree whenever no
-- prompt is over the threshold.
--
-- Cache creation: 5-minute writes at the cache-creation price, 1-hour writes at the 1-hour price
-- when the transcript splits them; missing cache prices fall back to the input price.
with requests as (
    select * from {{ ref('int_agent_requests') }}
),

prices as (
    select * from {{ ref('int_model_prices') }}
),

models as (
    select distinct model from requests where model is not null
),

candidates as (
    select m.model, p.*, 0 as match_rank, 'exact' as price_match
    from models m join prices p on lower(p.price_key) = lower(m.model)
    union all
    select m.model, p.*, 1 as match_rank, 'regional' as price_match
    from models m join prices p on p.model_regional = {{ normalize_model_name('m.model', regional=true) }}
    union all
    select m.model, p.*, 2 as match_rank, 'normalized' as price_match
    from models m join prices p on p.model_norm = {{ normalize_model_name('m.model') }}
    union all
    select m.model, p.*, 3 as match_rank, 'family' as price_match
    from models m join prices p on p.model_family = {{ normalize_model_name('m.model', strip_date=true) }}
),

best as (
    select * from (
        select
            *,
            row_number() over (partition by model order by source_rank, match_rank, provider_rank, is_provider_path, price_key) as pick
        from candidates
    ) ranked
    where pick = 1
),

joined as (
    select
        r.*,
        b.price_key,
        b.price_match,
        b.source_rank = 0 as price_is_override,
        b.table_date       as price_table_date,
        b.tier_threshold_tokens,
        b.input_cost_per_token,
        b.output_cost_per_token,
        b.cache_read_cost_per_token,
        b.cache_creation_cost_per_token,
        b.cache_creation_1h_cost_per_token,
        b.input_cost_per_token_above_tier,
        b.output_cost_per_token_above_tier,
        b.cache_read_cost_per_token_above_tier,
        b.cache_creation_cost_per_token_above_tier,
        b.cache_creation_1h_cost_per_token_above_tier,
        b.tier_threshold_tokens is not null
            and r.input_tokens + r.cache_read_tokens + r.cache_creation_tokens > b.tier_threshold_tokens as is_long_context
    from requests r
    left join best b on b.model = r.model
),

rates as (
    select
        *,
        case when is_long_context then coalesce(input_cost_per_token_above_tier, input_cost_per_token)
             else input_cost_per_token end                                                     as rate_input,
        case when is_long_context then coalesce(output_cost_per_token_above_tier, output_cost_per_token)
             else output_cost_per_token end                                                    as rate_output,
        case when is_long_context then coalesce(cache_read_cost_per_token_above_tier, cache_read_cost_per_token, input_cost_per_token_above_tier, input_cost_per_token)
             else coalesce(cache_read_cost_per_token, input_cost_per_token) end               as rate_cache_read,
        case when is_long_context then coalesce(cache_creation_cost_per_token_above_tier, cache_creation_cost_per_token, input_cost_per_token_above_tier, input_cost_per_token)
             else coalesce(cache_creation_cost_per_token, input_cost_per_token) end           as rate_cache_creation,
        case when is_long_context then coalesce(cache_creation_1h_cost_per_token_above_tier, cache_creation_1h_cost_per_token, cache_creation_cost_per_token_above_tier, cache_creation_cost_per_token, input_cost_per_token)
             else coalesce(cache_creation_1h_cost_per_token, cache_creation_cost_per_token, input_cost_per_token) end as rate_cache_creation_1h
    from joined
),

costs as (
    select
        *,
        input_tokens * rate_input                                                  as cost_input_usd,
        output_tokens * rate_output                                                as cost_output_usd,
        cache_read_tokens * rate_cache_read                                        as cost_cache_read_usd,
        case
            when cache_creation_5m_tokens is not null or cache_creation_1h_tokens is not null
                then coalesce(cache_creation_5m_tokens, 0) * rate_cache_creation
                   + coalesce(cache_creation_1h_tokens, 0) * rate_cache_creation_1h
                   -- any creation the split does not account for is charged at the 5-minute price
                   + greatest(cache_creation_tokens - coalesce(cache_creation_5m_tokens, 0) - coalesce(cache_creation_1h_tokens, 0), 0) * rate_cache_creation
            else cache_creation_tokens * rate_cache_creation
        end                                                                        as cost_cache_creation_usd
    from rates
)

select
    request_key,
    agent,
    source,
    message_id,
    request_id,
    session_id,
    model,
    -- Fast mode is priced at a premium the price table does not list: it is priced at standard
    -- rates here and flagged; the agent's reported cost is kept beside it.
    speed,
    event_at,
    event_date,
    input_tokens,
    output_tokens,
    cache_read_tokens,
    cache_creation_tokens,
    cache_creation_5m_tokens,
    cache_creation_1h_tokens,
    reasoning_output_tokens,
    input_tokens + output_tokens + cache_read_tokens + cache_creation_tokens  as total_tokens,
    project,
    git_branch,
    -- (cwd stays in the intermediate layer: a home path names its user; the marts keep the repository)
    repo_id,
    repository,
    repository_rule,
    ticket,
    machine,
    user_account_hash,
    user_email_hash,
    developer_key,
    team,
    is_sidechain,
    seen_in_telemetry,
    price_key,
    price_match,
    price_is_override,
    price_table_date,
    is_long_context,
    cost_input_usd,
    cost_output_usd,
    cost_cache_read_usd,
    cost_cache_creation_usd,
    case when price_key is not null
         then cost_input_usd + cost_output_usd + cost_cache_read_usd + cost_cache_creation_usd end as computed_cost_usd,
    reported_cost_usd,
    -- The cost metric: computed from list prices when the model is priced, else what the agent
    -- reported; a request with neither is 'unpriced' (never a silent $0).
    coalesce(
        case when price_key is not null
             then cost_input_usd + cost_output_usd + cost_cache_read_usd + cost_cache_creation_usd end,
        reported_cost_usd
    )                                                                         as cost_usd,
    case when price_key is not null then 'priced'
         when reported_cost_usd is not null then 'reported_only'
         else 'unpriced' end                                                  as pricing_status
from costs
