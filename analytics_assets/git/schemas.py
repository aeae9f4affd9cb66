"""pandera contract for raw.git_commits (a commit with an unreadable date carries it in attr_errors)."""

from __future__ import annotations

import pandera.polars as pa

from .. import validation


class GitCommits(validation.RawContract):
    repo: str = pa.Field(nullable=False)
    sha: str = pa.Field(nullable=False, str_matches=r"^[0-9a-f]{40}([0-9a-f]{24})?$")
    lines_added: int = pa.Field(nullable=True, ge=0)
    lines_deleted: int = pa.Field(nullable=True, ge=0)
    origin: str = pa.Field(isin=["git", "github_api"])
