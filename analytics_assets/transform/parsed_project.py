"""The dbt project parsed once per process and handed to every dbt command after it.

dbt parses the project at the start of every command: ~0.8 s with its partial-parse state, ~4.8 s without
(on the 2-core machine), and its state is void for any other warehouse path (the path is part of the profile
dbt hashes), so the first command on a new warehouse, every test's and a new deployment's, parses the whole
project. dbt's programmatic runner takes a parsed project instead (`dbtRunner(manifest=...)`, dbt's documented
way to reuse one across invocations): commands after the first skip parsing.

A parsed project is reused only where it is what dbt would parse again (`key`): the same project files
(paths, sizes, modification times), the same `--vars`, the same profile and target, and the same database
*name*: the parse reads the profile's database and schema names (node relation names), not the folder the
warehouse file is in. Anything else (another file of the project changed, other vars, the lake target) is a
new key and a new parse. The compiled SQL is not part of it: dbt compiles each node again at run time, with
the environment of that command (the daily marts' days).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Sequence

# dbt commands that run on a parsed project; `parse` itself always parses (and its result is kept).
USES_PROJECT = frozenset({"build", "run", "test", "seed", "compile"})
# The options of those commands that the parse depends on, each with its value.
PARSE_OPTIONS = ("--vars", "--profile", "--target", "-t", "--project-dir", "--profiles-dir")
# The profile's settings (profiles.yml) that name what the parse writes into nodes: the target, the lake.
PROFILE_ENV = ("ANALYTICS_DBT_TARGET", "ANALYTICS_WAREHOUSE")
_SKIPPED_FOLDERS = {"target", "logs", "dbt_packages"}

_kept: dict[tuple, Any] = {}  # one entry: the last project parsed in this process


def command_of(args: Sequence[str]) -> tuple[int, str] | None:
    """(index, name) of the dbt command in `args` (after any global flags)."""
    for index, arg in enumerate(args):
        if not arg.startswith("-"):
            return index, arg
    return None


def options(args: Sequence[str]) -> dict[str, str]:
    found = {}
    for index, arg in enumerate(args[:-1]):
        if arg in PARSE_OPTIONS:
            found["--target" if arg == "-t" else arg] = args[index + 1]
    return found


def parse_args(args: Sequence[str]) -> list[str]:
    """`dbt parse` with the global flags and parse options of the command `args`."""
    index, _ = command_of(args)
    return [*args[:index], "parse", *(x for pair in options(args).items() for x in pair)]


def _folder(option: str | None, env: str) -> Path:
    return Path(option or os.environ.get(env) or os.getcwd()).resolve()


def _files(project: Path) -> tuple:
    found = []
    for root, folders, files in os.walk(project):
        if Path(root) == project:
            folders[:] = [f for f in folders if f not in _SKIPPED_FOLDERS]
        for name in files:
            try:
                stat = os.stat(os.path.join(root, name))
            except OSError:
                continue
            found.append((os.path.join(root, name), stat.st_size, stat.st_mtime_ns))
    return tuple(sorted(found))


def key(args: Sequence[str]) -> tuple:
    """What the parse of the command `args` depends on (see the module's docstring)."""
    given = options(args)
    project = _folder(given.get("--project-dir"), "DBT_PROJECT_DIR")
    profiles = _folder(given.get("--profiles-dir"), "DBT_PROFILES_DIR")
    variables = given.get("--vars")
    if variables:
        try:
            variables = json.dumps(json.loads(variables), sort_keys=True)
        except ValueError:
            pass  # YAML vars: compared as written
    warehouse_name = Path(os.environ.get("ANALYTICS_DUCKDB_PATH", "")).name
    return (project, _files(project), profiles, _files(profiles) if profiles != project else (), variables,
            given.get("--profile"), given.get("--target"), tuple(os.environ.get(name) for name in PROFILE_ENV),
            warehouse_name)


def kept(for_key: tuple):
    return _kept.get(for_key)


def keep(for_key: tuple, manifest) -> None:
    _kept.clear()
    _kept[for_key] = manifest


def forget() -> None:
    _kept.clear()
