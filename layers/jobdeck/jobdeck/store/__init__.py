"""The only place that speaks DynamoDB. Everything above works with `jobdeck.domain` objects."""

from jobdeck.store.jobs import all_jobs, create_job, due_jobs, get_job, save_job
from jobdeck.store.runs import claim_slots, create_task, finish_task, reset, start_task
from jobdeck.store.tasks import active_tasks, get_task, list_tasks, prune_history, save_progress, stale_queued

__all__ = [
    "active_tasks",
    "all_jobs",
    "claim_slots",
    "create_job",
    "create_task",
    "due_jobs",
    "finish_task",
    "get_job",
    "get_task",
    "list_tasks",
    "prune_history",
    "reset",
    "save_job",
    "save_progress",
    "stale_queued",
    "start_task",
]
