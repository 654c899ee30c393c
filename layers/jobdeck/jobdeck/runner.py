"""Run one task: take a seat by the job's overlap policy, run the action chain, record how it ended
(or where it paused, or when it retries)."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from jobdeck import actions, audit, notify, overlap, parameters, run_queue, store, telemetry
from jobdeck.access import SYSTEM
from jobdeck.config import Settings
from jobdeck.domain import (
    DEFAULT_HISTORY_DAYS,
    Job,
    JobKind,
    LogLine,
    Task,
    TaskStatus,
    TriggerInfo,
    TriggerType,
    derived_task_id,
)
from jobdeck.errors import InvalidJob

logger = Logger()

MAX_LOG_LINES = 200  # a task item stays far below DynamoDB's 400 KB whatever an action logs
MAX_LINE_CHARS = 2000
PROGRESS_EVERY_SECONDS = 10.0  # how often a long task writes its progress, not per item
# Left of the invocation when a long action hands over to a new one: enough to save its place.
HANDOVER_SECONDS = 30.0
# AWS answers that say "not now" rather than "never": an action failing with one is retried.
TRANSIENT_CODES = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "ProvisionedThroughputExceededException",
    "SlowDown",
    "ServiceUnavailable",
    "InternalError",
    "RequestTimeout",
}


clock = time.monotonic  # deadlines and progress saves; tests move it forward
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
    store.create_task(job, task)  # False on a redelivery: run_task then finds it already started
    return task.id


def run_task(
    job_id: str, task_id: str, settings: Settings | None = None, time_left: Callable[[], float] | None = None
) -> TaskStatus | None:
    """The status the task is left in, or None when this delivery had nothing to do (a duplicate,
    or the task waits in line for a free run slot)."""
    logger.append_keys(job_id=job_id, task_id=task_id)
    settings = settings or Settings.from_env()
    now = datetime.now(UTC)
    task = store.get_task(job_id, task_id)
    if task is None:
        logger.warning("no such task; its job or history was deleted")
        return None
    if task.status is not TaskStatus.QUEUED:
        logger.info("task already %s: duplicate delivery ignored", task.status.value)
        return None
    due = task.not_before or task.scheduled_for
    if due and due > now + timedelta(seconds=EARLY_SECONDS):
        # A backoff longer than SQS can delay, or a message sent again early: it waits in the queue.
        run_queue.send([task], now, settings)
        return None
    job = store.get_job(job_id)
    now = datetime.now(UTC)  # the reads took time: the wait is what is left after them
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
    _record(job, task, result, settings)
    logger.info("task left %s", task.status.value, extra={"task_message": task.message, "attempt": task.attempt})
    return task.status


class Result(StrEnum):
    ENDED = "ended"  # FINISHED, ERROR or INTERRUPTED
    RETRY = "retry"  # failed with a retryable error and attempts are left
    PAUSED = "paused"
    HANDOVER = "handover"  # out of invocation time: the same task continues in a new one


def _record(job: Job, task: Task, result: Result, settings: Settings) -> None:
    now = datetime.now(UTC)
    if result is Result.RETRY:
        freed = store.requeue_task(task, now + backoff(job, task.attempt), next_attempt=True)
    elif result is Result.HANDOVER:
        freed = store.requeue_task(task, now, next_attempt=False)
    elif result is Result.PAUSED:
        freed = store.pause_task(task, task.pause_requested_by or "someone")
    else:
        freed = store.finish_task(task, job.history_days)
    try:
        if freed and result in (Result.RETRY, Result.HANDOVER):
            run_queue.send([task], datetime.now(UTC), settings)
            if result is Result.RETRY:
                telemetry.task_retried()
        elif freed and result is Result.ENDED:
            _ended(job, task, settings)
    finally:
        # Whatever failed after the seat was given back, the first in line is woken.
        if freed is store.Freed.SOMEONE_WAITS:
            overlap.release(job.id)


def _ended(job: Job, task: Task, settings: Settings) -> None:
    telemetry.task_ended(task)
    if job.kind is JobKind.USER:
        # Here, not at the top: user_jobs brings jobs and schedules (cronsim, zoneinfo), which
        # no other run needs, into every runner's cold start.
        from jobdeck import user_jobs

        user_jobs.ended(job, task)
    if _failed_for_good(task):
        notify.task_failed(job, task, settings)
        _pause_if_failing(job)


def _failed_for_good(task: Task) -> bool:
    return task.status is TaskStatus.ERROR or (task.status is TaskStatus.INTERRUPTED and not task.stop_requested_by)


def _pause_if_failing(job: Job) -> None:
    """Pause after N failures in a row (opt-in): the job is disabled until someone enables it."""
    if not job.pause_after_failures or job.kind is JobKind.SYSTEM:
        return
    fresh = store.get_job(job.id)
    if fresh is None or fresh.failures_in_row < job.pause_after_failures or not fresh.enabled:
        return
    reason = f"paused after {fresh.failures_in_row} failed runs in a row"
    if store.pause_job(job.id, reason, audit.entry(SYSTEM, "job.pause", job.id, reason=reason)):
        logger.warning("job paused", extra={"job_id": job.id, "reason": reason})


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


class Execution:
    """The action chain of one task: its log lines, progress, and the checkpoints where it may be
    stopped, paused, timed out or handed over to a new invocation."""

    def __init__(self, job: Job, task: Task, settings: Settings, time_left: Callable[[], float] | None = None) -> None:
        self.job, self.task, self.settings = job, task, settings
        self._time_left = time_left or (lambda: float("inf"))
        self._step = 0
        self._last_save = clock()
        self._stopped_by: str | None = task.stop_requested_by
        self._paused_by: str | None = task.pause_requested_by
        self._passed = 0  # checkpoints passed in this invocation: a hand-over needs one at least
        self._job_deadline = clock() + job.timeout_seconds
        self._step_deadline = self._job_deadline
        self._state: dict[str, Any] = {}

    def run(self) -> Result:
        try:
            values = parameters.resolve(self.job.parameters, self.task.parameters)
        except InvalidJob as exc:
            return self._fail(f"parameters: {exc}")
        context: dict[str, Any] = {
            "parameters": values,
            "job": {"id": self.job.id, "label": self.job.label, "owner": self.job.owner},
            "task": {"id": self.task.id, "by": self.task.trigger.by, "attempt": self.task.attempt},
            "event": self.task.trigger.detail.get("event", {}),
        }
        result = self._chain(context)
        if result is Result.ENDED and self.task.status is TaskStatus.ERROR and self.job.on_failure:
            self._on_failure(context)
        return result

    def _chain(self, context: dict[str, Any]) -> Result:
        place = self.task.resume or {}
        first = int(place.get("step", 0))
        nodes = [_node(n) for n in place["nodes"]] if "nodes" in place else _event_nodes(context["event"])
        if place:
            self.log(f"continuing at step {first + 1}, attempt {self.task.attempt}")
        self.task.resume = None
        for index, step in enumerate(self.job.actions[first:], first):
            self._step = index
            self._state = dict(place.get("state", {})) if index == first else {}
            where = f"step {index + 1} ({step.action})"
            action = actions.get(step.action)
            if action is None:
                return self._fail(f"{where}: unknown action {step.action!r}")
            self._step_deadline = min(self._job_deadline, clock() + (step.timeout_seconds or 1e12))
            try:
                if index > first:
                    try:
                        self._stopped_by, self._paused_by = store.requests(self.task)
                    except Exception:  # a read that failed (throttled) must not fail the step: ask again later
                        logger.warning("could not read stop and pause requests", exc_info=True)
                    self.checkpoint()
                params = action.validate(parameters.render(step.parameters, context))
                ctx = self._context()
                nodes = action.run(ctx, params, actions.select(step.filter, nodes, ctx))
            except actions.TaskStopped as stopped:
                self.task.stop_requested_by = stopped.by  # a stop seen mid-run is no failure to announce
                return self._interrupt(f"stopped by {stopped.by}")
            except actions.TaskTimedOut as timed_out:
                return self._interrupt(f"{where}: {timed_out}")
            except actions.TaskPaused as paused:
                return self._park(Result.PAUSED, index, nodes, f"paused by {paused.by}")
            except actions.OutOfTime:
                return self._park(Result.HANDOVER, index, nodes, "continues in a new invocation")
            except (actions.InvalidParameters, InvalidJob) as exc:
                return self._fail(f"{where}: {exc}")
            except actions.ActionError as exc:
                return self._fail(f"{where}: {exc}", retryable=exc.retryable)
            except (ClientError, BotoCoreError) as exc:
                return self._fail(f"{where}: {type(exc).__name__}: {exc}", retryable=_transient(exc))
            except Exception as exc:
                logger.exception("action failed unexpectedly")
                return self._fail(f"{where}: {type(exc).__name__}: {exc}")
            self.progress(1.0)
        if not self.job.actions:
            self.log("the job has no actions", "WARNING")
        _end(self.task, TaskStatus.FINISHED, None)
        self.task.progress = 1.0
        return Result.ENDED

    def _on_failure(self, context: dict[str, Any]) -> None:
        """The failure branch: its steps see `failure`; a step of it failing ends the branch, and
        the task keeps the error it had."""
        failed_step, self._state = self._step, {}
        context = {**context, "failure": {"step": failed_step + 1, "message": self.task.message}}
        nodes: list[actions.Node] = []
        self.log(f"running the on-failure branch ({len(self.job.on_failure)} steps)", "WARNING")
        for index, step in enumerate(self.job.on_failure):
            action = actions.get(step.action)
            try:
                if action is None:
                    raise actions.ActionError(f"unknown action {step.action!r}")
                params = action.validate(parameters.render(step.parameters, context))
                ctx = self._context(checkpoint=lambda: None)  # a failing task is not stopped or handed over
                nodes = action.run(ctx, params, actions.select(step.filter, nodes, ctx))
            except Exception as exc:
                self.log(f"on-failure step {index + 1} ({step.action}) failed: {exc}", "ERROR")
                return
        self._step = failed_step

    def _context(self, checkpoint: Callable[[], None] | None = None) -> actions.ActionContext:
        return actions.ActionContext(
            self.job,
            self.task,
            self.settings,
            datetime.now(UTC),
            self.log,
            self.progress,
            checkpoint or self.checkpoint,
            self._state,
        )

    def log(self, message: str, level: str = "INFO") -> None:
        getattr(logger, level.lower(), logger.info)(message)
        lines = self.task.logs
        lines.append(LogLine(datetime.now(UTC), level, message[:MAX_LINE_CHARS]))
        if len(lines) > MAX_LOG_LINES:
            del lines[1 : len(lines) - MAX_LOG_LINES + 1]  # keep the first line, it says how it began

    def progress(self, fraction: float) -> None:
        count = max(1, len(self.job.actions))
        self.task.progress = min(1.0, (self._step + max(0.0, min(1.0, fraction))) / count)
        if clock() - self._last_save >= PROGRESS_EVERY_SECONDS:
            try:
                stop, pause = store.save_progress(self.task)
            except Exception:  # progress is best effort: a failed save (throttled) must not fail the action
                logger.warning("could not save progress", exc_info=True)
                stop = pause = None
            self._stopped_by = stop or self._stopped_by
            self._paused_by = pause or self._paused_by
            self._last_save = clock()

    def checkpoint(self) -> None:
        """Where an action may be interrupted, between two items. A stop or pause asked for is seen
        at the last progress save (so checking costs nothing between saves)."""
        if self._stopped_by:
            raise actions.TaskStopped(self._stopped_by)
        now = clock()
        if now >= self._job_deadline:
            raise actions.TaskTimedOut(f"timed out: the job's {self.job.timeout_seconds} s timeout passed")
        if now >= self._step_deadline:
            limit = self.job.actions[self._step].timeout_seconds
            raise actions.TaskTimedOut(f"timed out: the step's {limit} s timeout passed")
        if self._paused_by:
            raise actions.TaskPaused(self._paused_by)
        if self._passed and self._time_left() < HANDOVER_SECONDS:
            raise actions.OutOfTime()  # not before some work was done here: each invocation moves on
        self._passed += 1

    def _park(self, result: Result, step: int, nodes: list[actions.Node], message: str) -> Result:
        """Keep the chain's place: the step, its input, and how far the action got (its state)."""
        self.task.resume = {"step": step, "nodes": [_node_dict(n) for n in nodes], "state": self._state}
        self.task.pause_requested_by = self._paused_by
        self.log(message)
        return result

    def _fail(self, message: str, retryable: bool = False) -> Result:
        self.log(message, "ERROR")
        _end(self.task, TaskStatus.ERROR, message)
        if retryable and self.task.attempt < self.job.retry.max_attempts:
            self.task.message = f"attempt {self.task.attempt} of {self.job.retry.max_attempts} failed: {message}"
            self.log(f"will retry (attempt {self.task.attempt + 1} of {self.job.retry.max_attempts})", "WARNING")
            self.task.ended_at = None
            return Result.RETRY
        if self.job.retry.max_attempts > 1:
            reason = "not retryable" if not retryable else "no attempt left"
            self.task.message = f"{message} (attempt {self.task.attempt} of {self.job.retry.max_attempts}, {reason})"
        return Result.ENDED

    def _interrupt(self, message: str) -> Result:
        self.log(message, "WARNING")
        _end(self.task, TaskStatus.INTERRUPTED, message)
        return Result.ENDED


def _transient(exc: Exception) -> bool:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return error.get("Code") in TRANSIENT_CODES or status >= 500
    return True  # BotoCoreError: the connection, a timeout, a read error


def _event_nodes(event: dict[str, Any]) -> list[actions.Node]:
    """The first action's input: the object an S3 event is about, or the keys a user picked."""
    if event.get("source") == "s3" and event.get("type") == "ObjectCreated":
        return [actions.Node(str(event["key"]), int(event.get("size") or 0), event.get("etag"))]
    if event.get("source") == "user":
        return [actions.Node(str(key)) for key in event.get("keys", [])]
    return []


def _node_dict(node: actions.Node) -> dict[str, Any]:
    raw = asdict(node)
    raw["last_modified"] = node.last_modified.isoformat() if node.last_modified else None
    return {k: v for k, v in raw.items() if v is not None}


def _node(raw: dict[str, Any]) -> actions.Node:
    modified = raw.get("last_modified")
    return actions.Node(
        raw["key"], int(raw.get("size", 0)), raw.get("etag"), datetime.fromisoformat(modified) if modified else None
    )


def _end(task: Task, status: TaskStatus, message: str | None) -> None:
    task.status, task.message, task.ended_at = status, message, datetime.now(UTC)
