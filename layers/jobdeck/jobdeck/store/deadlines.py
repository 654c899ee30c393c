"""The runs the deadline watch looks at, and the mark that makes each miss announced once."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import UpdateError

from jobdeck.domain import Job, Task
from jobdeck.store.convert import job_from_item
from jobdeck.store.models import DEADLINE_KEY, JobModel, SubscriptionModel, TaskModel


def jobs_with_deadlines() -> list[Job]:
    """Every job that has a deadline: one Query of their subscription, one BatchGetItem."""
    ids = [item.job_id for item in SubscriptionModel.query(DEADLINE_KEY)]
    return [job_from_item(item) for item in JobModel.batch_get(ids)] if ids else []


def mark_missed(task: Task, at: datetime) -> bool:
    """Record that `task` missed its deadline, on the task and as its job's last miss; False when it
    was recorded already (the watch runs every minute: each miss is announced once)."""
    try:
        TaskModel(task.job_id, task.id).update(
            [TaskModel.deadline_missed_at.set(at)],
            condition=TaskModel.id.exists() & TaskModel.deadline_missed_at.does_not_exist(),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    try:
        JobModel(task.job_id).update(
            [JobModel.deadline_missed.set({"task_id": task.id, "at": at.isoformat()})],
            condition=JobModel.id.exists(),
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
    return True
