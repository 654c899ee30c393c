"""What people do to runs: Run Now, backfill, read history and one task, stop, pause, resume,
Clear All."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from jobdeck import audit, jobs, lifecycle, overlap, parameters, schedules, store
from jobdeck.access import SYSTEM, Principal, require_operator
from jobdeck.domain import (
    Overlap,
    Page,
    Task,
    TaskStatus,
    TriggerInfo,
    TriggerType,
    derived_task_id,
    new_task_id,
    slot_task_id,
)
from jobdeck.errors import Conflict, InvalidJob, NotFound

MAX_BACKFILL = 1000  # slots per request: each is a task, and they are written before any runs


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
    with lifecycle.enqueue(now) as queue:
        queue.add(job, [task], audit.entry(who, "job.run", job.id, task=task.id))
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


def backfill(
    job_id: str,
    start: datetime,
    end: datetime,
    who: Principal = SYSTEM,
    policy: Overlap = Overlap.BUFFER_ALL,
    values: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> tuple[list[Task], int]:
    """Run every slot of the job's schedule in [start, end), each as its own task with its
    `scheduled_for`, oldest first. A slot that ran already (scheduled, or an earlier backfill) is
    not run again. Returns the new tasks and how many slots had run already."""
    now = now or datetime.now(UTC)
    job = jobs.get(job_id, who)
    require_operator(who, job)
    if job.schedule is None:
        raise InvalidJob("schedule", "the job has no schedule: there are no slots to backfill")
    if start >= end:
        raise InvalidJob("end", "must be after start")
    if end > now:
        raise InvalidJob("end", "must not be in the future: the schedule itself runs those slots")
    slots = _slots(schedules.parse(job.schedule.expression, job.schedule.timezone), start, end)
    chosen = parameters.resolve(job.parameters, values or {})
    ran = store.existing_tasks(job.id, [slot_task_id(job.id, slot) for slot in slots])
    planned = [
        Task(
            job_id=job.id,
            id=derived_task_id(job.id, slot, f"backfill|{int(slot.timestamp() * 1000)}"),
            status=TaskStatus.QUEUED,
            trigger=TriggerInfo(TriggerType.BACKFILL, by=who.username, detail={"expression": job.schedule.expression}),
            created_at=now,
            scheduled_for=slot,
            parameters=chosen,
            overlap=policy,
        )
        for slot in slots
        if slot_task_id(job.id, slot) not in ran
    ]
    entry = audit.entry(who, "job.backfill", job.id, start=start.isoformat(), end=end.isoformat(), slots=len(slots))
    with lifecycle.enqueue(now) as queue:
        created = queue.add(job, planned, entry)  # past slots: sent with no delay
    return created, len(slots) - len(created)


def _slots(schedule: schedules.Schedule, start: datetime, end: datetime) -> list[datetime]:
    """The slots of [start, end), at most MAX_BACKFILL."""
    slots: list[datetime] = []
    try:
        moment = schedule.next(start - timedelta(microseconds=1))
        while moment is not None and moment < end:
            if len(slots) == MAX_BACKFILL:
                raise InvalidJob("end", f"the range holds more than {MAX_BACKFILL} slots: backfill a shorter one")
            slots.append(moment)
            moment = schedule.next(moment)
    except OverflowError:  # a start in the first hours of year 1, in UTC
        raise InvalidJob("start", "too early: dates begin on 0001-01-01 in UTC") from None
    return slots


def stop(job_id: str, task_id: str, who: Principal = SYSTEM, now: datetime | None = None) -> Task:
    """A queued or paused task ends INTERRUPTED at once; a running one at its next checkpoint."""
    now = now or datetime.now(UTC)
    job = jobs.get(job_id, who)
    require_operator(who, job)
    task = get(job_id, task_id, who)
    entry = audit.entry(who, "task.stop", job_id, task=task_id, status=task.status.value)
    waiting = task.status in (TaskStatus.QUEUED, TaskStatus.PAUSED)
    if waiting and store.stop_queued(task, who.username, now, job.history_days, entry):
        overlap.leave(job_id, task_id)
        return task
    if task.status is TaskStatus.RUNNING and store.request(task, "stop", who.username, entry):
        return task
    current = get(job_id, task_id, who)
    raise Conflict(f"task {task_id!r} is {current.status.value}: only QUEUED, RUNNING or PAUSED tasks can be stopped")


def pause(job_id: str, task_id: str, who: Principal = SYSTEM) -> Task:
    """A running task parks as PAUSED at its next checkpoint, keeping its progress."""
    job = jobs.get(job_id, who)
    require_operator(who, job)
    task = get(job_id, task_id, who)
    entry = audit.entry(who, "task.pause", job_id, task=task_id)
    if task.status is TaskStatus.RUNNING and store.request(task, "pause", who.username, entry):
        return task
    current = get(job_id, task_id, who)
    raise Conflict(f"task {task_id!r} is {current.status.value}: only a RUNNING task can be paused")


def resume(job_id: str, task_id: str, who: Principal = SYSTEM, now: datetime | None = None) -> Task:
    """A paused task is queued again and continues where it paused, in a new invocation."""
    now = now or datetime.now(UTC)
    job = jobs.get(job_id, who)
    require_operator(who, job)
    task = get(job_id, task_id, who)
    entry = audit.entry(who, "task.resume", job_id, task=task_id)
    if task.status is TaskStatus.PAUSED:
        with lifecycle.enqueue(now) as queue:
            resumed = queue.resume(task, entry)
        if resumed:
            return task
    current = get(job_id, task_id, who)
    raise Conflict(f"task {task_id!r} is {current.status.value}: only a PAUSED task can be resumed")


def clear(job_id: str, who: Principal = SYSTEM) -> int:
    """Clear All: delete the job's finished history; QUEUED, RUNNING and PAUSED tasks stay."""
    job = jobs.get(job_id, who)
    require_operator(who, job)
    deleted = store.prune_history(job_id, keep=0)
    store.record(audit.entry(who, "tasks.clear", job_id, deleted=deleted))
    return deleted
