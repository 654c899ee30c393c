"""The writes of a run, each one DynamoDB transaction that moves a task and its job together: start
(RUNNING, taking a seat), finish (giving the seat back), and the others that docs/run-lifecycle.md
lists; with the tick's claim (`new_tasks.py`), three write requests per scheduled run. The job item
holds the seats (`running`, `waiting`), so the overlap policy is decided by conditions on one item,
never by reading the active tasks and then acting (which would race)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace as copy_with
from datetime import datetime
from enum import StrEnum
from typing import Any

from pynamodb.attributes import Attribute
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition, size
from pynamodb.expressions.operand import Path
from pynamodb.expressions.update import Action

from jobdeck.domain import MAX_WAITING, AuditEntry, Job, Task, TaskStatus
from jobdeck.store.convert import audit_item, expiry, job_from_item, log_maps, packed, summary_map
from jobdeck.store.models import HELD, QUEUED, JobModel, TaskModel
from jobdeck.store.transactions import transaction


class Outcome(StrEnum):
    DONE = "done"
    MOVED = "moved"  # the task was not in the status the transition expects: someone else moved it
    REFUSED = "refused"  # the job's condition did not hold (no free seat, others wait first, job gone)


class Freed(StrEnum):
    """What giving a seat back found. Falsy when the task had already moved on (another delivery
    or the reaper recorded it), like the False of the other transitions."""

    MOVED = "moved"
    NOBODY_WAITS = "nobody waits"
    SOMEONE_WAITS = "someone waits"  # the caller wakes the first in line (overlap.release)

    def __bool__(self) -> bool:
        return self is not Freed.MOVED


LINE_EMPTY = JobModel.waiting.does_not_exist() | (size(JobModel.waiting) == 0)
# Called with the job as DynamoDB saw it when a transition's condition on the job failed (its seats,
# its line): the caller decides what next from that, without reading the job again.
Saw = Callable[[Job], None]


def _set[T](attribute: Attribute[T], value: T | None) -> Action:
    """`attribute.set(value)`, None stored as DynamoDB's NULL (read back as None), as PynamoDB does.
    Its Attribute.set is annotated without None even for a null=True attribute; the Path.set it
    calls is not, so this is the same action, typed."""
    return Path(attribute).set(value)


def start_task(task: Task, at: datetime, job: Job, saw: Saw | None = None) -> Outcome:
    """QUEUED -> RUNNING, taking one of the job's seats: REFUSED when all `concurrency_limit` are
    taken, or when other tasks wait and this one is not first in line (then it leaves the line)."""
    first_in_line = bool(job.waiting) and job.waiting[0] == task.id
    free = JobModel.running.does_not_exist() | (JobModel.running < job.concurrency_limit)
    in_turn = (JobModel.waiting[0] == task.id) if first_in_line else LINE_EMPTY
    seat: list[Any] = [JobModel.running.add(1)]
    if first_in_line:
        seat.append(JobModel.waiting[0].remove())
    previous = task.status, task.started_at
    task.status, task.started_at, task.message = TaskStatus.RUNNING, at, None
    outcome = _transition(
        task,
        [
            TaskModel.status.set(task.status.value),
            TaskModel.started_at.set(at),
            TaskModel.message.remove(),
            TaskModel.queued.remove(),
            TaskModel.due_at.remove(),
            TaskModel.not_before.remove(),
        ],
        TaskModel.status == TaskStatus.QUEUED.value,
        job_actions=seat,
        job_condition=free & in_turn,
        saw=saw,
    )
    if outcome is not Outcome.DONE:
        task.status, task.started_at = previous
    return outcome


def finish_task(task: Task, history_days: int, saw: Saw | None = None) -> Freed:
    """Record how a RUNNING task ended (status, message, logs, progress), give its seat back, count
    the job's failures in a row, and start the task's TTL."""
    streaks: dict[TaskStatus, list[Action]] = {
        TaskStatus.ERROR: [JobModel.failures_in_row.add(1)],
        TaskStatus.FINISHED: [JobModel.failures_in_row.set(0)],
    }
    streak = streaks.get(task.status, [])
    return _give_back(
        task,
        [
            TaskModel.status.set(task.status.value),
            _set(TaskModel.ended_at, task.ended_at),
            TaskModel.progress.set(task.progress),
            TaskModel.message.set(task.message) if task.message else TaskModel.message.remove(),
            TaskModel.logs.set(log_maps(task.logs)),
            _set(TaskModel.output, packed(task.output)),
            TaskModel.active_job.remove(),
            TaskModel.pause_requested_by.remove(),
            _set(TaskModel.expires_at, expiry(task, history_days)),
        ],
        [JobModel.running.add(-1), *streak],
        saw,
    )


def requeue_task(
    task: Task, not_before: datetime, *, next_attempt: bool, held: bool = False, saw: Saw | None = None
) -> Freed:
    """RUNNING -> QUEUED, giving its seat back meanwhile: for another attempt after its backoff
    (`next_attempt`), or to continue where it is (`task.resume`) in a new invocation. `held`: its
    message is left to the tick (models.HELD)."""
    task.status, task.not_before = TaskStatus.QUEUED, not_before
    task.attempt += 1 if next_attempt else 0
    return _give_back(
        task,
        [
            TaskModel.status.set(task.status.value),
            TaskModel.attempt.set(task.attempt),
            TaskModel.not_before.set(not_before),
            TaskModel.message.set(task.message or ""),
            TaskModel.logs.set(log_maps(task.logs)),
            TaskModel.progress.set(task.progress),
            _set(TaskModel.resume, packed(task.resume)) if task.resume else TaskModel.resume.remove(),
            TaskModel.queued.set(HELD if held else QUEUED),
            TaskModel.due_at.set(not_before),
        ],
        [JobModel.running.add(-1)],
        saw,
    )


def pause_task(task: Task, by: str, saw: Saw | None = None) -> Freed:
    """RUNNING -> PAUSED at a checkpoint, keeping the chain's place in `task.resume`; the seat is
    given back (a paused task runs nothing)."""
    task.status, task.message = TaskStatus.PAUSED, f"paused by {by}"
    return _give_back(
        task,
        [
            TaskModel.status.set(task.status.value),
            TaskModel.message.set(task.message),
            TaskModel.progress.set(task.progress),
            TaskModel.logs.set(log_maps(task.logs)),
            _set(TaskModel.resume, packed(task.resume)),
            TaskModel.pause_requested_by.remove(),
        ],
        [JobModel.running.add(-1)],
        saw,
    )


def _give_back(task: Task, actions: list[Any], seat: list[Any], saw: Saw | None) -> Freed:
    """A RUNNING task's transition that frees its seat. Tried first on the condition that nobody
    waits for a seat: that, the common case, then knows it has no one to wake without reading the
    job again. Refused, it is written anyway and says that someone waits (`saw` gets the job with
    its line, its seat already given back)."""
    running = TaskModel.status == TaskStatus.RUNNING.value
    given_back = (lambda job: saw(copy_with(job, running=job.running - 1))) if saw else None
    outcome = _transition(task, actions, running, job_actions=seat, job_condition=LINE_EMPTY, saw=given_back)
    if outcome is Outcome.REFUSED:  # someone waits, or the job is gone: either way, write it anyway
        outcome = _transition(task, actions, running, job_actions=seat)
        return Freed.SOMEONE_WAITS if outcome is Outcome.DONE else Freed.MOVED
    return Freed.NOBODY_WAITS if outcome is Outcome.DONE else Freed.MOVED


def resume_task(task: Task, at: datetime, audit: AuditEntry) -> bool:
    """PAUSED -> QUEUED: it waits for a seat like any new run, and continues where it paused."""
    task.status, task.message = TaskStatus.QUEUED, f"resumed by {audit.actor}"
    return (
        _transition(
            task,
            [
                TaskModel.status.set(task.status.value),
                TaskModel.message.set(task.message),
                TaskModel.queued.set(QUEUED),
                TaskModel.due_at.set(at),
                TaskModel.not_before.remove(),
            ],
            TaskModel.status == TaskStatus.PAUSED.value,
            audit,
        )
        is Outcome.DONE
    )


def end_queued(task: Task, status: TaskStatus, at: datetime, reason: str, history_days: int) -> bool:
    """QUEUED -> SKIPPED (the overlap policy said no) or ERROR (it cannot run); the reason is the
    task's message."""
    task.status, task.ended_at, task.message = status, at, reason
    return _end_unstarted(task, TaskStatus.QUEUED, history_days)


