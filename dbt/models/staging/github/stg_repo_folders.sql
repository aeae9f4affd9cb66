-- One row per (machine, working folder): the repository git says the folder is in, pushed from the
-- developer's machine or resolved on this disk (see analytics_assets/git/folders.py). repo_id is the
-- normalised remote (host/owner/name): the identity commits carry too.
select
    machine,
    cwd,
    toplevel,
    remote                          as repo_id,
    name                            as repo_name,
    toplevel is not null            as is_repository,
    resolved_by
from {{ source('raw_github', 'repo_folders') }}
