"""Hand QUEUED tasks to RunQueue. The message names the task; the task item holds the rest."""

from __future__ import annotations

import json
import math
from datetime import datetime

from jobdeck import clients
from jobdeck.config import Settings
from jobdeck.domain import Task

MAX_DELAY_SECONDS = 900  # SQS's limit; the tick never looks further ahead than a minute


class DispatchError(RuntimeError):
    pass


def message(task: Task) -> str:
    return json.dumps({"job_id": task.job_id, "task_id": task.id})


def send(tasks: list[Task], now: datetime, settings: Settings | None = None) -> None:
    """Send each task to RunQueue, delayed to its `scheduled_for` (to the second)."""
    queue_url = (settings or Settings.from_env()).run_queue_url
    for start in range(0, len(tasks), 10):
        batch = tasks[start : start + 10]
        entries = [
            {"Id": str(i), "MessageBody": message(task), "DelaySeconds": delay_seconds(task, now)}
            for i, task in enumerate(batch)
        ]
        response = clients.sqs().send_message_batch(QueueUrl=queue_url, Entries=entries)
        if response.get("Failed"):
            failed = [batch[int(f["Id"])].id for f in response["Failed"]]
            raise DispatchError(f"RunQueue refused tasks {failed}: {response['Failed'][0].get('Message')}")


def delay_seconds(task: Task, now: datetime) -> int:
    if task.scheduled_for is None:
        return 0
    wait = (task.scheduled_for - now).total_seconds()
    return min(MAX_DELAY_SECONDS, max(0, math.ceil(wait)))