def stop_queued(task: Task, by: str, at: datetime, history_days: int, audit: AuditEntry) -> bool:
    """QUEUED or PAUSED -> INTERRUPTED, before it (re)started; False when it was neither anymore."""
    expected = task.status
    task.status, task.ended_at = TaskStatus.INTERRUPTED, at
    task.message = f"stopped by {by} before it {'resumed' if expected is TaskStatus.PAUSED else 'started'}"
    task.stop_requested_by = by
    return _end_unstarted(task, expected, history_days, [TaskModel.stop_requested_by.set(by)], audit)


def _end_unstarted(
    task: Task, expected: TaskStatus, history_days: int, extra: list[Any] | None = None, audit: AuditEntry | None = None
) -> bool:
    """Record the end (status, time, message set on `task`) of a task that holds no seat: it
    leaves the active and queued indexes and starts its TTL."""
    actions = [
        TaskModel.status.set(task.status.value),
        _set(TaskModel.ended_at, task.ended_at),
        _set(TaskModel.message, task.message),
        *(extra or []),
        TaskModel.active_job.remove(),
        TaskModel.queued.remove(),
        TaskModel.due_at.remove(),
        _set(TaskModel.expires_at, expiry(task, history_days)),
    ]
    return _transition(task, actions, TaskModel.status == expected.value, audit) is Outcome.DONE


