"""RunQueue's messages: what one says (the task it names; the task item holds the rest), when SQS
delivers it (delayed to the task's due time, at most 15 minutes ahead), and sending them ten to a
request. `jobdeck.lifecycle` decides what is sent and when."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from jobdeck import clients
from jobdeck.config import Settings
from jobdeck.domain import Task

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

MAX_DELAY_SECONDS = 900  # SQS's limit: a task due later than this is held, and the tick sends it
BATCH = 10  # messages in one SendMessageBatch, SQS's limit


class SendError(RuntimeError):
    pass


@dataclass(frozen=True)
class Message:
    """A message naming a task, delivered at `due` (at once when None or past)."""

    job_id: str
    task_id: str
    due: datetime | None = None

    @classmethod
    def of(cls, task: Task) -> Message:
        """A task's message, due at the end of its backoff (a retry) or at its slot."""
        return cls(task.job_id, task.id, task.not_before or task.scheduled_for)


def message(job_id: str, task_id: str) -> str:
    return json.dumps({"job_id": job_id, "task_id": task_id})


def send(messages: Sequence[Message], now: datetime, settings: Settings | None = None) -> None:
    """Send each message delayed from `now` to its due time; SendError names the tasks refused."""
    queue_url = (settings or Settings.from_env()).run_queue_url
    for start in range(0, len(messages), BATCH):
        batch = messages[start : start + BATCH]
        entries: list[SendMessageBatchRequestEntryTypeDef] = [
            {"Id": str(i), "MessageBody": message(m.job_id, m.task_id), "DelaySeconds": delay_seconds(m.due, now)}
            for i, m in enumerate(batch)
        ]
        response = clients.sqs().send_message_batch(QueueUrl=queue_url, Entries=entries)
        if response.get("Failed"):
            failed = [batch[int(f["Id"])].task_id for f in response["Failed"]]
            raise SendError(f"RunQueue refused tasks {failed}: {response['Failed'][0].get('Message')}")


def within_reach(due: datetime | None, now: datetime) -> bool:
    """Whether SQS can delay a message from `now` until `due`."""
    return due is None or (due - now).total_seconds() <= MAX_DELAY_SECONDS


def delay_seconds(due: datetime | None, now: datetime) -> int:
    """SQS delays by whole seconds: rounded down, the message comes within the second before the
    task is due, never after (the runner waits for what is left). The tick sends when that second
    is a whole one (lifecycle.ALIGN_EARLY), so that its messages come on their slot's second."""
    if due is None:
        return 0
    wait = (due - now).total_seconds()
    return min(MAX_DELAY_SECONDS, max(0, math.floor(wait)))
