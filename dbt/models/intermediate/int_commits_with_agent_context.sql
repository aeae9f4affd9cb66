-- Agent-assisted commits, with their evidence and a confidence level:
--   trailer  — the commit says so (Co-Authored-By: Claude / Copilot / Codex ..., Claude-Session:): high;
--   session  — an agent session of the same developer on the same repository made a request within
--              var('session_window_minutes') before the commit was authored: medium within 30 minutes,
--              low beyond. "The same repository" (session_match says which rule linked them, strongest first):
--                repository  — the request's folder is in a clone of the commit's repository (both carry
--                              the normalised remote, host/owner/name: a clone under another folder name,
--                              a session in a sub-folder or a monorepo package all match; two repositories
--                              of different owners that share a name do not);
--                folder_name — one side has no remote (a folder no git saw, a repository without remote):
--                              the repository's folder name equals the commit's repository name;
--                path        — the request's folder was never resolved and the commit's repository name
--                              is one of its folders (a sub-folder session seen only by name).
--   ai_note  — an AI-attribution note on the commit (Git AI's refs/notes/ai authorship log, an Agent Trace
--              record in refs/notes/agent-trace) says agents wrote lines of it: high;
--   commit_metric — Claude Code's telemetry counted a commit (claude_code.commit.count) of the same developer
--              in the export interval (at most 10 minutes: its default is 1) that holds the commit time:
--              medium (the metric names no repository).
-- Evidence lists every kind found ('trailer+session', 'ai_note', ...); confidence is the strongest's.
-- Merges are attributed only by trailer or note (a merge is not new work).
{% set window = var('session_window_minutes', 120) %}
with identities as (
    select identity, developer_key, team
    from {{ source('raw_transcripts', 'developer_identities') }}
    where identity_kind = 'email'
),

accounts as (
    select identity, developer_key
    from {{ source('raw_transcripts', 'developer_identities') }}
    where identity_kind = 'account'
),

commits as (
    select
        c.*,
        lower(regexp_replace(c.repo, '^.*/', ''))                   as repo_name,
        coalesce(i.developer_key, c.author_email_hash, 'unknown')   as developer_key,
        coalesce(i.team, 'unassigned')                              as team
    from {{ ref('stg_git_commits') }} c
    left join identities i on i.identity = c.author_email_hash
),

requests as (
    select agent, session_id, developer_key, event_at, repo_id, repository_rule,
           lower(repository)                                        as repo_name,
           '/' || lower(replace(cwd, '\', '/')) || '/'             as cwd_path
    from {{ ref('int_agent_requests') }}
    where repository is not null and developer_key is not null
),

-- Requests of the commit's developer within the window before it, with the rule that puts them on
-- its repository (null: another repository).
candidates as (
    select
        c.commit_key,
        c.authored_at,
        r.agent,
        r.session_id,
        r.event_at,
        case
            when c.repo_id is not null and r.repo_id is not null then
                case when r.repo_id = c.repo_id then 'repository' end
            when r.repo_name = c.repo_name then 'folder_name'
            when r.repository_rule = 'folder_name' and {{ dbt.position("'/' || c.repo_name || '/'", 'r.cwd_path') }} > 0 then 'path'
        end                                                         as session_match
    from commits c
    join requests r
      on r.developer_key = c.developer_key
     and r.event_at <= c.authored_at
     and r.event_at >= c.authored_at - interval {{ window }} minute
    where not c.is_merge
),

-- Per commit: the request of the strongest rule, the latest of those.
nearest as (
    select
        commit_key,
        agent,
        session_id,
        session_match,
        event_at                                                    as session_event_at,
        {{ dbt.datediff('event_at', 'authored_at', 'second') }} / 60.0 as minutes_since_session
    from candidates
    where session_match is not null
    qualify row_number() over (
        partition by commit_key
        order by case session_match when 'repository' then 0 when 'folder_name' then 1 else 2 end, event_at desc) = 1
),

-- Claude Code counted a commit in a short export interval of the commit's developer.
commit_metrics as (
    select m.session_id, m.start_time, m.observed_at, coalesce(a.developer_key, m.user_account_hash) as developer_key
    from {{ ref('stg_claude_code_metrics') }} m
    left join accounts a on a.identity = m.user_account_hash
    where m.metric = 'commit.count' and m.value > 0 and m.start_time is not null
      and m.observed_at - m.start_time <= interval 10 minute
),

metric_match as (
    select c.commit_key, min(m.session_id) as session_id
    from commits c
    join commit_metrics m
      on m.developer_key = c.developer_key
     and c.committed_at >= m.start_time - interval 1 minute
     and c.committed_at <= m.observed_at + interval 1 minute
    where not c.is_merge
    group by 1
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
    c.repo_id,
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
    c.ai_note,
    c.ai_note_agent,
    c.ai_note_lines,
    c.claude_session_id,
    n.agent                                                         as session_agent,
    coalesce(n.session_id, c.claude_session_id, mm.session_id)      as session_id,
    n.minutes_since_session,
    n.session_match,
    s.first_event_at is not null                                    as trailer_session_found,
    c.agent_trailer is not null or c.ai_note_agent is not null
        or n.commit_key is not null or mm.commit_key is not null    as is_agent_assisted,
    coalesce(c.agent_trailer, c.ai_note_agent, n.agent,
             case when mm.commit_key is not null then 'claude_code' end) as agent,
    nullif(concat_ws('+',
        case when c.agent_trailer is not null then 'trailer' end,
        case when c.ai_note_agent is not null then 'ai_note' end,
        case when n.commit_key is not null then 'session' end,
        case when mm.commit_key is not null then 'commit_metric' end), '') as evidence,
    case
        when c.agent_trailer is not null or c.ai_note_agent is not null then 'high'
        when n.minutes_since_session <= 30 or mm.commit_key is not null then 'medium'
        when n.commit_key is not null then 'low'
    end                                                             as confidence
from commits c
left join nearest n on n.commit_key = c.commit_key
left join metric_match mm on mm.commit_key = c.commit_key
left join named_session s on s.commit_key = c.commit_key
