"""The calendar the graph runs on: the daily partitions of the marts that are additive by day, the
backfill policy every asset shares, and the automation condition of the assets read after them.

Event dates are UTC everywhere; schedules run in ANALYTICS_TIMEZONE (the cron's clock only)."""

import datetime as dt
import os
import warnings

import dagster as dg

# The first day any mart partition covers. History older than this is still ingested (raw tables and
# the unpartitioned marts keep it) but has no daily partition; set it earlier for older history.
HISTORY_START = os.environ.get("ANALYTICS_HISTORY_START", "2025-01-01")
SCHEDULE_TIMEZONE = os.environ.get("ANALYTICS_TIMEZONE", "UTC")
# The sensors (landing, git, late data, run failures, automation) start running with the daemon, unless
# ANALYTICS_SENSORS=off: then they start stopped (each can be turned on in the UI), and only what is launched
# or scheduled runs — a server being set up, a backfill to do first, a test of the run queue.
SENSOR_STATUS = (dg.DefaultSensorStatus.STOPPED if os.environ.get("ANALYTICS_SENSORS", "").lower() == "off"
                 else dg.DefaultSensorStatus.RUNNING)

# end_offset=1: today is a partition too, so the dashboard shows today's spend while the day runs;
# the eager condition keeps today's partition fresh, the late-data sensor the older ones.
marts_days = dg.DailyPartitionsDefinition(start_date=HISTORY_START, end_offset=1, timezone="UTC")

# Every asset carries it, partitioned or not: `dagster asset materialize --partition-range` (and a
# backfill launched from the UI) then runs a whole selection, 90 days of marts included, as one run.
ONE_RUN = dg.BackfillPolicy.single_run()
# The parameter is beta on @asset (not on @multi_asset); the behaviour we rely on is the CLI's and the UI's.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)

# eager() without its "no parent partition missing" clause, for unpartitioned assets with partitioned
# parents (dbt staging over the Copilot reports; forecast, alerts, dashboard, exports over the daily
# marts): they would otherwise wait for every day since HISTORY_START to be materialized, which never
# happens on a deployment younger than that.
# A refresh rewrites the developer identities (small; a new machine's token counts at once) and rebuilds what
# its source feeds; the models of other sources take a changed identity at their own refresh or the 05:00
# rebuild, rather than an automation run after every refresh (each one a process start and a dbt build).
IDENTITIES = dg.AssetSelection.assets(dg.AssetKey(["raw", "developer_identities"]))
EAGER_UNPARTITIONED = dg.AutomationCondition.eager().without(~dg.AutomationCondition.any_deps_missing()).ignore(IDENTITIES)
EAGER_DAILY = dg.AutomationCondition.eager().ignore(IDENTITIES)


# Steps that nobody waits for run after the ones that lead to the dashboard when both are ready (a run's
# steps execute one at a time): the dashboard is what a refresh is watched for.
AFTER_THE_DASHBOARD = {"dagster/priority": "-1"}


def today_utc() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def day_keys(days) -> list[str]:
    """Partition keys of the dates that have a mart partition (inside HISTORY_START..today)."""
    first, last = dt.date.fromisoformat(HISTORY_START), today_utc()
    return sorted({d.isoformat() for d in map(_as_date, days) if first <= d <= last})


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else dt.date.fromisoformat(str(value)[:10])


def metadata_days(metadata) -> list[str]:
    """The event dates an ingest recorded as touched (`event_dates_touched` in its materialization metadata)."""
    value = metadata.get("event_dates_touched")
    data = getattr(value, "data", value)
    return [str(d) for d in data] if isinstance(data, list) else []
