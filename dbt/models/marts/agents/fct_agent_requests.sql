-- One row per deduplicated agent request (Claude Code transcripts and telemetry, Codex), priced.
select * from {{ ref('int_agent_requests_priced') }}
