"""Task state changes on EventBridge, as AWS services announce theirs (Batch, ECS, Step Functions):
anything can follow a run, an operator's rule as well as a job's `after`.

They come from the Tasks table's stream, not from the code that changes a status: every change is
one write of the task item, whoever makes it (the runner, a stop, the reaper, a restart's
recovery), and the stream has each write once, in order per task, for 24 hours. What a change of
status looks like there: the record's old and new images differ in `status`. QUEUED is not
announced (a run that is only planned, or waits its turn, has not changed state for anyone
following it), nor a task removed (history cleared or expired).

A publish that fails is retried here (PutEvents answers per entry), then reported as the batch's
failure from that record on: Lambda reads the stream from there again, and after its last attempt
the records go to the stream's dead-letter queue. Either way the run itself never waits for, nor
fails because of, its announcement.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit

from jobdeck import clients, store
from jobdeck.domain import Task, TaskStatus
from jobdeck.telemetry import metrics

logger = Logger()

SOURCE = "jobdeck"
DETAIL_TYPE = "Jobdeck Task State Change"
PUT_BATCH = 10  # PutEvents takes at most ten entries a request
ATTEMPTS = 3  # of each entry, before the batch is reported failed from its record on
BACKOFF_SECONDS = 0.2  # before the second attempt; doubled for the next

sleep: Callable[[float], None] = time.sleep  # tests do without the wait


@dataclass(frozen=True)
class Change:
    """One task's status changing, at the stream record `sequence`."""

    sequence: str
    task: Task
    previous: TaskStatus | None
    at: datetime | None


def changes(records: Sequence[dict[str, Any]]) -> list[Change]:
    """The status changes among a stream batch's records, in the stream's order."""
    found = []
    for record in records:
        stream = record.get("dynamodb", {})
        new, old = stream.get("NewImage"), stream.get("OldImage")
        if record.get("eventName") not in ("INSERT", "MODIFY") or not new:
            continue
        status = new.get("status", {}).get("S")
        previous = old.get("status", {}).get("S") if old else None
        if status == previous or status == TaskStatus.QUEUED.value:
            continue
        created = stream.get("ApproximateCreationDateTime")
        at = datetime.fromtimestamp(float(created), UTC) if created is not None else None
        found.append(
            Change(stream["SequenceNumber"], store.task_from_image(new), TaskStatus(previous) if previous else None, at)
        )
    return found


def detail(change: Change, label: str | None) -> dict[str, Any]:
    """What `detail` holds (the field names are the API's contract: docs/task-events.md)."""
    task = change.task

    def iso(at: datetime | None) -> str | None:
        return at.isoformat() if at else None

    return {
        "job_id": task.job_id,
        "job_label": label,
        "task_id": task.id,
        "status": task.status.value,
        "previous_status": change.previous.value if change.previous else None,
        "trigger": task.trigger.type.value,
        "scheduled_for": iso(task.scheduled_for),
        "started_at": iso(task.started_at),
        "ended_at": iso(task.ended_at),
        "message": task.message,
        "attempt": task.attempt,
    }


def publish(found: Sequence[Change]) -> str | None:
    """Put each change on the default bus. The sequence number of the first change that could not
    be put after ATTEMPTS, or None when all were."""
    if not found:
        return None
    labels = {job.id: job.label for job in store.get_jobs(sorted({c.task.job_id for c in found}))}
    entries = [_entry(change, labels.get(change.task.job_id)) for change in found]
    failed: set[int] = set()  # indexes into found
    for start in range(0, len(entries), PUT_BATCH):
        failed |= {start + i for i in _put(entries[start : start + PUT_BATCH])}
    if not failed:
        metrics.add_metric("TaskEventsPublished", MetricUnit.Count, len(found))
        return None
    first = min(failed)
    # Those from the first failure on are read again from the stream: published again too, which a
    # rule's targets see as a second delivery (EventBridge delivers at least once anyway).
    metrics.add_metric("TaskEventsPublished", MetricUnit.Count, first)
    metrics.add_metric("TaskEventsFailed", MetricUnit.Count, len(failed))
    logger.warning("task events not published", extra={"failed": len(failed), "from_task": found[first].task.id})
    return found[first].sequence


def _entry(change: Change, label: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "Source": SOURCE,
        "DetailType": DETAIL_TYPE,
        "Detail": json.dumps(detail(change, label)),
        "Resources": [],
    }
    if change.at is not None:
        entry["Time"] = change.at
    return entry


def _put(entries: list[dict[str, Any]]) -> list[int]:
    """The indexes of `entries` still refused after ATTEMPTS (an entry refused, or the request)."""
    pending = list(range(len(entries)))
    for attempt in range(ATTEMPTS):
        if attempt:
            sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
        try:
            answer = clients.events().put_events(Entries=[entries[i] for i in pending])  # type: ignore[misc]
        except Exception:
            logger.warning("PutEvents failed", exc_info=True)
            continue
        results = answer.get("Entries", [])
        pending = [i for i, result in zip(pending, results, strict=True) if "ErrorCode" in result]
        if not pending:
            return []
    return pending
