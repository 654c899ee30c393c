"""Hand QUEUED tasks to RunQueue. The message names the task; the task item holds the rest."""

from __future__ import annotations

import json
import math
from datetime import datetime

from jobdeck import clients
from jobdeck.config import Settings
from jobdeck.domain import Task

MAX_DELAY_SECONDS = 900  # SQS's limit; the tick never looks further ahead than a minute
BATCH = 10  # messages in one SendMessageBatch, SQS's limit


class SendError(RuntimeError):
    pass


def message(job_id: str, task_id: str) -> str:
    return json.dumps({"job_id": job_id, "task_id": task_id})


def send(tasks: list[Task], now: datetime, settings: Settings | None = None) -> None:
    """Send each task to RunQueue, delayed to its `scheduled_for`, or for a retry to the end of its
    backoff, at most SQS's 15 minutes (the runner sends it again if it comes earlier than that)."""
    _send([(t.job_id, t.id, delay_seconds(t, now)) for t in tasks], settings)


def resend(refs: list[tuple[str, str]], settings: Settings | None = None) -> None:
    """Send (job id, task id) pairs again, at once."""
    _send([(job_id, task_id, 0) for job_id, task_id in refs], settings)


def _send(messages: list[tuple[str, str, int]], settings: Settings | None) -> None:
    queue_url = (settings or Settings.from_env()).run_queue_url
    for start in range(0, len(messages), BATCH):
        batch = messages[start : start + BATCH]
        entries = [
            {"Id": str(i), "MessageBody": message(job_id, task_id), "DelaySeconds": delay}
            for i, (job_id, task_id, delay) in enumerate(batch)
        ]
        response = clients.sqs().send_message_batch(QueueUrl=queue_url, Entries=entries)
        if response.get("Failed"):
            failed = [batch[int(f["Id"])][1] for f in response["Failed"]]
            raise SendError(f"RunQueue refused tasks {failed}: {response['Failed'][0].get('Message')}")


def delay_seconds(task: Task, now: datetime) -> int:
    """SQS delays by whole seconds: rounded down, the message comes within the second before the
    task is due, never after. The runner reads the task and its job meanwhile and waits for what is
    left, so a run starts on its time rather than up to a second late, its poll and reads after."""
    due = task.not_before or task.scheduled_for
    if due is None:
        return 0
    wait = (due - now).total_seconds()
    return min(MAX_DELAY_SECONDS, max(0, math.floor(wait)))
