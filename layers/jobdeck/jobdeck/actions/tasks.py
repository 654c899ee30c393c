from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from jobdeck import deadlines, overlap, store
from jobdeck.actions.registry import ActionContext, Node, action
from jobdeck.domain import DEFAULT_HISTORY_DAYS, Job, Task, TaskStatus


@action(
    "tasks.prune",
    "Keep the newest N finished tasks of every job and delete older ones; active tasks are kept.",
    {"properties": {"keep": {"type": "integer", "minimum": 1, "default": 50}}},
    datasource=False,
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
    datasource=False,
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
        if end_stuck(task, job, ctx.now, f"RUNNING since {task.started_at.isoformat()}, past its {limit} s limit"):
            reaped += 1
            ctx.log(f"reaped {task.job_id}/{task.id}", "WARNING")
    ctx.log(f"reaped {reaped} stuck tasks")
    return nodes


def end_stuck(task: Task, job: Job | None, now: datetime, why: str) -> bool:
    """A RUNNING task whose runner is gone ends ERROR "Task stuck: <why>", its seat given back and
    the next in line woken (the dead runner never will). False if it had moved on meanwhile."""
    task.status, task.ended_at = TaskStatus.ERROR, now
    task.message = f"Task stuck: {why}"
    freed = store.finish_task(task, job.history_days if job else DEFAULT_HISTORY_DAYS)
    if freed is store.Freed.SOMEONE_WAITS:
        overlap.release(task.job_id)
    return bool(freed)


@action(
    "tasks.deadlines",
    "Announce once each run not FINISHED by its job's deadline (the topic, the job's webhook, a "
    "`Jobdeck Deadline Missed` event) and mark it.",
    {"properties": {}},
    datasource=False,
)
def tasks_deadlines(ctx: ActionContext, params: dict[str, Any], nodes: list[Node]) -> list[Node]:
    for miss in deadlines.watch(ctx.now, ctx.settings):
        ctx.log(f"{miss.job.id}/{miss.task.id} missed its deadline of {miss.deadline.isoformat()}", "WARNING")
    return nodes
