"""Dagster wiring for git: the commits asset (local repositories and GitHub repositories), its
pandera check, a refresh job and a sensor that fires when a branch tip moves."""

import hashlib

import dagster as dg

from .. import project_config, warehouse
from ..config import hash_salt, settings
from ..github_api import GitHubClient
from ..ingest.assets import contract_spec, contract_verdict
from ..partitions import ONE_RUN, SCHEDULE_TIMEZONE, SENSOR_STATUS
from ..transform.dbt_assets import refresh_selection
from ..resources import WarehouseResource, retried_on_lake_conflict, writer_pool
from . import log
from .folders import FOLDERS, MAPS_DIR, update_folders
from .load import COMMITS, GitStats, ingest_github, ingest_local, repo_names, tips_stored
from .schemas import GitCommits

COMMITS_KEY = dg.AssetKey(COMMITS.split("."))
REPOS_KEY = dg.AssetKey(["landing", "git_repositories"])

git_repositories = dg.AssetSpec(
    REPOS_KEY, group_name="landing", kinds={"git"},
    description="The git repositories the project config follows (git.repos, every clone under git.repos_dir) and the "
    "GitHub repositories it reads through the API (git.github_repos).")


class GitRunConfig(dg.Config):
    max_quarantine_share: float = 0.5
    keep_names: bool = False
    max_api_commits: int = 1000  # per GitHub repository per run; the next run continues


def _config() -> project_config.ProjectConfig:
    return project_config.load(settings().config_path)


@dg.asset(
    key=COMMITS_KEY,
    deps=[REPOS_KEY],
    group_name="raw",
    kinds={"git", "github", "polars", "duckdb"},
    pool=writer_pool("git_commits"),
    backfill_policy=ONE_RUN,
    check_specs=[contract_spec(COMMITS_KEY, GitCommits)],
    description="Commits of the followed repositories: author (email hashed unless privacy.keep_names), author and commit "
    "times, branch, trailers (Co-Authored-By, Claude-Session, ...), files and lines changed. Incremental by branch tips "
    "(local) and by `since` (GitHub API); rewritten history is re-read and commits no longer reachable are flagged.",
)
@retried_on_lake_conflict
def git_commits(context: dg.AssetExecutionContext, config: GitRunConfig, warehouse: WarehouseResource):
    project = _config()
    repos = project.git.local_repos()
    keep = config.keep_names or project.keep_names
    with warehouse.connect() as con:
        run_started = con.execute("SELECT now()").fetchone()[0]
        salt = hash_salt(warehouse.path)
        local = ingest_local(con, repos, salt, keep)
        remote = GitStats()
        if project.git.github_repos:
            client = GitHubClient(base_url=project.copilot.base_url, token_env=project.copilot.token_env)
            remote = ingest_github(con, client, list(project.git.github_repos), salt, keep, config.max_api_commits)
        for note in local.notes + remote.notes:
            context.log.warning(note)
        for rewrite in local.rewritten:
            context.log.warning(f"history rewritten: {rewrite}; re-read in full")
        loaded = con.execute(f"SELECT * FROM {COMMITS} WHERE ingested_at >= ?", [run_started]).pl()
        assisted = con.execute(f"SELECT count(*) FILTER (WHERE agent_trailer IS NOT NULL), count(*) FROM {COMMITS}").fetchone()
        status = ("no repositories configured: set git.repos or git.repos_dir (or git.github_repos) in analytics.yaml"
                  if not repos and not project.git.github_repos else f"{local.repos + remote.repos} repositories read")
        yield dg.MaterializeResult(metadata={
            "status": status,
            "commits_read": local.records + remote.records,
            "commits_loaded": local.loaded + remote.loaded,
            "commits_already_stored": local.duplicates + remote.duplicates,
            "commits_quarantined": local.quarantined + remote.quarantined,
            "rewritten_branches": dg.MetadataValue.json(local.rewritten),
            "commits_flagged_unreachable": local.unreachable_flagged,
            "new_commits_per_repo": dg.MetadataValue.json(dict(local.per_repo + remote.per_repo)),
            "commits_with_agent_trailer": assisted[0],
            "pull_requests_updated": remote.pull_requests,
            "dagster/row_count": assisted[1],
        })
        yield contract_verdict(COMMITS_KEY, GitCommits, loaded.drop("commit_key", "is_reachable", "ingested_at"),
                               local.records + remote.records, local.quarantined + remote.quarantined, config.max_quarantine_share)


