"""Run one task: take a seat by the job's overlap policy, run its action chain (`jobdeck.execution`),
record how it ended (or where it paused, or when it retries)."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from aws_lambda_powertools import Logger

from jobdeck import audit, lifecycle, notify, overlap, store, telemetry
from jobdeck.access import SYSTEM
from jobdeck.config import Settings
from jobdeck.domain import (
    DEFAULT_HISTORY_DAYS,
    Job,
    JobKind,
    Task,
    TaskStatus,
    TriggerInfo,
    TriggerType,
    derived_task_id,
)
from jobdeck.execution import Execution, Result

logger = Logger()

sleep = time.sleep  # the wait of a task given early; tests count it instead
# A message comes within the second before its task is due (SQS delays by whole seconds, rounded
# down); one earlier than this is sent back to the queue for the rest of its wait.
EARLY_SECONDS = 2.0


class MalformedMessage(ValueError):
    """A RunQueue message that names no job. Raised, so that it ends in the dead-letter queue."""


def run_message(
    body: str,
    message_id: str | None = None,
    sent_at: datetime | None = None,
    settings: Settings | None = None,
    *,
    receive_count: int = 1,
    time_left: Callable[[], float] | None = None,
) -> TaskStatus | None:
    """Jobdeck's own messages name a task. A rule or schedule made in the AWS console sends
    `{"job_id": ...}` alone: that starts a task of its own, one per message (a redelivered message
    derives the same task id, so it runs once).

    `receive_count` is SQS's count of deliveries of this message: on the last one the queue allows,
    a failure ends the task ERROR, saying so, before the message moves to the dead-letter queue.
    `time_left` says how many seconds the invocation has left (Lambda's clock)."""
    try:
        message = json.loads(body)
        job_id = str(message["job_id"])
    except (ValueError, KeyError, TypeError):
        raise MalformedMessage(f"expected {{'job_id': ..., 'task_id': ...}}, got {body[:200]!r}") from None
    settings = settings or Settings.from_env()
    task_id = message.get("task_id")
    try:
        if task_id is None:
            task_id = _external_task(job_id, message_id or body, sent_at or datetime.now(UTC))
            if task_id is None:
                return None
        return run_task(job_id, str(task_id), settings, time_left)
    except Exception as exc:
        if task_id is not None and receive_count >= settings.max_receives:
            _give_up(job_id, str(task_id), f"gave up after {receive_count} deliveries: {type(exc).__name__}: {exc}")
        raise


def _external_task(job_id: str, message_id: str, sent_at: datetime) -> str | None:
    job = store.get_job(job_id)
    if job is None:
        logger.warning("an external trigger names no job", extra={"job_id": job_id})
        return None
    task = Task(
        job_id=job_id,
        id=derived_task_id(job_id, sent_at, message_id),
        status=TaskStatus.QUEUED,
        trigger=TriggerInfo(TriggerType.EXTERNAL, by="eventbridge", detail={"message_id": message_id}),
        created_at=datetime.now(UTC),
    )
    # Stored, not sent: this delivery is its message (a redelivery derives the same id, and finds it
    # already started).
    store.add_tasks(job, [task])
    return task.id


def run_task(
    job_id: str, task_id: str, settings: Settings | None = None, time_left: Callable[[], float] | None = None
) -> TaskStatus | None:
    """The status the task is left in, or None when this delivery had nothing to do (a duplicate,
    or the task waits in line for a free seat)."""
    logger.append_keys(job_id=job_id, task_id=task_id)
    try:
        return _run_task(job_id, task_id, settings or Settings.from_env(), time_left)
    finally:
        # A warm invocation's next lines (another task's, a malformed message's) must not carry these.
        logger.remove_keys(["job_id", "task_id"])


def _run_task(
    job_id: str, task_id: str, settings: Settings, time_left: Callable[[], float] | None
) -> TaskStatus | None:
    # The run's one read: the task and its job together. The job read here is carried through the
    # run: the start, the overlap policy and the end learn any change to its seats or line from their
    # own conditions (store.runs), never by reading it again.
    task, job = store.get_task_and_job(job_id, task_id)
    now = datetime.now(UTC)  # the read took time: the wait is what is left after it
    if task is None:
        logger.warning("no such task; its job or history was deleted")
        return None
    if task.status is not TaskStatus.QUEUED:
        logger.info("task already %s: duplicate delivery ignored", task.status.value)
        return None
    due = task.not_before or task.scheduled_for
    if due and due > now + timedelta(seconds=EARLY_SECONDS):
        lifecycle.postpone(task, now, settings)  # a message sent again early: it waits for its time
        return None
    if job is None:
        store.end_queued(task, TaskStatus.ERROR, now, "the job was deleted before the task ran", DEFAULT_HISTORY_DAYS)
        return task.status
    if due and due > now:
        sleep((due - now).total_seconds())  # read and ready: it starts on its time
        now = datetime.now(UTC)
    if not overlap.admit(job, task, now):
        if task.status is TaskStatus.SKIPPED:
            telemetry.task_ended(task)
            return task.status
        return None
    telemetry.task_started(task, now)
    result = Execution(job, task, settings, time_left).run()
    record(job, task, result, settings)
    # A finished run is in its task's history and TasksFinished: said again here, it was a quarter of
    # the bytes a run logs (CloudWatch Logs bills them). Every other outcome is logged.
    said = logger.debug if task.status is TaskStatus.FINISHED else logger.info
    said("task left %s", task.status.value, extra={"task_message": task.message, "attempt": task.attempt})
    return task.status


def record(job: Job, task: Task, result: Result, settings: Settings) -> None:
    """How a run left its task (its seat given back), and what follows: a retry's message, the end's
    metrics, notifications and suspension, the wake-up of the first in line."""
    now = datetime.now(UTC)
    seen: list[Job] = []  # the job with its line, when someone waits: woken without reading it again
    if result in (Result.RETRY, Result.HANDOVER):
        with lifecycle.enqueue(now, settings) as queue:
            not_before = now + backoff(job, task.attempt) if result is Result.RETRY else now
            freed = queue.requeue(task, not_before, next_attempt=result is Result.RETRY, saw=seen.append)
    elif result is Result.PAUSED:
        freed = store.pause_task(task, task.pause_requested_by or "someone", seen.append)
    else:
        freed = store.finish_task(task, job.history_days, seen.append)
    try:
        if freed and result is Result.RETRY:
            telemetry.task_retried()
        elif freed and result is Result.ENDED:
            _ended(job, task, settings)
    finally:
        # Whatever failed after the seat was given back, the first in line is woken.
        if freed is store.Freed.SOMEONE_WAITS:
            overlap.release(job.id, seen[-1] if seen else None)


def _ended(job: Job, task: Task, settings: Settings) -> None:
    telemetry.task_ended(task)
    if job.kind is JobKind.USER:
        # Here, not at the top: user_jobs brings jobs and schedules (cronsim, zoneinfo), which
        # no other run needs, into every runner's cold start.
        from jobdeck import user_jobs

        user_jobs.ended(job, task)
    if _failed_for_good(task):
        notify.task_failed(job, task, settings)
        _suspend_if_failing(job)


def _failed_for_good(task: Task) -> bool:
    return task.status is TaskStatus.ERROR or (task.status is TaskStatus.INTERRUPTED and not task.stop_requested_by)


def _suspend_if_failing(job: Job) -> None:
    """Suspended after N failures in a row (opt-in, `pause_after_failures`): the job is disabled
    until someone enables it. The store's condition checks the count this run's end left on the
    job; the count said is the one read when the run started, this failure added (at least N)."""
    if not job.pause_after_failures or job.kind is JobKind.SYSTEM:
        return
    failures = max(job.pause_after_failures, job.failures_in_row + 1)
    reason = f"suspended after {failures} failed runs in a row"
    entry = audit.entry(SYSTEM, "job.suspend", job.id, reason=reason)
    if store.suspend_job(job.id, job.pause_after_failures, reason, entry):
        logger.warning("job suspended", extra={"job_id": job.id, "reason": reason})


def backoff(job: Job, attempt: int) -> timedelta:
    """Exponential, capped, with equal jitter: between half and all of the computed wait."""
    policy = job.retry
    full = min(policy.max_backoff_seconds, policy.backoff_seconds * 2 ** (attempt - 1))
    return timedelta(seconds=full / 2 + random.uniform(0, full / 2))


def _give_up(job_id: str, task_id: str, reason: str) -> None:
    """The last delivery failed too: the task ends ERROR, so that what the DLQ holds is not a mystery."""
    try:
        task = store.get_task(job_id, task_id)
        if task is None or not task.status.active:
            return
        now = datetime.now(UTC)
        if task.status is TaskStatus.RUNNING:
            task.status, task.message, task.ended_at = TaskStatus.ERROR, reason, now
            if store.finish_task(task, DEFAULT_HISTORY_DAYS) is store.Freed.SOMEONE_WAITS:
                overlap.release(job_id)
        else:
            store.end_queued(task, TaskStatus.ERROR, now, reason, DEFAULT_HISTORY_DAYS)
        logger.error("task given up", extra={"reason": reason})
    except Exception:
        logger.exception("could not record that the task was given up")
