"""Job definitions: create, read, save, and the due query of the tick."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from pynamodb.exceptions import PutError, UpdateError

from jobdeck.domain import Job
from jobdeck.errors import Conflict
from jobdeck.store.convert import item_from_job, job_from_item
from jobdeck.store.models import DUE, JobModel


def get_job(job_id: str) -> Job | None:
    try:
        return job_from_item(JobModel.get(job_id, consistent_read=True))
    except JobModel.DoesNotExist:
        return None


def create_job(job: Job) -> None:
    """Store a new job; Conflict if the id is taken."""
    try:
        item_from_job(job).save(condition=JobModel.id.does_not_exist())
    except PutError as exc:
        if _condition_failed(exc):
            raise Conflict(f"job {job.id!r} already exists") from None
        raise


def save_job(job: Job, expected_version: int) -> None:
    """Write a job's definition (and its next run) if its stored version is still
    `expected_version`; Conflict otherwise. The scheduler's own fields (runs fired, last task) are
    left alone, so an edit never undoes a claim the tick made meanwhile."""
    item = item_from_job(job)
    values = [(attr, getattr(item, attr.attr_name)) for attr in _DEFINITION]
    actions = [attr.remove() if value is None else attr.set(value) for attr, value in values]
    if item.next_fire_at is None:
        actions += [JobModel.next_fire_at.remove(), JobModel.due.remove()]
    else:
        actions += [JobModel.next_fire_at.set(item.next_fire_at), JobModel.due.set(DUE)]
    try:
        JobModel(job.id).update(actions=actions, condition=JobModel.version == expected_version)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict(f"job {job.id!r} changed since version {expected_version}") from None
        raise


_DEFINITION = [
    JobModel.label,
    JobModel.owner,
    JobModel.kind,
    JobModel.description,
    JobModel.enabled,
    JobModel.schedule,
    JobModel.actions,
    JobModel.parameters,
    JobModel.timeout_seconds,
    JobModel.history_days,
    JobModel.version,
    JobModel.updated_at,
]


def all_jobs() -> Iterator[Job]:
    for item in JobModel.scan():
        yield job_from_item(item)


def due_jobs(until: datetime) -> list[Job]:
    """Enabled scheduled jobs whose next run is at or before `until`, soonest first."""
    query = JobModel.due_index.query(DUE, JobModel.next_fire_at <= until)
    return [job_from_item(item) for item in query]


def _condition_failed(exc: PutError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"
