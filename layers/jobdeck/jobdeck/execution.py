"""The step engine: one task's action chain, step after step, with its log lines, its progress, and
the checkpoints where it may be stopped, paused, timed out or handed over to a new invocation. The
runner (`jobdeck.runner`) decides whether the task starts and records how it ended."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from jobdeck import actions, parameters, store
from jobdeck.config import Settings
from jobdeck.datasources import DEFAULT
from jobdeck.domain import Job, LogLine, Task, TaskStatus
from jobdeck.errors import InvalidJob

logger = Logger()

MAX_LOG_LINES = 200  # a task item stays far below DynamoDB's 400 KB whatever an action logs
MAX_LINE_CHARS = 2000
MAX_OUTPUT_NODES = 1000  # kept on the task for the jobs that follow it (compressed, some 30 bytes a node)
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


class Result(StrEnum):
    ENDED = "ended"  # FINISHED, ERROR or INTERRUPTED
    RETRY = "retry"  # failed with a retryable error and attempts are left
    PAUSED = "paused"
    HANDOVER = "handover"  # out of invocation time: the same task continues in a new one


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
                ctx = self._context(params)
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
        self.task.output = [_node_dict(n) for n in nodes[:MAX_OUTPUT_NODES]]
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
                ctx = self._context(params, checkpoint=lambda: None)  # a failing task is not stopped or handed over
                nodes = action.run(ctx, params, actions.select(step.filter, nodes, ctx))
            except Exception as exc:
                self.log(f"on-failure step {index + 1} ({step.action}) failed: {exc}", "ERROR")
                return
        self._step = failed_step

    def _context(self, params: dict[str, Any], checkpoint: Callable[[], None] | None = None) -> actions.ActionContext:
        return actions.ActionContext(
            self.job,
            self.task,
            self.settings,
            datetime.now(UTC),
            self.log,
            self.progress,
            checkpoint or self.checkpoint,
            self._state,
            params.get("datasource", DEFAULT),
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
    """The first action's input: the object an S3 event is about, or the keys a user picked (in the
    datasource they name; events and user jobs from before datasources were all in `default`)."""
    datasource = str(event.get("datasource") or DEFAULT)
    if event.get("source") == "s3" and event.get("type") == "ObjectCreated":
        return [actions.Node(str(event["key"]), int(event.get("size") or 0), event.get("etag"), datasource=datasource)]
    if event.get("source") == "user":
        return [actions.Node(str(key), datasource=datasource) for key in event.get("keys", [])]
    if event.get("source") == "after":  # the output of each upstream run, in the order of their jobs
        ran = [store.get_task(str(u["job_id"]), str(u["task_id"])) for u in event.get("upstream", [])]
        return [_node(raw) for task in ran if task is not None for raw in task.output or []]
    return []


def _node_dict(node: actions.Node) -> dict[str, Any]:
    raw = asdict(node)
    raw["last_modified"] = node.last_modified.isoformat() if node.last_modified else None
    return {k: v for k, v in raw.items() if v is not None}


def _node(raw: dict[str, Any]) -> actions.Node:
    modified = raw.get("last_modified")
    return actions.Node(
        raw["key"],
        int(raw.get("size", 0)),
        raw.get("etag"),
        datetime.fromisoformat(modified) if modified else None,
        raw.get("datasource", DEFAULT),
    )


def _end(task: Task, status: TaskStatus, message: str | None) -> None:
    task.status, task.message, task.ended_at = status, message, datetime.now(UTC)