def request(task: Task, what: str, by: str, audit: AuditEntry | None) -> bool:
    """Ask a RUNNING task to stop or pause (`what`) at its next checkpoint; False when it was not
    RUNNING."""
    attribute = {"stop": TaskModel.stop_requested_by, "pause": TaskModel.pause_requested_by}[what]
    try:
        with transaction() as tx:
            tx.update(
                TaskModel(task.job_id, task.id),
                actions=[attribute.set(by)],
                condition=TaskModel.status == TaskStatus.RUNNING.value,
            )
            if audit:
                tx.save(audit_item(audit))
    except TransactWriteError as exc:
        if tx.failed(exc, TaskModel):
            return False
        raise
    setattr(task, attribute.attr_name, by)
    return True


def park(task: Task, job: Job, at: datetime, *, alone: bool = False, replace: list[str] | None = None) -> bool:
    """Put a QUEUED task in its job's wait line, while the job still has no free seat. `alone`: only
    if nobody waits (buffer_one). `replace`: the line must be exactly this, and becomes this task
    alone (cancel_other). The task's due time moves to now, so the tick re-sends it if its wake-up
    is ever lost. False when the job changed meanwhile: read it again and decide again."""
    # No seat for this task: all taken, or others wait (a seat freed just now is the first in line's).
    full = (JobModel.running >= job.concurrency_limit) | (size(JobModel.waiting) > 0)
    if replace is not None:
        line = JobModel.waiting.set([task.id])
        rule = (JobModel.waiting == replace) if replace else LINE_EMPTY
    elif alone:
        line = JobModel.waiting.set([task.id])
        rule = LINE_EMPTY
    else:
        line = JobModel.waiting.set((JobModel.waiting | []).append([task.id]))
        rule = JobModel.waiting.does_not_exist() | (
            ~JobModel.waiting.contains(task.id) & (size(JobModel.waiting) < MAX_WAITING)
        )
    task.message = "waiting for a free seat"
    try:
        with transaction() as tx:
            tx.update(JobModel(job.id), actions=[line], condition=full & rule)
            tx.update(
                TaskModel(task.job_id, task.id),
                actions=[TaskModel.message.set(task.message), TaskModel.due_at.set(at)],
                condition=TaskModel.status == TaskStatus.QUEUED.value,
            )
    except TransactWriteError as exc:
        if tx.failed(exc):
            return False
        raise
    return True


