-- Claude Code per day and developer: what the organization's Anthropic report says (sessions, lines, commits, pull
-- requests, tool decisions, tokens, Anthropic's estimated cost) beside what we saw of it request by request
-- (transcripts and telemetry, fct_agent_requests), and the difference. The two are never summed: the report is the
-- organization's total, our requests are the part its machines collected. A positive difference is usage we did not
-- collect (a machine that pushes nothing, a teammate without the OTel export, an API key used by automation); a
-- negative one is usage the report does not cover (a personal account, another organization's key).
-- An API key's usage is its own row (developer_key 'api key: <name>'): it is not a person's.
with identities as (
    select * from {{ source('raw_transcripts', 'developer_identities') }} where identity_kind = 'email'
),

org_tokens as (
    select
        activity_date, actor_type, user_email_hash, api_key_name,
        sum(input_tokens)                                                   as input_tokens,
        sum(output_tokens)                                                  as output_tokens,
        sum(cache_read_tokens)                                              as cache_read_tokens,
        sum(cache_creation_tokens)                                          as cache_creation_tokens,
        sum(estimated_cost_usd)                                             as estimated_cost_usd
    from {{ ref('stg_anthropic_claude_code_models') }}
    group by 1, 2, 3, 4
),

org_actors as (
    select
        u.activity_date,
        case when u.actor_type = 'api_key' then 'api key: ' || u.api_key_name
             else coalesce(i.developer_key, u.user_email_hash) end          as developer_key,
        case when u.actor_type = 'api_key' then 'unassigned'
             else coalesce(i.team, 'unassigned') end                        as team,
        u.actor_type,
        u.sessions, u.lines_added, u.lines_removed, u.commits, u.pull_requests, u.tool_accepts, u.tool_rejects,
        coalesce(t.input_tokens, 0) + coalesce(t.output_tokens, 0) + coalesce(t.cache_read_tokens, 0)
            + coalesce(t.cache_creation_tokens, 0)                          as total_tokens,
        t.input_tokens, t.output_tokens, t.cache_read_tokens, t.cache_creation_tokens,
        t.estimated_cost_usd
    from {{ ref('stg_anthropic_claude_code_usage') }} u
    left join org_tokens t
        on t.activity_date = u.activity_date and t.actor_type = u.actor_type
       and t.user_email_hash is not distinct from u.user_email_hash and t.api_key_name is not distinct from u.api_key_name
    left join identities i on u.actor_type = 'user' and i.identity = u.user_email_hash
),

org as (
    select
        activity_date, developer_key, min(team) as team, min(actor_type) as actor_type,
        sum(sessions) as sessions, sum(lines_added) as lines_added, sum(lines_removed) as lines_removed,
        sum(commits) as commits, sum(pull_requests) as pull_requests,
        sum(tool_accepts) as tool_accepts, sum(tool_rejects) as tool_rejects,
        sum(total_tokens) as total_tokens, sum(input_tokens) as input_tokens, sum(output_tokens) as output_tokens,
        sum(cache_read_tokens) as cache_read_tokens, sum(cache_creation_tokens) as cache_creation_tokens,
        sum(estimated_cost_usd) as estimated_cost_usd
    from org_actors
    group by 1, 2
),

seen as (
    select
        event_date                                                          as activity_date,
        developer_key,
        min(team)                                                           as team,
        count(*)                                                            as requests,
        count(distinct session_id)                                          as sessions,
        sum(total_tokens)                                                   as total_tokens,
        sum(cost_usd)                                                       as cost_usd
    from {{ ref('fct_agent_requests') }}
    where agent = 'claude_code'
    group by 1, 2
)

select
    coalesce(o.activity_date, s.activity_date)                              as activity_date,
    coalesce(o.developer_key, s.developer_key)                              as developer_key,
    coalesce(o.team, s.team, 'unassigned')                                  as team,
    coalesce(o.actor_type, 'user')                                          as actor_type,
    o.developer_key is not null                                             as in_org_report,
    s.developer_key is not null                                             as seen_here,
    coalesce(o.sessions, 0)                                                 as org_sessions,
    coalesce(o.lines_added, 0)                                              as org_lines_added,
    coalesce(o.lines_removed, 0)                                            as org_lines_removed,
    coalesce(o.commits, 0)                                                  as org_commits,
    coalesce(o.pull_requests, 0)                                            as org_pull_requests,
    coalesce(o.tool_accepts, 0)                                             as org_tool_accepts,
    coalesce(o.tool_rejects, 0)                                             as org_tool_rejects,
    o.tool_accepts::double / nullif(o.tool_accepts + o.tool_rejects, 0)     as org_tool_acceptance_rate,
    coalesce(o.input_tokens, 0)                                             as org_input_tokens,
    coalesce(o.output_tokens, 0)                                            as org_output_tokens,
    coalesce(o.cache_read_tokens, 0)                                        as org_cache_read_tokens,
    coalesce(o.cache_creation_tokens, 0)                                    as org_cache_creation_tokens,
    coalesce(o.total_tokens, 0)                                             as org_total_tokens,
    coalesce(o.estimated_cost_usd, 0)                                       as org_estimated_cost_usd,
    coalesce(s.requests, 0)                                                 as seen_requests,
    coalesce(s.sessions, 0)                                                 as seen_sessions,
    coalesce(s.total_tokens, 0)                                             as seen_total_tokens,
    coalesce(s.cost_usd, 0)                                                 as seen_cost_usd,
    coalesce(o.total_tokens, 0) - coalesce(s.total_tokens, 0)               as tokens_not_seen,
    coalesce(o.estimated_cost_usd, 0) - coalesce(s.cost_usd, 0)             as cost_not_seen_usd,
    s.total_tokens::double / nullif(o.total_tokens, 0)                      as seen_share_of_tokens
from org o
full outer join seen s on s.activity_date = o.activity_date and s.developer_key = o.developer_key
