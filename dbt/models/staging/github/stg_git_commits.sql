-- Commits still reachable from a followed branch (commits rewritten away stay in raw, flagged).
-- author_email is the keyed hash of the address unless privacy.keep_names.
select
    commit_key,
    repo,
    sha,
    is_merge,
    author_email                                    as author_email_hash,
    authored_at,
    committed_at,
    cast(authored_at as date)                       as commit_date,
    branch,
    repo_id,
    subject,
    agent_trailer,
    ai_note,
    ai_note_agent,
    ai_note_lines,
    claude_session_id,
    co_authors,
    trailers,
    files_changed,
    lines_added,
    lines_deleted,
    origin
from {{ source('raw_github', 'git_commits') }}
where is_reachable
