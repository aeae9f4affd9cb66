-- Every agent request from every source, one row each, in one shape:
--   input_tokens = input not served from cache; cache_read_tokens = input served from cache
--   (Codex reports cached input inside input; it is split out here).
-- A Claude Code request seen both in a transcript and in OTel telemetry (same request id) is
-- counted once, from the transcript, and flagged seen_in_telemetry. Codex telemetry carries no id
-- a session file's turn has, so a Codex session (conversation id) is counted from its session file
-- when one arrived, else from telemetry: the file also says the project; telemetry fills the gap
-- for machines that export telemetry but push no files. Gemini CLI and Copilot CLI follow the same rule
-- (their saved chats / file export first, their telemetry through the receiver for the sessions with no file).
with claude_transcripts as (
    select
        'transcript:' || request_key      as request_key,
        'claude_code'                     as agent,
        'transcript'                      as source,
        message_id,
        request_id,
        session_id,
        model,
        speed,
        event_at,
        event_date,
        input_tokens,
        output_tokens,
        cache_read_tokens,
        cache_creation_tokens,
        cache_creation_5m_tokens,
        cache_creation_1h_tokens,
        cast(null as bigint)              as reasoning_output_tokens,
        reported_cost_usd,
        project,
        git_branch,
        machine,
        cast(null as varchar)             as user_account_hash,
        cast(null as varchar)             as user_email_hash,
        is_sidechain,
        cwd
    from {{ ref('stg_claude_requests') }}
),

-- Codex turns from session files and from telemetry, in one shape (see the header for which counts).
codex_file_sessions as (
    select distinct session_id from {{ ref('stg_codex_turns') }} where session_id is not null
),

codex_turns as (
    select 'codex:' || turn_key as request_key, 'transcript' as source, session_id, model, event_at, event_date,
           input_tokens, cached_input_tokens, output_tokens, reasoning_output_tokens,
           {{ project_from_path('cwd') }} as project, machine,
           cast(null as varchar) as user_account_hash, cast(null as varchar) as user_email_hash, false as seen_in_telemetry, cwd
    from {{ ref('stg_codex_turns') }}
    union all
    select 'otel:' || event_id, 'otel', session_id, model, event_at, event_date,
           input_tokens, cached_input_tokens, output_tokens, reasoning_output_tokens,
           cast(null as varchar), machine, user_account_hash, user_email_hash, true, cast(null as varchar)
    from {{ ref('stg_codex_telemetry_turns') }}
    where session_id is null or session_id not in (select session_id from codex_file_sessions)
),

codex as (
    select
        request_key,
        'codex'                           as agent,
        source,
        cast(null as varchar)             as message_id,
        cast(null as varchar)             as request_id,
        session_id,
        model,
        cast(null as varchar)             as speed,
        event_at,
        event_date,
        greatest(input_tokens - cached_input_tokens, 0) as input_tokens,
        output_tokens,
        cached_input_tokens               as cache_read_tokens,
        cast(0 as bigint)                 as cache_creation_tokens,
        cast(null as bigint)              as cache_creation_5m_tokens,
        cast(null as bigint)              as cache_creation_1h_tokens,
        reasoning_output_tokens,
        cast(null as double)              as reported_cost_usd,
        project,
        cast(null as varchar)             as git_branch,
        machine,
        user_account_hash,
        user_email_hash,
        false                             as is_sidechain,
        cwd,
        seen_in_telemetry
    from codex_turns
),