FOLDERS_KEY = dg.AssetKey(FOLDERS.split("."))


@dg.asset(
    key=FOLDERS_KEY,
    deps=[dg.AssetKey(["raw", "claude_requests"]), dg.AssetKey(["raw", "codex_events"]), dg.AssetKey(["raw", "opencode_messages"])],
    group_name="raw",
    kinds={"git", "duckdb"},
    pool=writer_pool("repo_folders"),
    backfill_policy=ONE_RUN,
    description="The repository of every (machine, working folder) the agents ran in: the git top level and the "
    "normalised remote (`host/owner/name`), from the maps `push` sends from developer machines "
    f"(landing/{MAPS_DIR}/<machine>/*.jsonl) and, for folders that exist on this disk, from git itself (asked once per "
    "folder). Commit attribution and the cost-by-repository marts match on it; a folder that is no repository keeps "
    "the folder-name rule, flagged.",
)
@retried_on_lake_conflict
def repo_folders(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        stats = update_folders(con, settings().landing_dir)
    if stats.quarantined:
        context.log.warning(f"{stats.quarantined} lines of pushed folder maps quarantined (raw.quarantine, source repo_folders)")
    return dg.MaterializeResult(metadata={
        "map_lines_read": stats.map_lines,
        "folders_from_pushed_maps": stats.pushed,
        "map_lines_quarantined": stats.quarantined,
        "folders_resolved_on_this_disk": stats.resolved_here,
        "folders_unresolved": stats.unresolved,
        "folders_in_repositories": stats.repositories,
        "folders_not_in_a_repository": stats.not_repositories,
        "dagster/row_count": stats.repositories + stats.not_repositories,
    })


git_job = dg.define_asset_job("git_refresh", selection=refresh_selection(git_commits),
                              description="Read new commits and rebuild the dbt models over them.")


@dg.sensor(
    name="git_repositories_sensor", job=git_job, minimum_interval_seconds=120,
    default_status=SENSOR_STATUS,
    description="Launches git_refresh when a branch tip of a followed local repository moves (or a repository appears). "
    "The run_key is a digest of every tip, so one state of the repositories launches one run.",
)
def git_sensor(context: dg.SensorEvaluationContext):
    repos = _config().git.local_repos()
    if not repos:
        return dg.SkipReason("no local repositories configured (git.repos / git.repos_dir)")
    digest = hashlib.sha256()
    every = {}
    names = repo_names(repos)
    for path in repos:
        try:
            tips = log.heads(path)
        except log.GitError:
            continue
        every[names[path]] = tips
        digest.update(f"{path}\0{sorted(tips.items())}\n".encode())
    signature = digest.hexdigest()[:32]
    if signature == context.cursor:
        return dg.SkipReason("no branch tip moved since the last run request")
    first = context.cursor is None
    context.update_cursor(signature)
    if first and _stored(every):
        return dg.SkipReason("the warehouse already holds every branch tip (no run needed)")
    return dg.RunRequest(run_key=f"git-{signature}")


def _stored(tips: dict) -> bool:
    """On the sensor's first evaluation (a new instance: `make ui` after `make run`): whether the warehouse's
    refs equal the repositories' tips."""
    return warehouse.holds(settings().duckdb_path, lambda con: tips_stored(con, tips))


git_schedule = dg.ScheduleDefinition(
    name="git_hourly", job=git_job, cron_schedule="17 * * * *",
    execution_timezone=SCHEDULE_TIMEZONE, default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Hourly fallback for git_repositories_sensor, and the trigger for GitHub API repositories (no local "
    "tips to watch). Stopped by default.")
