"""One upcoming slot of a job skipped, its skip undone, or moved to another time: each a write of
the job's item (and, for a move, the slot's task) with its audit entry, in one transaction, on
the condition that the tick has not passed the slot yet and nobody changed the job's slots since
it was read. The tick's claim is conditioned on the same count (`slot_changes`), so a claim
planned before the change is refused and planned again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError

from jobdeck.domain import AuditEntry, Job, Task
from jobdeck.errors import Conflict
from jobdeck.store.convert import audit_item, item_from_task
from jobdeck.store.models import JobModel, TaskModel
from jobdeck.store.transactions import transaction


def skip_slot(job: Job, slot: datetime, audit: AuditEntry) -> None:
    skipped = sorted({*job.skipped_slots, slot})
    _change(job, slot, [JobModel.skipped_slots.set([s.isoformat() for s in skipped])], audit)


def unskip_slot(job: Job, slot: datetime, audit: AuditEntry) -> None:
    kept = [s.isoformat() for s in job.skipped_slots if s != slot]
    _change(job, slot, [JobModel.skipped_slots.set(kept)], audit)


def move_slot(job: Job, slot: datetime, task: Task, audit: AuditEntry) -> None:
    """The slot's task, created now for when it was moved to (a run counted, as the tick counts its
    claims); the job remembers the move so that the tick passes the slot itself."""
    assert task.scheduled_for is not None
    moved = {**job.moved_slots, slot: task.scheduled_for}
    actions = [
        JobModel.moved_slots.set({s.isoformat(): to.isoformat() for s, to in moved.items()}),
        JobModel.runs_fired.add(1),
    ]
    _change(job, slot, actions, audit, task)


def _change(job: Job, slot: datetime, actions: list[Any], audit: AuditEntry, task: Task | None = None) -> None:
    unchanged = JobModel.slot_changes == job.slot_changes
    if job.slot_changes == 0:
        unchanged = unchanged | JobModel.slot_changes.does_not_exist()
    # The tick has not claimed or passed the slot: the job's next slot is not after it (a disabled
    # job has none, and nothing claims its slots).
    not_passed = (JobModel.next_fire_at <= slot) | JobModel.next_fire_at.does_not_exist()
    try:
        with transaction() as tx:
            tx.update(
                JobModel(job.id),
                actions=[*actions, JobModel.slot_changes.set(job.slot_changes + 1)],
                condition=JobModel.id.exists() & unchanged & not_passed,
            )
            if task is not None:
                tx.save(item_from_task(task, job.history_days), condition=TaskModel.id.does_not_exist())
            tx.save(audit_item(audit))
    except TransactWriteError as exc:
        if tx.failed(exc, JobModel):
            raise Conflict(
                f"job {job.id!r} changed, or its slot {slot.isoformat()} was claimed: read it again"
            ) from None
        if tx.failed(exc, TaskModel):
            raise Conflict(f"slot {slot.isoformat()} of job {job.id!r} has its task already") from None
        raise