def rearm(task: Task, at: datetime) -> None:
    """A task still waiting in line: its due time moves to now, so the tick looks at it again."""
    TaskModel(task.job_id, task.id).update(
        actions=[TaskModel.due_at.set(at)], condition=TaskModel.status == TaskStatus.QUEUED.value
    )


def leave_line(job_id: str, task_id: str, position: int = 0) -> bool:
    """Take a task that will never start (stopped, deleted) out of its job's line, where it stands
    (False when the line moved meanwhile: read it again)."""
    place = JobModel.waiting[position]
    try:
        JobModel(job_id).update(actions=[place.remove()], condition=place == task_id)
    except UpdateError:
        return False
    return True


def suspend_job(job_id: str, after_failures: int, reason: str, audit: AuditEntry) -> bool:
    """Disable a job the scheduler gave up on: `after_failures` failed runs in a row or more (the
    count its runs' ends keep on the item, so nothing is read first); Enable lifts it. False when
    the count is lower, or the job is disabled already."""
    try:
        with transaction() as tx:
            tx.update(
                JobModel(job_id),
                actions=[
                    JobModel.enabled.set(False),
                    JobModel.paused_reason.set(reason),
                    JobModel.next_fire_at.remove(),
                    JobModel.due.remove(),
                ],
                condition=(JobModel.enabled == True) & (JobModel.failures_in_row >= after_failures),  # noqa: E712
            )
            tx.save(audit_item(audit))
    except TransactWriteError as exc:
        if tx.failed(exc, JobModel):
            return False
        raise
    return True


def _transition(
    task: Task,
    actions: list[Any],
    condition: Condition,
    audit: AuditEntry | None = None,
    job_actions: Sequence[Any] = (),
    job_condition: Condition | None = None,
    saw: Saw | None = None,
) -> Outcome:
    """Update the task and, in the same transaction, its job: the seat changes (`job_actions`, under
    `job_condition`) always, the job's summary only while this task is still its newest.

    Attempts, until one goes through: summary and seats; seats alone (a newer task shows in the
    summary); the task alone (the job was deleted, and there is no seat condition to honour)."""
    summary = JobModel.last_task.set(summary_map(task.summary()))
    newest = JobModel.last_task.does_not_exist() | (JobModel.last_task.id <= task.id)
    exists = JobModel.id.exists() if job_condition is None else JobModel.id.exists() & job_condition
    attempts: list[tuple[list[Any], Condition] | None] = [([summary, *job_actions], exists & newest)]
    if job_actions:
        attempts.append((list(job_actions), exists))
    if job_condition is None:
        attempts.append(None)
    seen = "ALL_OLD" if saw else None
    for job_update in attempts:
        try:
            with transaction() as tx:
                tx.update(TaskModel(task.job_id, task.id), actions=actions, condition=condition)
                if job_update:
                    job = JobModel(task.job_id)
                    tx.update(job, actions=job_update[0], condition=job_update[1], return_values=seen)
                if audit:
                    tx.save(audit_item(audit))
            return Outcome.DONE
        except TransactWriteError as exc:
            if tx.failed(exc, TaskModel):
                return Outcome.MOVED
            if not (job_update and tx.failed(exc, JobModel)):
                raise
            if saw and (old := tx.old_item(exc, JobModel)):
                saw(job_from_item(JobModel.from_raw_data(old)))
    return Outcome.REFUSED
