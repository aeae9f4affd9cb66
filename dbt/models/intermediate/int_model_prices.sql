-- Every price we know, overrides first, with the normalized names requests are matched on.
with prices as (
    select *, 0 as source_rank from {{ ref('model_price_overrides') }}
    union all
    select *, 1 as source_rank from {{ ref('model_prices') }}
)

select
    *,
    {{ normalize_model_name('price_key', regional=true) }}   as model_regional,
    {{ normalize_model_name('price_key') }}                  as model_norm,
    {{ normalize_model_name('price_key', strip_date=true) }} as model_family,
    -- The model maker's own listing before resellers' (Bedrock, Vertex, Azure, OpenRouter, ...).
    case when provider in ('anthropic', 'openai') then 0 else 1 end as provider_rank,
    -- Among resellers, a plain key before one under a provider path (`bedrock/us-gov-east-1/...`).
    price_key like '%/%' as is_provider_path
from prices