gemini as (
    select
        'gemini:' || request_key          as request_key,
        'gemini_cli'                      as agent,
        'transcript'                      as source,
        message_id,
        cast(null as varchar)             as request_id,
        session_id,
        model,
        cast(null as varchar)             as speed,
        event_at,
        event_date,
        input_tokens,
        output_tokens,
        cache_read_tokens,
        cast(0 as bigint)                 as cache_creation_tokens,
        cast(null as bigint)              as cache_creation_5m_tokens,
        cast(null as bigint)              as cache_creation_1h_tokens,
        reasoning_output_tokens,
        cast(null as double)              as reported_cost_usd,
        cast(null as varchar)             as project,
        cast(null as varchar)             as git_branch,
        machine,
        cast(null as varchar)             as user_account_hash,
        cast(null as varchar)             as user_email_hash,
        false                             as is_sidechain,
        cast(null as varchar)             as cwd,
        false                             as seen_in_telemetry
    from {{ ref('stg_gemini_messages') }}
    union all
    -- Gemini CLI's telemetry: a session counted from its saved chat when one arrived (the chat also says the
    -- project), else from telemetry (a machine that exports telemetry but pushes no files).
    select
        'otel:' || event_id, 'gemini_cli', 'otel', cast(null as varchar), cast(null as varchar), session_id, model,
        cast(null as varchar), event_at, event_date, input_tokens, output_tokens, cache_read_tokens, cast(0 as bigint),
        cast(null as bigint), cast(null as bigint), reasoning_output_tokens, cast(null as double), cast(null as varchar),
        cast(null as varchar), machine, cast(null as varchar), user_email_hash, false, cast(null as varchar), true
    from {{ ref('stg_gemini_telemetry_responses') }}
    where session_id is null or session_id not in (select session_id from {{ ref('stg_gemini_messages') }} where session_id is not null)
),

cursor as (
    select
        'cursor:' || event_id             as request_key,
        'cursor'                          as agent,
        'admin_api'                       as source,
        event_id                          as message_id,
        cast(null as varchar)             as request_id,
        cast(null as varchar)             as session_id,
        model,
        cast(null as varchar)             as speed,
        event_at,
        event_date,
        input_tokens,
        output_tokens,
        cache_read_tokens,
        cache_creation_tokens,
        cast(null as bigint)              as cache_creation_5m_tokens,
        cast(null as bigint)              as cache_creation_1h_tokens,
        cast(null as bigint)              as reasoning_output_tokens,
        reported_cost_usd,
        cast(null as varchar)             as project,
        cast(null as varchar)             as git_branch,
        cast(null as varchar)             as machine,
        cast(null as varchar)             as user_account_hash,
        user_email_hash,
        false                             as is_sidechain,
        cast(null as varchar)             as cwd,
        false                             as seen_in_telemetry
    from {{ ref('stg_cursor_usage_events') }}
),

opencode as (
    select
        'opencode:' || request_key        as request_key,
        'opencode'                        as agent,
        'transcript'                      as source,
        message_id,
        cast(null as varchar)             as request_id,
        session_id,
        model,
        cast(null as varchar)             as speed,
        event_at,
        event_date,
        input_tokens,
        output_tokens,
        cache_read_tokens,
        cache_creation_tokens,
        cast(null as bigint)              as cache_creation_5m_tokens,
        cast(null as bigint)              as cache_creation_1h_tokens,
        reasoning_output_tokens,
        reported_cost_usd,
        {{ project_from_path('cwd') }}    as project,
        cast(null as varchar)             as git_branch,
        machine,
        cast(null as varchar)             as user_account_hash,
        cast(null as varchar)             as user_email_hash,
        false                             as is_sidechain,
        cwd,
        false                             as seen_in_telemetry
    from {{ ref('stg_opencode_messages') }}
),

copilot_cli as (
    select
        'copilot_cli:' || request_key     as request_key,
        'copilot_cli'                     as agent,
        'otel_file'                       as source,
        cast(null as varchar)             as message_id,
        cast(null as varchar)             as request_id,
        session_id,
        model,
        cast(null as varchar)             as speed,
        event_at,
        event_date,
        input_tokens,
        output_tokens,
        cache_read_tokens,
        cache_creation_tokens,
        cast(null as bigint)              as cache_creation_5m_tokens,
        cast(null as bigint)              as cache_creation_1h_tokens,
        reasoning_output_tokens,
        cast(null as double)              as reported_cost_usd,
        cast(null as varchar)             as project,
        cast(null as varchar)             as git_branch,
        machine,
        cast(null as varchar)             as user_account_hash,
        cast(null as varchar)             as user_email_hash,
        false                             as is_sidechain,
        cast(null as varchar)             as cwd,
        false                             as seen_in_telemetry
    from {{ ref('stg_copilot_cli_usage') }}
    union all
    -- Copilot CLI's OTLP spans sent to the receiver: a session counted from its file export when one arrived.
    select
        'otel:' || call_id, 'copilot_cli', 'otel', cast(null as varchar), cast(null as varchar), session_id, model,
        cast(null as varchar), event_at, event_date, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens,
        cast(null as bigint), cast(null as bigint), reasoning_output_tokens, cast(null as double), cast(null as varchar),
        cast(null as varchar), machine, cast(null as varchar), cast(null as varchar), false, cast(null as varchar), true
    from {{ ref('stg_copilot_cli_telemetry_calls') }}
    where session_id is null or session_id not in (select session_id from {{ ref('stg_copilot_cli_usage') }} where session_id is not null)
),

