-- One row per distinct command (keyed by its hash).
select
    command_hash,
    min(command)          as command,
    min(command_type)     as command_type,
    count(distinct command_type) as command_type_count,
    min(started_at)       as first_seen_at,
    max(started_at)       as last_seen_at,
    count(*)              as instances
from {{ ref('stg_zen_spans') }}
group by command_hash
