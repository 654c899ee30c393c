"""Seats: whether a run may start now, wait its turn, or be skipped, by its job's overlap policy.

Every trigger (schedule, Run Now, event, hook, backfill, a retry) ends as a QUEUED task that the
runner hands to `admit`. A job has `concurrency_limit` seats; the count of taken seats and the line
of waiting tasks live on the job's item, and every change to them is a conditional write, so two
runners deciding at once cannot both take the last seat.

A task in line is woken by whoever frees a seat (`release`), and, should that wake-up be lost, by
the tick: a waiting task's due time is reset each time it is looked at, so it re-enters the tick's
"queued too long" window every five minutes.
"""

from __future__ import annotations

from dataclasses import replace as copy_with
from datetime import UTC, datetime

from aws_lambda_powertools import Logger

from jobdeck import audit, lifecycle, store
from jobdeck.access import SYSTEM
from jobdeck.domain import MAX_WAITING, Job, Overlap, Task, TaskStatus
from jobdeck.store.runs import Outcome

logger = Logger()

MAX_ROUNDS = 20  # each round is lost only to another runner's write: a handful is plenty


class Contended(RuntimeError):
    """The job's seats changed under us round after round. Raised, so the message is retried."""


def admit(job: Job, task: Task, now: datetime | None = None) -> bool:
    """Start the task (True), or leave it waiting or SKIPPED by the policy (False). False as well
    when another delivery of the same task got there first."""
    now = now or datetime.now(UTC)
    for _ in range(MAX_ROUNDS):
        seen: list[Job] = []  # the job as the refused start saw it: decided on without reading it again
        outcome = store.start_task(task, now, job, seen.append)
        if outcome is Outcome.DONE:
            if job.waiting:  # more seats may be free: wake the next in line
                release(job.id, copy_with(job, running=job.running + 1, waiting=_without(job.waiting, task.id)))
            return True
        if outcome is Outcome.MOVED:
            return False
        fresh = seen[-1] if seen else store.get_job(job.id)
        if fresh is None:
            store.end_queued(task, TaskStatus.ERROR, now, "the job was deleted before the task ran", 30)
            return False
        job = fresh
        if job.waiting and job.waiting[0] != task.id and _drop_dead_head(job):
            continue
        if task.id in job.waiting:
            if job.running < job.concurrency_limit and job.waiting[0] == task.id:
                continue  # a seat was freed since: try again
            store.rearm(task, now)
            return False
        if job.running < job.concurrency_limit and not job.waiting:
            continue
        if _wait_or_skip(job, task, now):
            return False
    raise Contended(f"job {job.id}: its seats kept changing; the message will be delivered again")


def _wait_or_skip(job: Job, task: Task, now: datetime) -> bool:
    """Apply the policy to a task that found no free seat. False when the job changed meanwhile."""
    policy = task.overlap or job.overlap
    if task.attempt > 1 or task.resume is not None:
        policy = Overlap.BUFFER_ALL  # a retry or a resumed run has work behind it: it waits, never skipped
    if policy is Overlap.SKIP:
        return _skip(job, task, now, f"skipped: {_busy(job)} (overlap policy skip)")
    if policy is Overlap.BUFFER_ONE:
        if job.waiting:
            return _skip(job, task, now, f"skipped: run {job.waiting[0]} already waits (overlap policy buffer_one)")
        return store.park(task, job, now, alone=True)
    if policy is Overlap.CANCEL_OTHER:
        return _cancel_others(job, task, now)
    if len(job.waiting) >= MAX_WAITING:
        return _skip(job, task, now, f"skipped: {MAX_WAITING} runs already wait for a seat")
    return store.park(task, job, now)


def _cancel_others(job: Job, task: Task, now: datetime) -> bool:
    """The newest run wins: the oldest running one is asked to stop, older waiting ones are skipped."""
    if not store.park(task, job, now, replace=list(job.waiting)):
        return False
    for superseded in job.waiting:
        old = store.get_task(job.id, superseded)
        if old is not None and old.status is TaskStatus.QUEUED:
            reason = f"skipped: superseded by run {task.id} (overlap policy cancel_other)"
            store.end_queued(old, TaskStatus.SKIPPED, now, reason, job.history_days)
    running = [t for t in store.active_tasks(job.id) if t.status is TaskStatus.RUNNING and t.id != task.id]
    not_asked = [t for t in running if not t.stop_requested_by]  # one stop per newcomer, not the same twice
    if not_asked:
        oldest = min(not_asked, key=lambda t: t.started_at or now)
        entry = audit.entry(SYSTEM, "task.cancel", job.id, task=oldest.id, by_run=task.id)
        store.request(oldest, "stop", f"overlap policy cancel_other (run {task.id})", entry)
    return True


def _skip(job: Job, task: Task, now: datetime, reason: str) -> bool:
    store.end_queued(task, TaskStatus.SKIPPED, now, reason, job.history_days)
    logger.info("run skipped", extra={"job_id": job.id, "task_id": task.id, "reason": reason})
    return True


def _busy(job: Job) -> str:
    return f"{job.running} of {job.concurrency_limit} seats taken"


def _drop_dead_head(job: Job) -> bool:
    """The first in line stopped or vanished while waiting: take it out so the line moves."""
    head = store.get_task(job.id, job.waiting[0])
    if head is not None and head.status is TaskStatus.QUEUED:
        return False
    store.leave_line(job.id, job.waiting[0])
    return True


def _without(line: list[str], task_id: str) -> list[str]:
    return [waiting for waiting in line if waiting != task_id]


def leave(job_id: str, task_id: str) -> None:
    """A waiting task that will not start (it was stopped) leaves the line, so that the line
    shows only runs still to come; the next one is woken if it became first."""
    for _ in range(MAX_ROUNDS):
        job = store.get_job(job_id)
        if job is None or task_id not in job.waiting:
            return
        if store.leave_line(job_id, task_id, job.waiting.index(task_id)):
            release(job_id)
            return


def release(job_id: str, seen: Job | None = None) -> None:
    """After a seat was freed: wake the first task in line (its runner will take the seat), from the
    job as the transition that freed it `seen` it, or as read. Never raises: it runs after a start
    or an end was recorded, which a failed wake-up must not undo (the run would be left RUNNING, or
    its message redelivered for nothing); a lost wake-up is the tick's."""
    try:
        for _ in range(MAX_ROUNDS):
            job, seen = seen or store.get_job(job_id), None
            if job is None or not job.waiting or job.running >= job.concurrency_limit:
                return
            if _drop_dead_head(job):
                continue
            lifecycle.redeliver([(job_id, job.waiting[0])])
            return
    except Exception:
        logger.warning("could not wake the next run in line; the tick will", exc_info=True)
