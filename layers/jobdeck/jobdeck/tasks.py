"""What people do to runs: Run Now, read history and one task, stop, Clear All."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jobdeck import audit, dispatch, jobs, parameters, store
from jobdeck.access import SYSTEM, Principal, require_operator
from jobdeck.domain import Page, Task, TaskStatus, TriggerInfo, TriggerType, new_task_id
from jobdeck.errors import Conflict, NotFound


def run_now(
    job_id: str, who: Principal = SYSTEM, values: dict[str, Any] | None = None, now: datetime | None = None
) -> Task:
    """Queue a task of the job at once; it runs even if the job is disabled (Pydio's "force run")."""
    now = now or datetime.now(UTC)
    job = jobs.get(job_id, who)
    require_operator(who, job)
    task = Task(
        job_id=job.id,
        id=new_task_id(now),
        status=TaskStatus.QUEUED,
        trigger=TriggerInfo(TriggerType.MANUAL, by=who.username),
        created_at=now,
        parameters=parameters.resolve(job.parameters, values or {}),
    )
    store.create_task(job, task, audit.entry(who, "job.run", job.id, task=task.id))
    dispatch.send([task], now)
    return task


def history(
    job_id: str, who: Principal, status: TaskStatus | None = None, limit: int = 50, cursor: str | None = None
) -> Page[Task]:
    jobs.get(job_id, who)
    return store.task_page(job_id, limit, cursor, status.value if status else None)


def get(job_id: str, task_id: str, who: Principal = SYSTEM) -> Task:
    jobs.get(job_id, who)
    task = store.get_task(job_id, task_id)
    if task is None:
        raise NotFound(f"no task {task_id!r} in job {job_id!r}")
    return task


def stop(job_id: str, task_id: str, who: Principal = SYSTEM, now: datetime | None = None) -> Task:
    """A queued task ends INTERRUPTED at once; a running one at its next checkpoint."""
    now = now or datetime.now(UTC)
    job = jobs.get(job_id, who)
    require_operator(who, job)
    task = get(job_id, task_id, who)
    entry = audit.entry(who, "task.stop", job_id, task=task_id, status=task.status.value)
    if task.status is TaskStatus.QUEUED and store.stop_queued(task, who.username, now, job.history_days, entry):
        return task
    if task.status is TaskStatus.RUNNING and store.request_stop(task, who.username, entry):
        return task
    current = get(job_id, task_id, who)
    raise Conflict(f"task {task_id!r} is {current.status.value}: only QUEUED or RUNNING tasks can be stopped")


def clear(job_id: str, who: Principal = SYSTEM) -> int:
    """Clear All: delete the job's finished history; QUEUED, RUNNING and PAUSED tasks stay."""
    job = jobs.get(job_id, who)
    require_operator(who, job)
    deleted = store.prune_history(job_id, keep=0)
    store.record(audit.entry(who, "tasks.clear", job_id, deleted=deleted))
    return deleted
