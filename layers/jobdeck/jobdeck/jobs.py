"""What people do to jobs: create, enable, disable, run now. Checks come before any write, so a
refused job leaves nothing behind."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jobdeck import actions, dispatch, schedules, slots, store
from jobdeck.domain import Job, Task, TaskStatus, TriggerInfo, TriggerType, new_task_id
from jobdeck.errors import InvalidJob, NotFound


def validate(job: Job) -> None:
    """Raise InvalidJob (naming the field) or InvalidSchedule for a definition that cannot run."""
    if not job.id or not job.label:
        raise InvalidJob("id" if not job.id else "label", "must not be empty")
    if job.schedule is not None:
        schedules.parse(job.schedule.expression, job.schedule.timezone)
    for index, step in enumerate(job.actions):
        action = actions.get(step.action)
        if action is None:
            known = ", ".join(a.name for a in actions.catalog())
            raise InvalidJob(f"actions[{index}].action", f"unknown action {step.action!r} (known: {known})")
        try:
            action.validate(step.parameters)
        except actions.InvalidParameters as exc:
            raise InvalidJob(f"actions[{index}].parameters", exc.problem) from None


def create(job: Job, now: datetime | None = None) -> Job:
    now = now or datetime.now(UTC)
    validate(job)
    job.created_at = job.updated_at = now
    job.version, job.runs_fired, job.last_task = 1, 0, None
    job.next_fire_at = slots.first_fire(job, now) if job.enabled else None
    store.create_job(job)
    return job


def set_enabled(job_id: str, enabled: bool, now: datetime | None = None) -> Job:
    """Enable (the schedule resumes from now: no replay of what was missed while off) or disable."""
    now = now or datetime.now(UTC)
    job = _existing(job_id)
    if job.enabled == enabled:
        return job
    expected = job.version
    job.enabled, job.version, job.updated_at = enabled, job.version + 1, now
    job.next_fire_at = slots.first_fire(job, now) if enabled else None
    store.save_job(job, expected)
    return job


def run_now(
    job_id: str, by: str, parameters: dict[str, Any] | None = None, now: datetime | None = None
) -> Task:
    """Queue a task of the job at once (Run Now); it runs even if the job is disabled."""
    now = now or datetime.now(UTC)
    job = _existing(job_id)
    task = Task(
        job_id=job.id,
        id=new_task_id(now),
        status=TaskStatus.QUEUED,
        trigger=TriggerInfo(TriggerType.MANUAL, by=by),
        created_at=now,
        parameters=dict(parameters or {}),
    )
    store.create_task(job, task)
    dispatch.send([task], now)
    return task


def _existing(job_id: str) -> Job:
    job = store.get_job(job_id)
    if job is None:
        raise NotFound(f"no job {job_id!r}")
    return job
