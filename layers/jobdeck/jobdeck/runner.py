"""Run one task: start it once, run the job's action chain, record how it ended."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from aws_lambda_powertools import Logger

from jobdeck import actions, store
from jobdeck.config import Settings
from jobdeck.domain import Job, LogLine, Task, TaskStatus

logger = Logger()

MAX_LOG_LINES = 200  # a task item stays far below DynamoDB's 400 KB whatever an action logs
MAX_LINE_CHARS = 2000
PROGRESS_EVERY_SECONDS = 10.0  # how often a long task writes its progress, not per item


class MalformedMessage(ValueError):
    """A RunQueue message that names no task. Raised, so that it ends in the dead-letter queue."""


def run_message(body: str, settings: Settings | None = None) -> TaskStatus | None:
    try:
        message = json.loads(body)
        job_id, task_id = message["job_id"], message["task_id"]
    except (ValueError, KeyError, TypeError):
        raise MalformedMessage(f"expected {{'job_id': ..., 'task_id': ...}}, got {body[:200]!r}") from None
    return run_task(str(job_id), str(task_id), settings)


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
        store.finish_task(task, history_days=30)
    else:
        Execution(job, task, settings or Settings.from_env()).run()
        store.finish_task(task, job.history_days)
    logger.info("task ended", extra={"status": task.status.value, "task_message": task.message})
    return task.status


class Execution:
    """The action chain of one task, with its log lines and progress."""

    def __init__(self, job: Job, task: Task, settings: Settings) -> None:
        self.job, self.task, self.settings = job, task, settings
        self._step = 0
        self._last_save = time.monotonic()

    def run(self) -> None:
        steps = self.job.actions
        nodes: list[actions.Node] = []
        for self._step, step in enumerate(steps):
            where = f"step {self._step + 1} ({step.action})"
            action = actions.get(step.action)
            if action is None:
                return self._fail(f"{where}: unknown action {step.action!r}")
            try:
                params = action.validate({**step.parameters})
                ctx = actions.ActionContext(
                    self.job, self.task, self.settings, datetime.now(UTC), self.log, self.progress
                )
                nodes = action.run(ctx, params, nodes)
            except (actions.ActionError, actions.InvalidParameters) as exc:
                return self._fail(f"{where}: {exc}")
            except Exception as exc:
                logger.exception("action failed unexpectedly")
                return self._fail(f"{where}: {type(exc).__name__}: {exc}")
            self.progress(1.0)
        _end(self.task, TaskStatus.FINISHED, None)
        self.task.progress = 1.0
        if not steps:
            self.log("the job has no actions", "WARNING")

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
            store.save_progress(self.task)
            self._last_save = time.monotonic()

    def _fail(self, message: str) -> None:
        self.log(message, "ERROR")
        _end(self.task, TaskStatus.ERROR, message)


def _end(task: Task, status: TaskStatus, message: str | None) -> None:
    task.status, task.message, task.ended_at = status, message, datetime.now(UTC)
