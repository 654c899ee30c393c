"""The deadline watch: a run that has not FINISHED by its job's deadline (jobdeck.deadline) is
announced once: on the stack's topic, to the job's webhook, and as a `Jobdeck Deadline Missed`
event on the default bus; the run and its job keep the mark (the console's badge).

The system job "Watch deadlines" runs it every 5 minutes. It reads the jobs that have a deadline
(their own subscription partition) and the newest RECENT_RUNS runs of each: one still active past
its deadline, one that ended without FINISHING, and one that FINISHED late, all missed it; a run
SKIPPED never ran. The mark is a conditional write, so two watches at once announce a miss once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from jobdeck import clients, notify, store, webhooks
from jobdeck.config import Settings
from jobdeck.domain import Job, Task, TaskStatus
from jobdeck.store import deadlines as marks
from jobdeck.task_events import SOURCE

logger = Logger()

DETAIL_TYPE = "Jobdeck Deadline Missed"
RECENT_RUNS = 20  # of each job, newest first: a deadline concerns the runs of the last day or so


@dataclass(frozen=True)
class Miss:
    job: Job
    task: Task
    deadline: datetime


def watch(now: datetime, settings: Settings | None = None) -> list[Miss]:
    """Find the runs past their deadline not announced yet, mark and announce each."""
    settings = settings or Settings.from_env()
    missed = []
    for job in marks.jobs_with_deadlines():
        for task in store.list_tasks(job.id, limit=RECENT_RUNS):
            limit = _missed(job, task, now)
            if limit is not None and marks.mark_missed(task, now):
                miss = Miss(job, task, limit)
                announce(miss, settings)
                missed.append(miss)
    return missed


def _missed(job: Job, task: Task, now: datetime) -> datetime | None:
    """The deadline `task` has missed by `now`, or None."""
    if job.deadline is None or task.deadline_missed_at is not None or task.status is TaskStatus.SKIPPED:
        return None
    limit = job.deadline.of_run(task.scheduled_for or task.created_at, task.started_at)
    if limit is None or now < limit:
        return None
    if task.status is TaskStatus.FINISHED and task.ended_at is not None and task.ended_at <= limit:
        return None
    return limit


def document(miss: Miss) -> dict[str, Any]:
    task = miss.task
    return {
        "job_id": miss.job.id,
        "job_label": miss.job.label,
        "task_id": task.id,
        "status": task.status.value,
        "deadline": miss.deadline.isoformat(),
        "scheduled_for": task.scheduled_for.isoformat() if task.scheduled_for else None,
        "started_at": task.started_at.isoformat() if task.started_at else None,
        "ended_at": task.ended_at.isoformat() if task.ended_at else None,
    }


def announce(miss: Miss, settings: Settings) -> None:
    """Topic, webhook and event bus, each on its own: one that fails is logged, the others go."""
    body = document(miss)
    job, task = miss.job, miss.task
    where = {"job_id": job.id, "task_id": task.id}
    if job.notify.topic and settings.notify_topic_arn:
        try:
            subject = f"Jobdeck: {job.label} missed its deadline"
            notify.publish(settings.notify_topic_arn, subject, json.dumps(body), {"job_id": job.id, "kind": "deadline"})
        except Exception:
            logger.exception("could not publish the missed deadline", extra=where)
    if job.notify.webhook:
        try:
            webhooks.post_json(job.notify.webhook, {"event": "deadline_missed", **body}, allow=settings.webhook_allow)
        except Exception as exc:  # the URL may carry a secret: the reason only
            logger.warning("the deadline webhook was not delivered", extra={**where, "reason": str(exc)})
    try:
        entry = {"Source": SOURCE, "DetailType": DETAIL_TYPE, "Detail": json.dumps(body), "Resources": []}
        answer = clients.events().put_events(Entries=[entry])  # type: ignore[list-item]
        if answer.get("FailedEntryCount"):
            logger.warning("the missed-deadline event was refused", extra=where)
    except Exception:
        logger.exception("could not put the missed-deadline event", extra=where)
