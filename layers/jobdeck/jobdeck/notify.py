"""Tell someone that a task failed for good: the stack's SNS topic, and the job's webhook.

The runner calls `task_failed` once a task ends ERROR, or INTERRUPTED by its timeout, after its
last attempt. Nothing here raises: a topic or webhook that does not answer is logged, and the
task's outcome stays what it was.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from aws_lambda_powertools import Logger

from jobdeck import clients, webhooks
from jobdeck.config import Settings
from jobdeck.domain import Job, Task, TaskStatus

logger = Logger()

SUBJECT_MAX = 100  # SNS refuses longer subjects
MESSAGE_MAX_CHARS = 4000  # of the task's message, in the document (SNS takes 256 KB in all)
FAILED = (TaskStatus.ERROR, TaskStatus.INTERRUPTED)


def task_failed(job: Job, task: Task, settings: Settings | None = None) -> None:
    """Publish the failure of `task` to the topic (unless the job opted out) and POST it to the
    job's webhook (if it has one). Never raises."""
    try:
        if task.status not in FAILED:
            logger.warning("task_failed called for a task that did not fail", extra={"status": str(task.status)})
            return
        settings = settings or Settings.from_env()
        document = failure_document(job, task)
    except Exception:
        logger.exception("could not build the failure notification", extra={"job_id": job.id, "task_id": task.id})
        return
    if job.notify.topic and settings.notify_topic_arn:
        try:
            publish(
                settings.notify_topic_arn,
                failure_subject(job, task),
                json.dumps(document),
                {"job_id": job.id, "status": task.status.value},
            )
        except Exception:
            logger.exception("could not publish the failure notification", extra={"job_id": job.id, "task_id": task.id})
    if job.notify.webhook:
        try:
            webhooks.post_json(job.notify.webhook, document, allow=settings.webhook_allow)
        except Exception as exc:
            # The URL may carry a secret token: only the reason is logged.
            logger.warning(
                "the failure webhook was not delivered",
                extra={"job_id": job.id, "task_id": task.id, "reason": str(exc)},
            )


def failure_document(job: Job, task: Task) -> dict[str, Any]:
    """The JSON both the topic and the webhook receive."""
    message = task.message
    if message and len(message) > MESSAGE_MAX_CHARS:
        message = message[: MESSAGE_MAX_CHARS - 1] + "…"
    return {
        "type": "jobdeck.task_failed",
        "job": {"id": job.id, "label": job.label, "owner": job.owner},
        "task": {
            "id": task.id,
            "status": task.status.value,
            "message": message,
            "attempt": task.attempt,
            "started_at": task.started_at.isoformat() if task.started_at else None,
            "ended_at": task.ended_at.isoformat() if task.ended_at else None,
            "trigger": {"type": task.trigger.type.value, "by": task.trigger.by},
        },
    }


def failure_subject(job: Job, task: Task) -> str:
    """The subject "Jobdeck: <label> ended ERROR", the label shortened when the whole would not fit."""
    prefix, suffix = "Jobdeck: ", f" ended {task.status.value}"
    label = _ascii_line(job.label) or _ascii_line(job.id) or "a job"
    room = SUBJECT_MAX - len(prefix) - len(suffix)
    if len(label) > room:
        label = label[: room - 3].rstrip() + "..."
    return prefix + label + suffix


def publish(topic_arn: str, subject_line: str, message: str, attributes: dict[str, str]) -> str:
    """Publish to SNS with string message attributes; the message id."""
    response = clients.sns().publish(
        TopicArn=topic_arn,
        Subject=subject(subject_line),
        Message=message,
        MessageAttributes={
            name: {"DataType": "String", "StringValue": value} for name, value in attributes.items() if value
        },
    )
    return str(response["MessageId"])


def subject(text: str) -> str:
    """`text` as SNS takes a subject: printable ASCII on one line, at most 100 characters."""
    line = _ascii_line(text) or "Jobdeck"
    return line if len(line) <= SUBJECT_MAX else line[: SUBJECT_MAX - 3].rstrip() + "..."


def _ascii_line(text: str) -> str:
    """Accents dropped (é -> e), other non-ASCII and control characters as spaces, one line."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", re.sub(r"[^\x20-\x7e]", " ", ascii_text)).strip()
