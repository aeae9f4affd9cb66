-- Agent-assisted commits, with their evidence and a confidence level:
--   trailer  — the commit says so (Co-Authored-By: Claude / Copilot / Codex ..., Claude-Session:): high;
--   session  — an agent session of the same developer on the same repository (transcript project =
--              repository folder) made a request within var('session_window_minutes') before the
--              commit was authored: medium within 30 minutes, low beyond.
-- Merges are attributed only by trailer (a merge is not new work).
{% set window = var('session_window_minutes', 120) %}
with identities as (
    select identity, developer_key, team
    from {{ source('raw_transcripts', 'developer_identities') }}
    where identity_kind = 'email'
),

commits as (
    select
        c.*,
        coalesce(i.developer_key, c.author_email_hash, 'unknown')   as developer_key,
        coalesce(i.team, 'unassigned')                              as team
    from {{ ref('stg_git_commits') }} c
    left join identities i on i.identity = c.author_email_hash
),

requests as (
    select agent, session_id, developer_key, lower(project) as project, event_at
    from {{ ref('int_agent_requests') }}
    where project is not null and developer_key is not null
),

-- The latest agent request before each commit, within the window, same developer and repository.
nearest as (
    select
        c.commit_key,
        r.agent,
        r.session_id,
        r.event_at                                                  as session_event_at,
        {{ dbt.datediff('r.event_at', 'c.authored_at', 'second') }} / 60.0 as minutes_since_session
    from commits c
    join requests r
      on r.developer_key = c.developer_key
     and r.project = lower(c.repo)
     and r.event_at <= c.authored_at
     and r.event_at >= c.authored_at - interval {{ window }} minute
    where not c.is_merge
    qualify row_number() over (partition by c.commit_key order by r.event_at desc) = 1
),

-- A Claude-Session trailer names the session itself.
named_session as (
    select c.commit_key, min(r.event_at) as first_event_at
    from commits c
    join requests r on r.session_id = c.claude_session_id
    group by 1
)

select
    c.commit_key,
    c.repo,
    c.sha,
    c.developer_key,
    c.team,
    c.authored_at,
    c.committed_at,
    c.commit_date,
    c.branch,
    c.is_merge,
    c.files_changed,
    c.lines_added,
    c.lines_deleted,
    c.origin,
    c.agent_trailer,
    c.claude_session_id,
    n.agent                                                         as session_agent,
    coalesce(n.session_id, c.claude_session_id)                     as session_id,
    n.minutes_since_session,
    s.first_event_at is not null                                    as trailer_session_found,
    c.agent_trailer is not null or n.commit_key is not null         as is_agent_assisted,
    coalesce(c.agent_trailer, n.agent)                              as agent,
    case
        when c.agent_trailer is not null and n.commit_key is not null then 'trailer+session'
        when c.agent_trailer is not null then 'trailer'
        when n.commit_key is not null then 'session'
    end                                                             as evidence,
    case
        when c.agent_trailer is not null then 'high'
        when n.minutes_since_session <= 30 then 'medium'
        when n.commit_key is not null then 'low'
    end                                                             as confidence
from commits c
left join nearest n on n.commit_key = c.commit_key
left join named_session s on s.commit_key = c.commit_key
