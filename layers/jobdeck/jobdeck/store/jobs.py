"""Job definitions: create, read, save, and the due query of the tick."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from datetime import datetime
from typing import Any

from pynamodb.attributes import Attribute
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.update import Action

from jobdeck.domain import AuditEntry, Job, Page, Task
from jobdeck.errors import Conflict
from jobdeck.store import pages
from jobdeck.store.convert import audit_item, item_from_job, item_from_task, job_from_item, subscription_items
from jobdeck.store.models import DUE, JobModel, SubscriptionModel, TaskModel
from jobdeck.store.transactions import transaction


def get_job(job_id: str) -> Job | None:
    try:
        return job_from_item(JobModel.get(job_id, consistent_read=True))
    except JobModel.DoesNotExist:
        return None


def create_job(job: Job, audit: AuditEntry | None = None, task: Task | None = None) -> None:
    """Store a new job (and its audit entry, and a first task, in the same transaction); Conflict
    if the id is taken."""
    if task is not None:
        job.last_task = task.summary()
    try:
        with transaction() as tx:
            tx.save(item_from_job(job), condition=JobModel.id.does_not_exist())
            if task is not None:
                tx.save(item_from_task(task, job.history_days), condition=TaskModel.id.does_not_exist())
            for subscription in subscription_items(job):
                tx.save(subscription)
            if audit:
                tx.save(audit_item(audit))
    except TransactWriteError as exc:
        if tx.failed(exc, JobModel):
            raise Conflict(f"job {job.id!r} already exists") from None
        raise


def save_job(job: Job, expected_version: int, audit: AuditEntry | None = None, previous: Job | None = None) -> None:
    """Write a job's definition (and its next run) if its stored version is still
    `expected_version`; Conflict otherwise. The scheduler's own fields (runs fired, last task) are
    left alone, so an edit never undoes a claim the tick made meanwhile. Its event subscriptions
    follow in the same transaction (those of `previous` that it no longer has are deleted)."""
    item = item_from_job(job)
    values = [(attr, getattr(item, attr.attr_name)) for attr in _DEFINITION]
    actions: list[Action] = [attr.remove() if value is None else attr.set(value) for attr, value in values]
    if job.after is not None:  # what it has seen of its upstream runs is kept through an edit
        actions.append(JobModel.upstream.set(JobModel.upstream | {}))
    if item.next_fire_at is None:
        actions += [JobModel.next_fire_at.remove(), JobModel.due.remove()]
    else:
        actions += [JobModel.next_fire_at.set(item.next_fire_at), JobModel.due.set(DUE)]
    try:
        with transaction() as tx:
            tx.update(JobModel(job.id), actions=actions, condition=JobModel.version == expected_version)
            current = subscription_items(job)
            keys = {s.event_key for s in current}
            for subscription in current:
                tx.save(subscription)
            for gone in subscription_items(previous) if previous else []:
                if gone.event_key not in keys:
                    tx.delete(gone)
            if audit:
                tx.save(audit_item(audit))
    except TransactWriteError as exc:
        if tx.failed(exc, JobModel):
            raise Conflict(f"job {job.id!r} changed since version {expected_version}") from None
        raise


def delete_job(job: Job, audit: AuditEntry) -> None:
    """Delete a job if it was not edited since it was read; its history goes with it."""
    try:
        with transaction() as tx:
            tx.delete(JobModel(job.id), condition=JobModel.version == job.version)
            for subscription in subscription_items(job):
                tx.delete(subscription)
            tx.save(audit_item(audit))
    except TransactWriteError as exc:
        if tx.failed(exc, JobModel):
            raise Conflict(f"job {job.id!r} changed since version {job.version}") from None
        raise


def list_jobs(
    limit: int = 50,
    cursor: str | None = None,
    owner: str | None = None,
    kind: str | None = None,
    enabled: bool | None = None,
) -> Page[Job]:
    """A page of jobs, by owner through its index, otherwise from the table. Filters apply after
    reading, so a page is filled from as many reads as it takes (each read at most `limit` items)."""
    condition = None
    for matches in (
        JobModel.kind == kind if kind else None,
        JobModel.enabled == enabled if enabled is not None else None,
    ):
        if matches is not None:
            condition = matches if condition is None else condition & matches
    found: list[Job] = []
    if owner:
        last_key = pages.start_key(cursor, [JobModel.owner, JobModel.id], partition=(JobModel.owner, owner))
    else:
        last_key = pages.start_key(cursor, [JobModel.id])
    while True:
        if owner:
            result = JobModel.owner_index.query(
                owner, filter_condition=condition, limit=limit - len(found), last_evaluated_key=last_key
            )
        else:
            result = JobModel.scan(condition, limit=limit - len(found), last_evaluated_key=last_key)
        found += [job_from_item(item) for item in result]
        last_key = result.last_evaluated_key
        if not last_key or len(found) >= limit:
            return Page(found, pages.encode(last_key))


_DEFINITION: list[Attribute[Any]] = [
    JobModel.after,
    JobModel.deadline,
    JobModel.label,
    JobModel.owner,
    JobModel.kind,
    JobModel.description,
    JobModel.enabled,
    JobModel.schedule,
    JobModel.events,
    JobModel.hooks,
    JobModel.actions,
    JobModel.on_failure,
    JobModel.parameters,
    JobModel.timeout_seconds,
    JobModel.history_days,
    JobModel.overlap,
    JobModel.max_concurrency,
    JobModel.retry,
    JobModel.notify,
    JobModel.pause_after_failures,
    # An edit or an Enable starts the failure count afresh and lifts a pause.
    JobModel.failures_in_row,
    JobModel.paused_reason,
    JobModel.origin,
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


def subscribers(event_key: str) -> list[tuple[str, dict[str, Any]]]:
    """(job id, trigger) of every job subscribed to an event key."""
    return [(item.job_id, item.trigger.as_dict()) for item in SubscriptionModel.query(event_key)]


def get_jobs(job_ids: list[str]) -> list[Job]:
    """Several jobs in one read (BatchGetItem); missing ones are left out."""
    return [job_from_item(item) for item in JobModel.batch_get(job_ids)]


def expire_job(job_id: str, at: datetime) -> None:
    """Let DynamoDB remove the job at `at` (a user job, once its task ended)."""
    with suppress(UpdateError):  # deleted already: nothing to expire
        JobModel(job_id).update(actions=[JobModel.expires_at.set(at)], condition=JobModel.id.exists())
