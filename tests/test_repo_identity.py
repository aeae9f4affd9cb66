"""Repository identity, alone: remote URLs normalised, folders resolved by git, pushed folder maps read
(machine from the folder, never from the line; bad lines quarantined with the reason, nothing lost)."""

from __future__ import annotations

import json
import subprocess

import duckdb
import pytest

from analytics_assets.git.folders import FOLDERS, local_path, update_folders
from analytics_assets.git.identity import github_identity, normalize_remote, resolve


@pytest.mark.parametrize("url", [
    "git@github.com:acme/api.git", "git@github.com:Acme/API", "ssh://git@github.com/acme/api.git", "ssh://git@github.com:22/acme/api",
    "https://github.com/acme/api", "https://github.com/acme/api.git/", "https://user:secret@github.com/acme/api.git",
    "git://github.com/acme/api.git", "github.com:acme/api", "github.com/acme/api", "GitHub.com/Acme/api.git",
])
def test_every_spelling_of_one_remote_is_one_repository(url):
    assert normalize_remote(url) == "github.com/acme/api"


@pytest.mark.parametrize("url", ["", None, "/srv/git/api.git", "file:///srv/git/api.git", "../api", "C:\\src\\api", "https://github.com/", "src/api/x", "./a/b"])
def test_local_paths_and_nonsense_have_no_identity(url):
    assert normalize_remote(url) is None


def test_subgroups_and_enterprise_hosts_keep_their_path():
    assert normalize_remote("git@gitlab.example.com:group/sub/api.git") == "gitlab.example.com/group/sub/api"
    assert github_identity("Acme/API") == "github.com/acme/api"
    assert github_identity("acme/api", "https://api.github.com") == "github.com/acme/api"
    assert github_identity("acme/api", "https://ghe.example.com/api/v3") == "ghe.example.com/acme/api"


def _repo(path, remote=None):
    (path / "packages" / "web").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    if remote:
        subprocess.run(["git", "-C", str(path), "remote", "add", "upstream", remote], check=True)
    return path


def test_a_sub_folder_resolves_to_its_repository(tmp_path):
    clone = _repo(tmp_path / "my-fork", "git@github.com:acme/api-server.git")
    found = resolve(str(clone / "packages" / "web"))
    assert (found.toplevel, found.remote, found.name) == (str(clone), "github.com/acme/api-server", "api-server")
    bare = _repo(tmp_path / "scratch")
    assert resolve(str(bare / "packages")).as_row() == {"toplevel": str(bare), "remote": None, "name": "scratch"}
    (tmp_path / "plain").mkdir()
    assert resolve(str(tmp_path / "plain")).toplevel is None
    assert resolve(str(tmp_path / "missing")).toplevel is None


def test_pushed_maps_take_the_machine_from_the_folder_and_quarantine_bad_lines(tmp_path):
    landing = tmp_path / "landing"
    maps = landing / "folders" / "ada-laptop"
    maps.mkdir(parents=True)
    lines = [
        {"cwd": "/home/ada/src/api/packages/web", "toplevel": "/home/ada/src/api", "remote": "git@github.com:Acme/API.git",
         "machine": "bob-desktop"},  # a machine named in the line is ignored
        {"cwd": "/home/ada/notes", "toplevel": None, "remote": None},
        {"cwd": 42},
        ["not", "an", "object"],
    ]
    (maps / "repositories.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n{broken\n")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        stats = update_folders(con, landing)
        again = update_folders(con, landing)  # the same bytes: the same rows, nothing quarantined twice
        rows = con.execute(f"SELECT machine, cwd, toplevel, remote, name, resolved_by FROM {FOLDERS} ORDER BY cwd").fetchall()
        reasons = [r[0] for r in con.execute("SELECT reason FROM raw.quarantine WHERE source = 'repo_folders' ORDER BY source_offset").fetchall()]
    finally:
        con.close()
    assert stats.map_lines == 5 == stats.pushed + stats.quarantined and again.quarantined == 0
    # Folders are stored redacted, as the requests' cwd is (the home folder names its person), so they join.
    assert rows == [("ada-laptop", "~/notes", None, None, None, "pushed"),
                    ("ada-laptop", "~/src/api/packages/web", "~/src/api", "github.com/acme/api", "api", "pushed")]
    assert reasons[0] == "cwd missing or not a string" and reasons[1] == "not a JSON object" and reasons[2].startswith("not JSON")


def test_a_redacted_home_is_this_machines_home_only_for_its_own_requests(monkeypatch):
    monkeypatch.setenv("HOME", "/home/me")
    assert local_path("this-host", "~/src/api", host="this-host") == "/home/me/src/api"
    assert local_path("ada-laptop", "~/src/api", host="this-host") is None  # another machine's home: its push map says
    assert local_path("ada-laptop", "/srv/build/api", host="this-host") == "/srv/build/api"
    assert local_path("ada-laptop", "src/api", host="this-host") is None
