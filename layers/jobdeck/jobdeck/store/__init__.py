"""The only place that speaks DynamoDB. Everything above works with `jobdeck.domain` objects."""

from jobdeck.store.audit import list_audit, record
from jobdeck.store.jobs import (
    all_jobs,
    create_job,
    delete_job,
    due_jobs,
    get_job,
    get_jobs,
    list_jobs,
    save_job,
    subscribers,
)
from jobdeck.store.nodes import forget_node, index_node, node
from jobdeck.store.runs import claim_slots, create_task, finish_task, request_stop, start_task, stop_queued
from jobdeck.store.tasks import (
    active_tasks,
    get_task,
    list_tasks,
    prune_history,
    save_progress,
    stale_queued,
    stop_requested,
    task_page,
)
from jobdeck.store.transactions import reset

__all__ = [
    "active_tasks",
    "all_jobs",
    "claim_slots",
    "create_job",
    "create_task",
    "delete_job",
    "due_jobs",
    "finish_task",
    "forget_node",
    "get_job",
    "get_jobs",
    "get_task",
    "index_node",
    "list_audit",
    "list_jobs",
    "list_tasks",
    "node",
    "prune_history",
    "record",
    "request_stop",
    "reset",
    "save_job",
    "save_progress",
    "stale_queued",
    "start_task",
    "stop_queued",
    "stop_requested",
    "subscribers",
    "task_page",
]
