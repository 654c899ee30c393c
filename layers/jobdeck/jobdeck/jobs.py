"""What people do to job definitions: create, read, list, replace, delete, enable, disable. Every
check comes before any write, so a refused request leaves nothing behind, and every change writes
its audit entry in the same transaction."""

from __future__ import annotations

from dataclasses import replace as copy_with
from datetime import UTC, datetime

from jobdeck import actions, audit, parameters, schedules, slots, store
from jobdeck.access import SYSTEM, Principal, require_admin, require_visible
from jobdeck.domain import Job, JobKind, Page
from jobdeck.errors import Conflict, InvalidJob

MAX_ACTIONS = 50


def validate(job: Job) -> None:
    """Raise InvalidJob (naming the field) or InvalidSchedule for a definition that cannot run."""
    if not job.id or not job.label:
        raise InvalidJob("id" if not job.id else "label", "must not be empty")
    if job.schedule is not None:
        schedules.parse(job.schedule.expression, job.schedule.timezone)
    if len(job.actions) > MAX_ACTIONS:
        raise InvalidJob("actions", f"at most {MAX_ACTIONS} steps")
    for index, step in enumerate(job.actions):
        action = actions.get(step.action)
        if action is None:
            known = ", ".join(a.name for a in actions.catalog())
            raise InvalidJob(f"actions[{index}].action", f"unknown action {step.action!r} (known: {known})")
        if "{{" in repr(step.parameters):
            continue  # templated: checked against the schema once rendered, at run time
        try:
            action.validate(step.parameters)
        except actions.InvalidParameters as exc:
            raise InvalidJob(f"actions[{index}].parameters", exc.problem) from None
    parameters.check_declarations(job.parameters)


def create(job: Job, who: Principal = SYSTEM, now: datetime | None = None) -> Job:
    require_admin(who, "create jobs")
    now = now or datetime.now(UTC)
    validate(job)
    job.created_at = job.updated_at = now
    job.version, job.runs_fired, job.last_task = 1, 0, None
    job.next_fire_at = slots.first_fire(job, now) if job.enabled else None
    store.create_job(job, audit.entry(who, "job.create", job.id, None, 1))
    return job


def get(job_id: str, who: Principal = SYSTEM) -> Job:
    return require_visible(who, store.get_job(job_id), job_id)


def page(
    who: Principal,
    limit: int = 50,
    cursor: str | None = None,
    kind: JobKind | None = None,
    owner: str | None = None,
    enabled: bool | None = None,
) -> Page[Job]:
    """The admin list; someone who is not an admin sees their own jobs only."""
    if not who.is_admin:
        owner = who.username
    return store.list_jobs(limit, cursor, owner=owner, kind=kind.value if kind else None, enabled=enabled)


def replace(job_id: str, new: Job, expected_version: int, who: Principal, now: datetime | None = None) -> Job:
    """Replace a definition read at `expected_version` (409 Conflict if it changed since)."""
    now = now or datetime.now(UTC)
    current = get(job_id, who)  # someone else's job is a 404 before it is a 403
    require_admin(who, "edit jobs")
    if current.kind is JobKind.SYSTEM:
        raise Conflict("system jobs are defined by Jobdeck: disable this one and create a custom job instead")
    if current.version != expected_version:
        raise Conflict(f"job {job_id!r} is at version {current.version}, not {expected_version}: read it again")
    updated = copy_with(
        new,
        id=current.id,
        kind=current.kind,
        version=current.version + 1,
        created_at=current.created_at,
        updated_at=now,
        runs_fired=current.runs_fired,
        last_task=current.last_task,
    )
    validate(updated)
    rescheduled = updated.schedule != current.schedule or updated.enabled != current.enabled
    updated.next_fire_at = (
        (slots.first_fire(updated, now) if updated.enabled else None) if rescheduled else current.next_fire_at
    )
    store.save_job(
        updated, expected_version, audit.entry(who, "job.replace", job_id, expected_version, updated.version)
    )
    return updated


def delete(job_id: str, who: Principal) -> None:
    job = get(job_id, who)
    require_admin(who, "delete jobs")
    if job.kind is JobKind.SYSTEM:
        raise Conflict("system jobs can be disabled, not deleted")
    store.delete_job(job, audit.entry(who, "job.delete", job_id, job.version, None))
    store.prune_history(job_id, keep=0)


def set_enabled(job_id: str, enabled: bool, who: Principal = SYSTEM, now: datetime | None = None) -> Job:
    """Enable (the schedule resumes from now: nothing missed while off is replayed) or disable."""
    now = now or datetime.now(UTC)
    job = get(job_id, who)
    require_admin(who, "enable or disable jobs")
    if job.enabled == enabled:
        return job
    expected = job.version
    job.enabled, job.version, job.updated_at = enabled, job.version + 1, now
    job.next_fire_at = slots.first_fire(job, now) if enabled else None
    action = "job.enable" if enabled else "job.disable"
    store.save_job(job, expected, audit.entry(who, action, job_id, expected, job.version))
    return job
