"""Failed runs become alerts: a run-failure sensor requests a small run that records the failure
in alerts.alerts (sensors never write the warehouse; runs do, in the writer pool). The alerts
asset's notifier posts it with the rest."""

import dagster as dg
import polars as pl

from ..privacy import redact
from ..resources import WarehouseResource, retried_on_lake_conflict, writer_pool
from . import store
from .rules import ERROR, Alert


class FailureConfig(dg.Config):
    run_id: str
    job_name: str
    message: str = ""


@dg.op(pool=writer_pool("alerts"), description="Record one failed run in alerts.alerts (once per run).")
@retried_on_lake_conflict
def record_run_failure(config: FailureConfig, warehouse: WarehouseResource) -> None:
    alert = Alert(key=f"{store.FAILURE_RULE}|{config.job_name}|{config.run_id}", rule=store.FAILURE_RULE, severity=ERROR,
                  subject=f"job {config.job_name}", message=f"run {config.run_id[:8]} of {config.job_name} failed: {config.message}")
    with warehouse.connect() as con:
        store.open_alert(con, alert)


@dg.job(description="Records a failed run as an alert (launched by run_failure_sensor).")
def record_run_failure_job():
    record_run_failure()


def _clean(message: str) -> str:
    """Error text may carry paths, hosts or secrets: redacted and bounded like every free-text field."""
    return pl.DataFrame({"m": [message or ""]}).select(redact(pl.col("m")))["m"][0][:500]


@dg.run_failure_sensor(
    name="run_failure_sensor",
    request_job=record_run_failure_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="When a run of this code location fails, requests record_run_failure_job so the failure lands in "
    "alerts.alerts (ERROR) and reaches the webhook with the next alerts evaluation. One request per failed run "
    "(run_key = its id); failures of the recording job itself are not recorded again.",
)
def run_failure_sensor(context: dg.RunFailureSensorContext):
    run = context.dagster_run
    if run.job_name == record_run_failure_job.name:
        return dg.SkipReason("the failure recorder itself failed: not recorded again")
    message = context.failure_event.message if context.failure_event else ""
    return dg.RunRequest(run_key=run.run_id, run_config={"ops": {"record_run_failure": {"config": {
        "run_id": run.run_id, "job_name": run.job_name, "message": _clean(message)}}}})