claude_telemetry as (
    select
        'otel:' || event_id               as request_key,
        'claude_code'                     as agent,
        'otel'                            as source,
        cast(null as varchar)             as message_id,
        request_id,
        session_id,
        model,
        cast(null as varchar)             as speed,
        event_at,
        event_date,
        input_tokens,
        output_tokens,
        cache_read_tokens,
        cache_creation_tokens,
        cast(null as bigint)              as cache_creation_5m_tokens,
        cast(null as bigint)              as cache_creation_1h_tokens,
        cast(null as bigint)              as reasoning_output_tokens,
        reported_cost_usd,
        cast(null as varchar)             as project,
        cast(null as varchar)             as git_branch,
        machine,
        user_account_hash,
        user_email_hash,
        false                             as is_sidechain,
        cast(null as varchar)             as cwd
    from {{ ref('stg_claude_code_api_requests') }}
),

telemetry_ids as (
    select distinct request_id from claude_telemetry where request_id is not null
),

transcript_ids as (
    select distinct request_id from claude_transcripts where request_id is not null
),

unioned as (
    select t.*, (i.request_id is not null) as seen_in_telemetry
    from claude_transcripts t
    left join telemetry_ids i on i.request_id = t.request_id
    union all
    select * from codex
    union all
    select * from gemini
    union all
    select * from opencode
    union all
    select * from copilot_cli
    union all
    select * from cursor
    union all
    select o.*, true as seen_in_telemetry
    from claude_telemetry o
    where o.request_id is null or o.request_id not in (select request_id from transcript_ids)
),

identities as (
    select * from {{ source('raw_transcripts', 'developer_identities') }}
),

folders as (
    select * from {{ ref('stg_repo_folders') }}
)

-- One developer across sources: a transcript's machine, a telemetry event's account or email,
-- resolved through the project config's developers; unknown identities stay their own developer (an
-- account, else a machine, else an email: Cursor's requests carry only the email).
-- The repository of a request is its working folder's (each request its own: a session's cwd may change):
--   git_remote   — the folder is in a clone whose remote is repo_id (host/owner/name);
--   git_toplevel — in a repository with no remote: its top level's folder name;
--   folder_name  — not resolved (the folder was not seen by git: no push map, not on this disk) or not a
--                  repository: the last folder of cwd, today's rule, flagged so.
-- A ticket is the first match of var('ticket_pattern') in the branch name.
select
    u.*,
    coalesce(m.developer_key, a.developer_key, e.developer_key, u.user_account_hash, u.machine, u.user_email_hash, 'unknown') as developer_key,
    coalesce(m.team, a.team, e.team, 'unassigned')                                                        as team,
    f.repo_id,
    coalesce(f.repo_name, u.project)                                                                      as repository,
    case when f.repo_id is not null then 'git_remote'
         when f.is_repository then 'git_toplevel'
         when u.project is not null then 'folder_name' end                                                as repository_rule,
    {{ ticket_from_branch('u.git_branch') }} as ticket
from unioned u
left join folders f on f.machine = u.machine and f.cwd = u.cwd
left join identities m on m.identity_kind = 'machine' and m.identity = u.machine
left join identities a on a.identity_kind = 'account' and a.identity = u.user_account_hash
left join identities e on e.identity_kind = 'email' and e.identity = u.user_email_hash
