from __future__ import annotations

from datetime import timedelta
from typing import Any

from jobdeck import overlap, store
from jobdeck.actions.registry import ActionContext, Node, action
from jobdeck.domain import DEFAULT_HISTORY_DAYS, Job, TaskStatus


@action(
    "tasks.prune",
    "Keep the newest N finished tasks of every job and delete older ones; active tasks are kept.",
    {"properties": {"keep": {"type": "integer", "minimum": 1, "default": 50}}},
)
def tasks_prune(ctx: ActionContext, params: dict[str, Any], nodes: list[Node]) -> list[Node]:
    jobs = list(store.all_jobs())
    pruned = 0
    for done, job in enumerate(jobs, 1):
        pruned += store.prune_history(job.id, params["keep"])
        ctx.report_progress(done / len(jobs))
    ctx.log(f"pruned {pruned} tasks over {len(jobs)} jobs, keeping the newest {params['keep']} of each")
    return nodes


# A runner invocation cannot outlive Lambda's 15 minutes: a task RUNNING longer than that (or than
# its job's timeout, if shorter), plus the grace period, lost its function and will never end alone.
RUNNER_LIMIT_SECONDS = 900


@action(
    "tasks.reap",
    "End the tasks still RUNNING past their job's timeout (at most the runner's 15 minutes) plus a grace "
    'period: they end ERROR "Task stuck".',
    {"properties": {"grace_seconds": {"type": "integer", "minimum": 0, "default": 300}}},
)
def tasks_reap(ctx: ActionContext, params: dict[str, Any], nodes: list[Node]) -> list[Node]:
    reaped = 0
    jobs: dict[str, Job | None] = {}
    for task in store.active_tasks():
        if task.status is not TaskStatus.RUNNING or task.started_at is None:
            continue
        job = jobs.setdefault(task.job_id, store.get_job(task.job_id))
        limit = min(job.timeout_seconds if job else RUNNER_LIMIT_SECONDS, RUNNER_LIMIT_SECONDS)
        if ctx.now - task.started_at <= timedelta(seconds=limit + params["grace_seconds"]):
            continue
        task.status, task.ended_at = TaskStatus.ERROR, ctx.now
        task.message = f"Task stuck: RUNNING since {task.started_at.isoformat()}, past its {limit} s limit"
        freed = store.finish_task(task, job.history_days if job else DEFAULT_HISTORY_DAYS)
        if freed is store.Freed.SOMEONE_WAITS:
            overlap.release(task.job_id)  # the dead runner never woke the next in line
        if freed:
            reaped += 1
            ctx.log(f"reaped {task.job_id}/{task.id}", "WARNING")
    ctx.log(f"reaped {reaped} stuck tasks")
    return nodes
