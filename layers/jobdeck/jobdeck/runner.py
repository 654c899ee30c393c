"""Run one task: start it once, run the job's action chain, record how it ended."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from jobdeck import actions, parameters, store
from jobdeck.config import Settings
from jobdeck.domain import (
    DEFAULT_HISTORY_DAYS,
    Job,
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


class MalformedMessage(ValueError):
    """A RunQueue message that names no job. Raised, so that it ends in the dead-letter queue."""


def run_message(
    body: str, message_id: str | None = None, sent_at: datetime | None = None, settings: Settings | None = None
) -> TaskStatus | None:
    """Jobdeck's own messages name a task. A rule or schedule made in the AWS console sends
    `{"job_id": ...}` alone: that starts a task of its own, one per message (a redelivered message
    derives the same task id, so it runs once)."""
    try:
        message = json.loads(body)
        job_id = str(message["job_id"])
    except (ValueError, KeyError, TypeError):
        raise MalformedMessage(f"expected {{'job_id': ..., 'task_id': ...}}, got {body[:200]!r}") from None
    if "task_id" in message:
        return run_task(job_id, str(message["task_id"]), settings)
    task_id = _external_task(job_id, message_id or body, sent_at or datetime.now(UTC))
    return run_task(job_id, task_id, settings) if task_id else None


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


def run_task(job_id: str, task_id: str, settings: Settings | None = None) -> TaskStatus | None:
    """The status the task ended with, or None when this delivery had nothing to do."""
    logger.append_keys(job_id=job_id, task_id=task_id)
    task = store.get_task(job_id, task_id)
    if task is None:
        logger.warning("no such task; its job or history was deleted")
        return None
    if task.status is not TaskStatus.QUEUED:
        logger.info("task already %s: duplicate delivery ignored", task.status.value)
        return None
    if not store.start_task(task, datetime.now(UTC)):
        logger.info("another delivery started the task first")
        return None
    job = store.get_job(job_id)
    if job is None:
        _end(task, TaskStatus.ERROR, "the job was deleted before the task ran")
        store.finish_task(task, DEFAULT_HISTORY_DAYS)
    else:
        Execution(job, task, settings or Settings.from_env()).run()
        store.finish_task(task, job.history_days)
    logger.info("task ended", extra={"status": task.status.value, "task_message": task.message})
    return task.status


class Execution:
    """The action chain of one task, with its log lines, progress and stop checks."""

    def __init__(self, job: Job, task: Task, settings: Settings) -> None:
        self.job, self.task, self.settings = job, task, settings
        self._step = 0
        self._last_save = time.monotonic()
        self._stopped_by: str | None = None

    def run(self) -> None:
        try:
            values = parameters.resolve(self.job.parameters, self.task.parameters)
        except InvalidJob as exc:
            return self._fail(f"parameters: {exc}")
        context = {
            "parameters": values,
            "job": {"id": self.job.id, "label": self.job.label, "owner": self.job.owner},
            "task": {"id": self.task.id, "by": self.task.trigger.by},
            "event": self.task.trigger.detail.get("event", {}),
        }
        nodes = _event_nodes(context["event"])
        for index, step in enumerate(self.job.actions):
            self._step = index
            where = f"step {index + 1} ({step.action})"
            if index and (stopped_by := self._stopped_by or store.stop_requested(self.task)):
                return self._interrupt(stopped_by)
            action = actions.get(step.action)
            if action is None:
                return self._fail(f"{where}: unknown action {step.action!r}")
            try:
                params = action.validate(parameters.render(step.parameters, context))
                ctx = actions.ActionContext(
                    self.job,
                    self.task,
                    self.settings,
                    datetime.now(UTC),
                    self.log,
                    self.progress,
                    self.checkpoint,
                )
                nodes = action.run(ctx, params, nodes)
            except actions.TaskStopped as stopped:
                return self._interrupt(stopped.by)
            except (actions.ActionError, actions.InvalidParameters, InvalidJob) as exc:
                return self._fail(f"{where}: {exc}")
            except Exception as exc:
                logger.exception("action failed unexpectedly")
                return self._fail(f"{where}: {type(exc).__name__}: {exc}")
            self.progress(1.0)
        if not self.job.actions:
            self.log("the job has no actions", "WARNING")
        _end(self.task, TaskStatus.FINISHED, None)
        self.task.progress = 1.0

    def log(self, message: str, level: str = "INFO") -> None:
        getattr(logger, level.lower(), logger.info)(message)
        lines = self.task.logs
        lines.append(LogLine(datetime.now(UTC), level, message[:MAX_LINE_CHARS]))
        if len(lines) > MAX_LOG_LINES:
            del lines[1 : len(lines) - MAX_LOG_LINES + 1]  # keep the first line, it says how it began

    def progress(self, fraction: float) -> None:
        count = max(1, len(self.job.actions))
        self.task.progress = min(1.0, (self._step + max(0.0, min(1.0, fraction))) / count)
        if time.monotonic() - self._last_save >= PROGRESS_EVERY_SECONDS:
            self._stopped_by = store.save_progress(self.task) or self._stopped_by
            self._last_save = time.monotonic()

    def checkpoint(self) -> None:
        """Where an action may be stopped: raises TaskStopped once someone asked (seen at the last
        progress save, so checking costs nothing between saves)."""
        if self._stopped_by:
            raise actions.TaskStopped(self._stopped_by)

    def _fail(self, message: str) -> None:
        self.log(message, "ERROR")
        _end(self.task, TaskStatus.ERROR, message)

    def _interrupt(self, by: str) -> None:
        message = f"stopped by {by}"
        self.log(message, "WARNING")
        _end(self.task, TaskStatus.INTERRUPTED, message)


def _event_nodes(event: dict[str, Any]) -> list[actions.Node]:
    """The first action's input: the object an S3 event is about."""
    if event.get("source") == "s3" and event.get("type") == "ObjectCreated":
        return [actions.Node(str(event["key"]), int(event.get("size") or 0), event.get("etag"))]
    return []


def _end(task: Task, status: TaskStatus, message: str | None) -> None:
    task.status, task.message, task.ended_at = status, message, datetime.now(UTC)
