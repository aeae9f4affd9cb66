"""Where Copilot reports and seats come from: the GitHub API (github3.py) or a folder of report
files (air-gapped deployments, files downloaded by hand, the demo). No Dagster import.

Both answer the same two questions: the report files of one scope for one day, and the seats
of one scope now (the API) or per snapshot day (the folder).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..github_api import GitHubAccessError, GitHubClient

SCOPES = {"organization": "orgs", "enterprise": "enterprises"}
EXPIRED_LINK_STATUSES = {401, 403, 404, 410}  # what storage answers for a signed URL past its time
LINK_ATTEMPTS = 3


@dataclass(frozen=True)
class Target:
    scope: str        # organization | enterprise
    name: str         # the org login or enterprise slug

    def usage_report(self) -> str:
        return f"{self.scope}-1-day"


@dataclass
class ReportFile:
    label: str   # where it came from (a download link without its signature, or a path)
    text: str


class CopilotSource(Protocol):
    def report(self, target: Target, report: str, day: dt.date | None) -> list[ReportFile]: ...
    def seats(self, target: Target) -> list[tuple[dt.date, str, list]]: ...


class ApiSource:
    """The usage-metrics reports API: ask for the links, download each file; a link that expired
    between the two (storage answers 403/404/410) means asking for fresh links, a bounded number of times."""

    def __init__(self, client: GitHubClient, today: dt.date | None = None):
        self.client = client
        self.today = today or dt.datetime.now(dt.timezone.utc).date()
        self.links_requested = 0

    def report(self, target: Target, report: str, day: dt.date | None) -> list[ReportFile]:
        parts = [SCOPES[target.scope], target.name, "copilot", "metrics", "reports", *report.split("/")]
        params = {"day": day.isoformat()} if day else None
        what = f"the Copilot {report} report of {target.scope} {target.name}" + (f" for {day}" if day else "")
        for _ in range(LINK_ATTEMPTS):
            envelope = self.client.get_json(parts, what, "reports", params=params)
            self.links_requested += 1
            links = (envelope or {}).get("download_links") or []
            files, expired = [], False
            for link in links:
                response = self.client.download(link)
                if response.status_code in EXPIRED_LINK_STATUSES:
                    expired = True
                    break
                if response.status_code != 200:
                    raise GitHubAccessError(f"downloading {what} failed ({response.status_code}) after retries")
                files.append(ReportFile(link.split("?")[0], response.text))
            if not expired:
                return files
        raise GitHubAccessError(f"the download links of {what} kept expiring ({LINK_ATTEMPTS} fresh sets tried)")

    def seats(self, target: Target) -> list[tuple[dt.date, str, list]]:
        parts = [SCOPES[target.scope], target.name, "copilot", "billing", "seats"]
        seats = list(self.client.paginate(parts, f"the Copilot seats of {target.scope} {target.name}", "seats", list_key="seats"))
        return [(self.today, "/".join(parts), seats)]


class FolderSource:
    """Report files laid out as `<root>/reports/<name>/<report>/<YYYY-MM-DD>.json|.ndjson` and seat
    snapshots as `<root>/seats/<name>/<YYYY-MM-DD>.json` (the seats API body)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def report(self, target: Target, report: str, day: dt.date | None) -> list[ReportFile]:
        folder = self.root / "reports" / target.name / report
        stem = day.isoformat() if day else "latest"
        return [ReportFile(str(p), p.read_text(encoding="utf-8", errors="replace"))
                for p in sorted(folder.glob(f"{stem}.*")) if p.suffix in (".json", ".ndjson", ".jsonl")]

    def seats(self, target: Target) -> list[tuple[dt.date, str, list]]:
        import json

        out = []
        for path in sorted((self.root / "seats" / target.name).glob("*.json")):
            try:
                day = dt.date.fromisoformat(path.stem)
            except ValueError:
                continue
            body = json.loads(path.read_text())
            out.append((day, str(path), body.get("seats", []) if isinstance(body, dict) else body))
        return out
