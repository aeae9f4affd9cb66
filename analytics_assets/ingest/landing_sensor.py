"""One landing sensor for every file source: one `landing_refresh` run for whatever changed.

A sensor per source launched a run per source: four sources appending every few seconds meant four runs,
each paying a process start, a dbt start and the dashboard, queued one after another on the writer pool.
This sensor compares every source's landing files with what it last saw and requests one run of the
sources that changed (their ingests, the dbt models they feed, the dashboard and exports, the touched days'
daily marts). While a run is still waiting to start it requests nothing: that run reads the new bytes too.
The per-source `<source>_refresh` jobs stay for the CLI and the hourly fallback schedules."""

from __future__ import annotations

import hashlib
import json
import os
from typing import Sequence

import dagster as dg

from ..config import settings
from ..partitions import SENSOR_STATUS
from ..transform.dbt_assets import refresh_selection
from .assets import IngestDefinition, covered, landing_signature
from .landing import landing_paths

JOB = "landing_refresh"
# The least time between evaluations. Dagster's daemon looks at its sensors every 5 s; an interval of 5 s
# would skip every other look when a tick comes a little early (10 s of latency), so it is shorter: the
# sensor runs at each look. The evaluation lists and stats the landing files, no warehouse read (~30 ms).
INTERVAL_SECONDS = int(os.environ.get("ANALYTICS_LANDING_SENSOR_SECONDS", "2"))
WAITING = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING]


def changed_sources(definitions: Sequence[IngestDefinition], seen: dict[str, str] | None) -> tuple[list[str], dict[str, str]]:
    """The sources whose landing files differ from `seen` (landing name -> signature), and the new state.
    With nothing seen yet (a new instance: `make ui` after `make run`) a source counts as changed only
    when the warehouse's cursors do not cover its files, so an up-to-date warehouse launches nothing."""
    current = settings()
    state, changed = {}, []
    for defn in definitions:
        paths = landing_paths(defn.roots(current), defn.patterns)
        if not paths:
            continue
        state[defn.landing] = landing_signature(paths)
        if seen is None:
            if not covered(defn, current):
                changed.append(defn.landing)
        elif state[defn.landing] != seen.get(defn.landing):
            changed.append(defn.landing)
    return changed, state


def build_landing_refresh(sources: Sequence[dict]) -> dict:
    """The `landing_refresh` job (every file source's refresh, run as the subset that changed) and its sensor."""
    by_landing = {s["definition"].landing: s["asset"] for s in sources}
    job = dg.define_asset_job(
        JOB, selection=refresh_selection(*by_landing.values()),
        description="Ingest the new bytes of the sources that changed, rebuild the dbt models they feed and their "
        "readers and the touched days' daily marts, and rewrite the dashboard and exports: one run, whatever changed.")

    @dg.sensor(
        name="landing_sensor", job=job, minimum_interval_seconds=INTERVAL_SECONDS, default_status=SENSOR_STATUS,
        description="Every few seconds: launches one landing_refresh run of the sources whose landing files "
        "gained bytes (or appeared, rotated, shrank) since it last looked. A new instance launches nothing for files "
        "the warehouse's cursors already cover. While a run still waits to start, it waits with it. "
        "ANALYTICS_LANDING_SENSOR_SECONDS sets the interval.")
    def landing_sensor(context: dg.SensorEvaluationContext):
        seen = json.loads(context.cursor) if context.cursor else None
        changed, state = changed_sources([s["definition"] for s in sources], seen)
        if not state:
            return dg.SkipReason("no landing files yet")
        if not changed:
            context.update_cursor(json.dumps(state, sort_keys=True))
            return dg.SkipReason("the warehouse's cursors already cover every landing file (no run needed)" if seen is None
                                 else "no new bytes since the last run request")
        if context.instance.get_runs_count(dg.RunsFilter(job_name=JOB, statuses=WAITING)):
            # The waiting run reads these bytes when it starts; the state is not recorded, so a change it
            # misses (a source outside its selection) is requested once it has started.
            return dg.SkipReason("a landing_refresh run is waiting to start; it reads the new bytes")
        context.update_cursor(json.dumps(state, sort_keys=True))
        keys = refresh_selection(*(by_landing[name] for name in changed)).resolve(context.repository_def.asset_graph)
        digest = hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:32]
        return dg.RunRequest(run_key=f"landing-{digest}", asset_selection=sorted(keys),
                             tags={"landing_sources": ",".join(changed)})

    return {"job": job, "sensor": landing_sensor}
