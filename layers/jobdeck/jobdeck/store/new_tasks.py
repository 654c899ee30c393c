"""Tasks entering the queue for the first time, each write one DynamoDB transaction with what their
job's item records of them: the tick's claims of due slots (the job's next run moves on) and the
tasks people and events add (Run Now, hooks, events, backfills, external rules). Which of these
writes is followed by a message, and who sends it: `jobdeck.lifecycle`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action

from jobdeck.domain import AuditEntry, Job, SkippedSlot, Task
from jobdeck.store.convert import audit_item, item_from_task, summary_map
from jobdeck.store.models import DUE, JobModel, TaskModel
from jobdeck.store.skipped_slots import skipped_item
from jobdeck.store.tasks import existing_tasks
from jobdeck.store.transactions import transaction

TASKS_PER_TRANSACTION = 90  # DynamoDB takes 100 items; the job's item and an audit entry go too


@dataclass(frozen=True)
class Claim:
    """A job's due slots as a tick claims them: their new tasks, and the job's next run after them."""

    job: Job
    tasks: list[Task]
    next_fire_at: datetime | None
    passed: Sequence[SkippedSlot] = ()  # slots passed without a run, recorded in the same transaction

    @property
    def items(self) -> int:
        return 1 + len(self.tasks) + len(self.passed)


def claim_slots(job: Job, tasks: list[Task], next_fire_at: datetime | None, passed: Sequence[SkippedSlot] = ()) -> bool:
    """Create the QUEUED tasks of due slots, record those passed, and move the job's next run, only
    if no other tick did it first (the job's next run is still the one we read). False when we
    lost that race."""
    return claim_together([Claim(job, tasks, next_fire_at, passed)])


def claim_together(claims: Sequence[Claim]) -> bool:
    """Several jobs' claims in one transaction (up to DynamoDB's 100 items), all or none: False when
    one of them lost its race or changed since it was read, and then nothing was written."""
    try:
        with transaction() as tx:
            for claim in claims:
                job, tasks = claim.job, claim.tasks
                actions: list[Action] = [JobModel.runs_fired.set(job.runs_fired + len(tasks))]
                if tasks:
                    actions.append(JobModel.last_task.set(summary_map(tasks[-1].summary())))
                if claim.next_fire_at is None:
                    actions += [JobModel.next_fire_at.remove(), JobModel.due.remove()]
                else:
                    actions += [JobModel.next_fire_at.set(claim.next_fire_at), JobModel.due.set(DUE)]
                actions += _forget_passed(job, claim.next_fire_at)
                # A skip or a move made since the job was read changes the plan: refused, the next
                # tick reads it again (slot_changes is absent on items older than it, meaning 0).
                unchanged = JobModel.slot_changes == job.slot_changes
                if job.slot_changes == 0:
                    unchanged = unchanged | JobModel.slot_changes.does_not_exist()
                tx.update(
                    JobModel(job.id),
                    actions=actions,
                    condition=(JobModel.next_fire_at == job.next_fire_at) & (JobModel.enabled == True) & unchanged,  # noqa: E712
                )
                for task in tasks:
                    tx.save(item_from_task(task, job.history_days), condition=TaskModel.id.does_not_exist())
                for skip in claim.passed:
                    tx.save(skipped_item(skip, job.history_days))
    except TransactWriteError as exc:
        if tx.failed(exc):
            return False
        raise
    return True


def _forget_passed(job: Job, next_fire_at: datetime | None) -> list[Any]:
    """The job's skips and moves of slots the claim passes, dropped: they are history now (the
    records and tasks say what became of them)."""
    actions: list[Any] = []
    keep = [slot for slot in job.skipped_slots if next_fire_at is not None and slot >= next_fire_at]
    if len(keep) != len(job.skipped_slots):
        actions.append(JobModel.skipped_slots.set([slot.isoformat() for slot in keep]))
    moves = {slot: to for slot, to in job.moved_slots.items() if next_fire_at is not None and slot >= next_fire_at}
    if len(moves) != len(job.moved_slots):
        actions.append(JobModel.moved_slots.set({slot.isoformat(): to.isoformat() for slot, to in moves.items()}))
    return actions


def add_tasks(job: Job, tasks: Sequence[Task], audit: AuditEntry | None = None) -> list[Task]:
    """Store new QUEUED tasks of a job and show the newest as its last execution, with the audit entry
    of whoever asked (in the first transaction); the tasks created. A task whose id exists already
    (the same event delivered twice, a slot backfilled before) is left as it is, and nothing is
    created when the job is gone."""
    created: list[Task] = []
    for start in range(0, len(tasks), TASKS_PER_TRANSACTION):
        chunk = list(tasks[start : start + TASKS_PER_TRANSACTION])
        entry = audit if start == 0 else None
        written = _add(job, chunk, entry)
        if written is None:  # some were there already: write the others
            there = existing_tasks(job.id, [task.id for task in chunk])
            written = _add(job, [task for task in chunk if task.id not in there], entry) or []
        created += written
    return created


def _add(job: Job, tasks: list[Task], audit: AuditEntry | None) -> list[Task] | None:
    """One transaction; None when a task of the same id exists, [] when the job is gone."""
    if not tasks:
        return []
    try:
        with transaction() as tx:
            for task in tasks:
                tx.save(item_from_task(task, job.history_days), condition=TaskModel.id.does_not_exist())
            tx.update(
                JobModel(job.id),
                actions=[JobModel.last_task.set(summary_map(tasks[-1].summary()))],
                condition=JobModel.id.exists(),
            )
            if audit:
                tx.save(audit_item(audit))
    except TransactWriteError as exc:
        if tx.failed(exc, JobModel):
            return []
        if tx.failed(exc, TaskModel):
            return None
        raise
    return tasks
