"""What Jobdeck tells CloudWatch: task outcomes (in all and per job), how late runs start, what
the tick and the router did. Embedded metric format, flushed by each handler's
`@metrics.log_metrics`; POWERTOOLS_METRICS_DISABLED=true keeps them quiet locally."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from jobdeck.config import Settings
from jobdeck.domain import Task, TaskStatus

NAMESPACE = "Jobdeck"
Handler = Callable[[Any, Any], Any]
metrics = Metrics(namespace=NAMESPACE)

_ENDED = {
    TaskStatus.FINISHED: "TasksFinished",
    TaskStatus.ERROR: "TasksFailed",
    TaskStatus.INTERRUPTED: "TasksInterrupted",
    TaskStatus.SKIPPED: "TasksSkipped",
}


def task_started(task: Task, at: datetime) -> None:
    """`StartLag`: from when the run was due (its slot, its backoff's end, or its creation) to now."""
    due = task.not_before or task.scheduled_for or task.created_at
    metrics.add_metric("TasksStarted", MetricUnit.Count, 1)
    metrics.add_metric("StartLag", MetricUnit.Seconds, max(0.0, (at - due).total_seconds()))


def task_ended(task: Task) -> None:
    """Counted in all, and per job (a dimension of its own, so the per-job series stay apart)."""
    name = _ENDED.get(task.status)
    if name is None:
        return
    metrics.add_metric(name, MetricUnit.Count, 1)
    # Its own document: the shared set's dimensions apply to every metric in it.
    per_job = EphemeralMetrics(namespace=NAMESPACE)
    per_job.add_dimension("job_id", task.job_id)
    per_job.add_metric(name, MetricUnit.Count, 1)
    per_job.flush_metrics()


def task_retried() -> None:
    metrics.add_metric("TasksRetried", MetricUnit.Count, 1)


def tick(claimed_slots: int, skipped_slots: int, redelivered: int, late_seconds: float) -> None:
    """`ScheduleLag`: how long after its slot the tick claimed the latest slot it found past."""
    metrics.add_metric("SlotsClaimed", MetricUnit.Count, claimed_slots)
    metrics.add_metric("SlotsSkipped", MetricUnit.Count, skipped_slots)
    metrics.add_metric("TasksRedelivered", MetricUnit.Count, redelivered)
    metrics.add_metric("ScheduleLag", MetricUnit.Seconds, late_seconds)


def routed(tasks_queued: int) -> None:
    metrics.add_metric("EventsRouted", MetricUnit.Count, 1)
    metrics.add_metric("EventTasksQueued", MetricUnit.Count, tasks_queued)


def delivery_failed(queue: str) -> None:
    """A message of `queue` ("Run", "Events") reported failed back to SQS. Lambda does not count
    those in its Errors (the invocation succeeded), so the errors alarms add this metric."""
    metrics.add_metric(f"{queue}DeliveriesFailed", MetricUnit.Count, 1)


def published(handler: Handler) -> Handler:
    """`metrics.log_metrics`, and the set emptied after every invocation (docs/developing.md,
    "Handler decorators")."""
    logged = metrics.log_metrics(handler)

    @functools.wraps(handler)
    def wrapper(event: Any, context: Any) -> Any:
        try:
            return logged(event, context)
        finally:
            metrics.clear_metrics()

    return wrapper


def traced(handler: Handler) -> Handler:
    """X-Ray capture of a handler, only when the stack turns tracing on (docs/developing.md,
    "Handler decorators")."""
    if not Settings.from_env().tracing:
        return handler
    from aws_lambda_powertools import Tracer

    captured: Handler = Tracer().capture_lambda_handler(handler)
    return captured
