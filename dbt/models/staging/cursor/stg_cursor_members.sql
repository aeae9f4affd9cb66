-- The newest snapshot is the team today; older ones are its history.
select snapshot_day, user_email as user_email_hash, member_name, role, is_removed
from {{ source('raw_cursor', 'cursor_members') }}
