"""Where the demo's developers work: the folders their sessions start in, the repositories those are
clones of, and the branch names they use. It draws from its own random stream (rng_for(seed, "places")), so
the transcripts' own draws, and every count in the manifest, are what they were before it existed.

The cases commit attribution has to get right are all here: sessions in a repository's sub-folder (a
monorepo's packages/*), a clone under another folder name (web-app cloned as `frontend`), a same-named
repository of another owner (an open-source `infra` beside the team's), branch names that carry a ticket.
Each machine's map of folders to repositories is written as `push` writes it (landing/folders/<machine>/),
except for one machine, whose sessions show the folder-name fallback.
"""

from __future__ import annotations

import json
from pathlib import Path

from .github_files import ORG as OWNER  # the demo team's GitHub organization
from .world import Developer, rng_for
PACKAGES = ("web", "api", "worker")
TICKETS = {"platform": "PLAT", "payments": "PAY", "mobile": "MOB"}


def remote(repo: str, owner: str = OWNER) -> str:
    return f"github.com/{owner}/{repo}"


class Places:
    def __init__(self, seed: int):
        self.rng = rng_for(seed, "places")
        self.maps: dict[str, dict[str, dict]] = {}  # machine -> cwd -> map line

    def _seen(self, machine: str, cwd: str, toplevel: str, repo_remote: str) -> str:
        self.maps.setdefault(machine, {})[cwd] = {"cwd": cwd, "toplevel": toplevel, "remote": repo_remote,
                                                  "name": repo_remote.rsplit("/", 1)[-1]}
        return cwd

    def folder(self, dev: Developer, machine: str, repo: str) -> str:
        home = f"/home/{dev.login}"
        roll = self.rng.random()
        if roll < 0.07:  # an open-source repository that shares a name with the team's
            top = f"{home}/oss/infra"
            return self._seen(machine, top, top, remote("infra", "contrib"))
        if repo == "api-server" and roll < 0.6:  # the monorepo: sessions start in a package
            top = f"{home}/src/api-server"
            return self._seen(machine, f"{top}/packages/{self.rng.choice(PACKAGES)}", top, remote(repo))
        if repo == "web-app" and roll < 0.4:  # cloned under another name
            top = f"{home}/work/frontend"
            return self._seen(machine, top, top, remote(repo))
        top = f"{home}/src/{repo}"
        return self._seen(machine, top, top, remote(repo))

    def branch(self, dev: Developer, drawn: str, number: int) -> str:
        """`drawn` is main or feature/<number>; half the feature branches name a ticket of the team's tracker."""
        if drawn == "main" or self.rng.random() < 0.5:
            return drawn
        return f"feature/{TICKETS.get(dev.team, 'ENG')}-{number}-{self.rng.choice(['refunds', 'retry', 'login', 'cache'])}"

    def write_maps(self, landing: Path, skip: str | None = None) -> dict:
        """landing/folders/<machine>/repositories.jsonl for every machine but `skip` (as push writes them)."""
        written = 0
        for machine, rows in sorted(self.maps.items()):
            if machine == skip:
                continue
            folder = landing / "folders" / machine
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "repositories.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows.values()))
            written += len(rows)
        return {"machines": len(self.maps) - (skip in self.maps), "folders": written}
