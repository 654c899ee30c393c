from __future__ import annotations

from typing import Any

from jobdeck import store
from jobdeck.actions.registry import ActionContext, Node, action


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
