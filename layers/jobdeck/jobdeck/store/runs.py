"""The writes of a run, each one DynamoDB transaction that moves a task and the job's summary
together: claim (QUEUED), start (RUNNING), finish. Three write requests per scheduled run."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition

from jobdeck.domain import AuditEntry, Job, Task, TaskStatus
from jobdeck.store.convert import audit_item, expiry, item_from_task, log_maps, summary_map
from jobdeck.store.models import DUE, JobModel, TaskModel
from jobdeck.store.transactions import condition_failed, transaction


def claim_slots(job: Job, tasks: list[Task], next_fire_at: datetime | None) -> bool:
    """Create the QUEUED tasks of due slots and move the job's next run, only if no other tick did
    it first (the job's next run is still the one we read). False when we lost that race."""
    actions = [JobModel.runs_fired.set(job.runs_fired + len(tasks))]
    if tasks:
        actions.append(JobModel.last_task.set(summary_map(tasks[-1].summary())))
    if next_fire_at is None:
        actions += [JobModel.next_fire_at.remove(), JobModel.due.remove()]
    else:
        actions += [JobModel.next_fire_at.set(next_fire_at), JobModel.due.set(DUE)]
    try:
        with transaction() as tx:
            tx.update(
                JobModel(job.id),
                actions=actions,
                condition=(JobModel.next_fire_at == job.next_fire_at) & (JobModel.enabled == True),  # noqa: E712
            )
            for task in tasks:
                tx.save(item_from_task(task, job.history_days), condition=TaskModel.id.does_not_exist())
    except TransactWriteError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def create_task(job: Job, task: Task, audit: AuditEntry | None = None) -> bool:
    """Store a new QUEUED task (Run Now, an event) and show it as the job's last execution. False
    when a task of that id exists already (the same event delivered twice) or the job is gone."""
    try:
        with transaction() as tx:
            tx.save(item_from_task(task, job.history_days), condition=TaskModel.id.does_not_exist())
            tx.update(
                JobModel(job.id),
                actions=[JobModel.last_task.set(summary_map(task.summary()))],
                condition=JobModel.id.exists(),
            )
            if audit:
                tx.save(audit_item(audit))
    except TransactWriteError as exc:
        if condition_failed(exc):
            return False
        raise
    return True


def start_task(task: Task, at: datetime) -> bool:
    """QUEUED -> RUNNING, once: False when the task was not QUEUED (a duplicate delivery)."""
    task.status, task.started_at = TaskStatus.RUNNING, at
    return _transition(
        task,
        [
            TaskModel.status.set(task.status.value),
            TaskModel.started_at.set(at),
            TaskModel.queued.remove(),
            TaskModel.due_at.remove(),
        ],
        TaskModel.status == TaskStatus.QUEUED.value,
    )


def finish_task(task: Task, history_days: int) -> bool:
    """Record how a RUNNING task ended (status, message, logs, progress) and start its TTL."""
    return _transition(
        task,
        [
            TaskModel.status.set(task.status.value),
            TaskModel.ended_at.set(task.ended_at),
            TaskModel.progress.set(task.progress),
            TaskModel.message.set(task.message) if task.message else TaskModel.message.remove(),
            TaskModel.logs.set(log_maps(task.logs)),
            TaskModel.active_job.remove(),
            TaskModel.expires_at.set(expiry(task, history_days)),
        ],
        TaskModel.status == TaskStatus.RUNNING.value,
    )


def stop_queued(task: Task, by: str, at: datetime, history_days: int, audit: AuditEntry) -> bool:
    """QUEUED -> INTERRUPTED before it started; False when it was no longer QUEUED."""
    task.status, task.ended_at = TaskStatus.INTERRUPTED, at
    task.message, task.stop_requested_by = f"stopped by {by} before it started", by
    return _transition(
        task,
        [
            TaskModel.status.set(task.status.value),
            TaskModel.ended_at.set(at),
            TaskModel.message.set(task.message),
            TaskModel.stop_requested_by.set(by),
            TaskModel.active_job.remove(),
            TaskModel.queued.remove(),
            TaskModel.due_at.remove(),
            TaskModel.expires_at.set(expiry(task, history_days)),
        ],
        TaskModel.status == TaskStatus.QUEUED.value,
        audit,
    )


def request_stop(task: Task, by: str, audit: AuditEntry) -> bool:
    """Ask a RUNNING task to stop at its next checkpoint; False when it was not RUNNING."""
    try:
        with transaction() as tx:
            tx.update(
                TaskModel(task.job_id, task.id),
                actions=[TaskModel.stop_requested_by.set(by)],
                condition=TaskModel.status == TaskStatus.RUNNING.value,
            )
            tx.save(audit_item(audit))
    except TransactWriteError as exc:
        if condition_failed(exc, 0):
            return False
        raise
    task.stop_requested_by = by
    return True


def _transition(task: Task, actions: list, condition: Condition, audit: AuditEntry | None = None) -> bool:
    """Update the task and, when this task is still the job's newest, the job's summary.

    The summary is skipped (second attempt, task alone) when a newer task already shows there or the
    job was deleted meanwhile; the task's own condition failing means someone else moved it first."""
    summary = JobModel.last_task.set(summary_map(task.summary()))
    newest = JobModel.id.exists() & (JobModel.last_task.does_not_exist() | (JobModel.last_task.id <= task.id))
    for with_summary in (True, False):
        try:
            with transaction() as tx:
                tx.update(TaskModel(task.job_id, task.id), actions=actions, condition=condition)
                if with_summary:
                    tx.update(JobModel(task.job_id), actions=[summary], condition=newest)
                if audit:
                    tx.save(audit_item(audit))
            return True
        except TransactWriteError as exc:
            if condition_failed(exc, 0):
                return False
            if not (with_summary and condition_failed(exc, 1)):
                raise
    raise AssertionError("the second attempt returns or raises")
