"""Task history: reads, progress, pruning."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError
from ulid import ULID

from jobdeck.domain import Job, Page, Task, TaskStatus
from jobdeck.store import pages
from jobdeck.store.connections import transactions
from jobdeck.store.convert import job_from_item, log_maps, task_from_item
from jobdeck.store.models import HELD, QUEUED, JobModel, TaskModel

_TINY = timedelta(microseconds=1)
_BATCH_ATTEMPTS = 5  # a BatchGetItem's unprocessed keys asked again this many times at most


def get_task(job_id: str, task_id: str) -> Task | None:
    try:
        return task_from_item(TaskModel.get(job_id, task_id, consistent_read=True))
    except TaskModel.DoesNotExist:
        return None


def task_from_image(image: dict[str, Any]) -> Task:
    """A task as a DynamoDB stream record's image holds it (DynamoDB's attribute-value JSON)."""
    return task_from_item(TaskModel.from_raw_data(image))


def get_task_and_job(job_id: str, task_id: str) -> tuple[Task | None, Job | None]:
    """A task and its job in one request (a BatchGetItem over both tables, strongly consistent, as
    two GetItems would be): what a run needs before it starts, in one round trip rather than two.
    Each is None when missing."""
    keys = {
        TaskModel.Meta.table_name: {"job_id": {"S": job_id}, "id": {"S": task_id}},
        JobModel.Meta.table_name: {"id": {"S": job_id}},
    }
    found: dict[str, dict[str, Any]] = {}
    wanted: dict[str, Any] = {table: {"Keys": [key], "ConsistentRead": True} for table, key in keys.items()}
    for _ in range(_BATCH_ATTEMPTS):
        answer = transactions().dispatch("BatchGetItem", {"RequestItems": wanted})  # as PynamoDB sends its own
        for table, items in answer.get("Responses", {}).items():
            found.update((table, item) for item in items)  # one key a table: at most one item each
        wanted = answer.get("UnprocessedKeys") or {}  # DynamoDB may leave some for later (throttled)
        if not wanted:
            break
        time.sleep(0.05)
    else:
        raise RuntimeError(f"DynamoDB kept task {task_id} or its job unread; the message will be delivered again")
    task = found.get(TaskModel.Meta.table_name)
    job = found.get(JobModel.Meta.table_name)
    return (
        task_from_item(TaskModel.from_raw_data(task)) if task else None,
        job_from_item(JobModel.from_raw_data(job)) if job else None,
    )


def list_tasks(job_id: str, limit: int = 50) -> list[Task]:
    """A job's history, newest first."""
    items = TaskModel.query(job_id, scan_index_forward=False, limit=limit)
    return [task_from_item(item) for item in items]


def task_page(job_id: str, limit: int = 50, cursor: str | None = None, status: str | None = None) -> Page[Task]:
    """A job's history newest first, optionally of one status."""
    found: list[Task] = []
    last_key = pages.start_key(cursor, [TaskModel.job_id, TaskModel.id], partition=(TaskModel.job_id, job_id))
    while True:
        result = TaskModel.query(
            job_id,
            filter_condition=(TaskModel.status == status) if status else None,
            scan_index_forward=False,
            limit=limit - len(found),
            last_evaluated_key=last_key,
        )
        found += [task_from_item(item) for item in result]
        last_key = result.last_evaluated_key
        if not last_key or len(found) >= limit:
            return Page(found, pages.encode(last_key))


def tasks_between(job_id: str, start: datetime, end: datetime, limit: int = 2000) -> list[Task]:
    """A job's tasks whose id's time is in [start, end), oldest first: a slot's task has its slot
    as its id's time (domain.slot_task_id), so this reads the tasks of a range of slots."""
    low = str(ULID.from_bytes(_millis(start) + bytes(10)))
    high = str(ULID.from_bytes(_millis(end) + bytes(10)))
    query = TaskModel.query(job_id, TaskModel.id.between(low, high), limit=limit)
    return [task_from_item(item) for item in query if item.id < high]


def _millis(at: datetime) -> bytes:
    return int(at.timestamp() * 1000).to_bytes(6, "big")


def existing_tasks(job_id: str, task_ids: list[str]) -> set[str]:
    """Which of these task ids the job has (one BatchGetItem per hundred; consistent: a task written
    a moment ago counts)."""
    found: set[str] = set()
    for start in range(0, len(task_ids), 100):
        keys = [(job_id, task_id) for task_id in task_ids[start : start + 100]]
        found |= {
            item.id for item in TaskModel.batch_get(keys, consistent_read=True, attributes_to_get=["job_id", "id"])
        }
    return found


def save_progress(task: Task) -> tuple[str | None, str | None]:
    """Record progress and log lines of a running task (throttled by the caller); returns who asked
    it to stop and who to pause, if anyone did: the write reads that back for free."""
    item = TaskModel(task.job_id, task.id)
    item.update(
        actions=[TaskModel.progress.set(task.progress), TaskModel.logs.set(log_maps(task.logs))],
        condition=TaskModel.status == TaskStatus.RUNNING.value,
    )
    return item.stop_requested_by, item.pause_requested_by


def requests(task: Task) -> tuple[str | None, str | None]:
    """Who asked the task to stop, and who to pause (None: nobody)."""
    names = ["id", "stop_requested_by", "pause_requested_by"]
    item = TaskModel.get(task.job_id, task.id, consistent_read=True, attributes_to_get=names)
    return item.stop_requested_by, item.pause_requested_by


def active_tasks(job_id: str | None = None) -> Iterator[Task]:
    """QUEUED, RUNNING and PAUSED tasks, of one job or of all (reads the sparse index only)."""
    items = TaskModel.active_index.query(job_id) if job_id else TaskModel.active_index.scan()
    for item in items:
        yield task_from_item(item)


def stale_queued(due_between: tuple[datetime, datetime]) -> list[tuple[str, str]]:
    """(job id, task id) of the tasks still QUEUED that were due within [start, end)."""
    start, end = due_between
    query = TaskModel.queued_index.query(QUEUED, TaskModel.due_at.between(start, end - _TINY))
    return [(item.job_id, item.id) for item in query]


def held_due(until: datetime) -> list[tuple[str, str, datetime]]:
    """(job id, task id, due time) of the held tasks due by `until`, soonest first."""
    query = TaskModel.queued_index.query(HELD, TaskModel.due_at <= until)
    return [(item.job_id, item.id, item.due_at) for item in query]


def hold(task: Task) -> bool:
    """A QUEUED task too far from its due time for SQS's delay: its message is left to the tick."""
    return _move(task.job_id, task.id, QUEUED, HELD)


def unhold(job_id: str, task_id: str) -> bool:
    """A held task is about to be sent: False when another tick took it first, or it moved on."""
    return _move(job_id, task_id, HELD, QUEUED)


def _move(job_id: str, task_id: str, partition: str, to: str) -> bool:
    try:
        TaskModel(job_id, task_id).update(
            actions=[TaskModel.queued.set(to)],
            condition=(TaskModel.status == TaskStatus.QUEUED.value) & (TaskModel.queued == partition),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def prune_history(job_id: str, keep: int) -> int:
    """Delete the finished tasks of a job beyond the newest `keep`; active tasks stay."""
    seen = 0
    doomed: list[TaskModel] = []
    for item in TaskModel.query(job_id, scan_index_forward=False, attributes_to_get=["job_id", "id", "status"]):
        if TaskStatus(item.status).active:
            continue
        seen += 1
        if seen > keep:
            doomed.append(item)
    with TaskModel.batch_write() as batch:
        for item in doomed:
            batch.delete(item)
    return len(doomed)
