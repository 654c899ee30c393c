"""The writes of a run, each one DynamoDB transaction that moves a task and the job's summary
together: claim (QUEUED), start (RUNNING), finish. Three write requests per scheduled run."""

from __future__ import annotations

from datetime import datetime

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from jobdeck.domain import Job, Task, TaskStatus
from jobdeck.store.convert import expiry, item_from_task, log_maps, summary_map
from jobdeck.store.models import DUE, JobModel, TaskModel

_connection: Connection | None = None


def _transaction() -> TransactWrite:
    global _connection
    if _connection is None:
        _connection = Connection(region=JobModel.Meta.region)
    return TransactWrite(connection=_connection)


def reset() -> None:
    """Forget every DynamoDB connection, so the next request reads the endpoint afresh."""
    global _connection
    _connection = None
    JobModel._connection = None
    TaskModel._connection = None


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
        with _transaction() as tx:
            tx.update(
                JobModel(job.id),
                actions=actions,
                condition=(JobModel.next_fire_at == job.next_fire_at) & (JobModel.enabled == True),  # noqa: E712
            )
            for task in tasks:
                tx.save(item_from_task(task, job.history_days), condition=TaskModel.id.does_not_exist())
    except TransactWriteError as exc:
        if _any_condition_failed(exc):
            return False
        raise
    return True


def create_task(job: Job, task: Task) -> None:
    """Store a new QUEUED task (Run Now, an event) and show it as the job's last execution."""
    with _transaction() as tx:
        tx.save(item_from_task(task, job.history_days), condition=TaskModel.id.does_not_exist())
        tx.update(
            JobModel(job.id),
            actions=[JobModel.last_task.set(summary_map(task.summary()))],
            condition=JobModel.id.exists(),
        )


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


def _transition(task: Task, actions: list, condition: Condition) -> bool:
    """Update the task and, when this task is still the job's newest, the job's summary.

    The summary is skipped (second attempt, task alone) when a newer task already shows there or the
    job was deleted meanwhile; the task's own condition failing means someone else moved it first."""
    summary = JobModel.last_task.set(summary_map(task.summary()))
    newest = JobModel.id.exists() & (JobModel.last_task.does_not_exist() | (JobModel.last_task.id <= task.id))
    try:
        with _transaction() as tx:
            tx.update(TaskModel(task.job_id, task.id), actions=actions, condition=condition)
            tx.update(JobModel(task.job_id), actions=[summary], condition=newest)
        return True
    except TransactWriteError as exc:
        if _condition_failed(exc, 0):
            return False
        if not _condition_failed(exc, 1):
            raise
    try:
        TaskModel(task.job_id, task.id).update(actions=actions, condition=condition)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _condition_failed(exc: TransactWriteError, index: int) -> bool:
    reasons = exc.cancellation_reasons or []
    reason = reasons[index] if len(reasons) > index else None
    return reason is not None and reason.code == "ConditionalCheckFailed"


def _any_condition_failed(exc: TransactWriteError) -> bool:
    return any(r is not None and r.code == "ConditionalCheckFailed" for r in exc.cancellation_reasons or [])
