"""What a restarted local stack does with the runs the stopped one left RUNNING.

Their runner is gone: it ran in the stack's process. In AWS the reaper (the `reap-stuck-tasks`
system job) finds such a task only once its timeout and a grace period have passed, since there it
cannot tell a dead runner from a slow one, and it holds the job's seat until then. Here the stop is
known, not guessed: before its pollers start, the stack deals with each such task at once.

- A task that checkpointed (it carries a place: the step, its input and the action's state, saved
  when it was paused or handed over to a new invocation) goes back to QUEUED with that place and is
  sent to RunQueue: it continues there, as after a hand-over.
- Any other ends as the reaper ends a stuck task: ERROR "Task stuck: ...", its seat given back.

QUEUED tasks need nothing: their messages are kept with the queue, delays included, and run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jobdeck import lifecycle, overlap, store
from jobdeck.actions.tasks import end_stuck
from jobdeck.domain import TaskStatus


@dataclass
class Recovered:
    resumed: int = 0
    ended: int = 0


def recover_runs(now: datetime) -> Recovered:
    recovered = Recovered()
    for task in list(store.active_tasks()):
        if task.status is not TaskStatus.RUNNING:
            continue
        job = store.get_job(task.job_id)
        if task.resume and job is not None:
            task.message = "continues where it last checkpointed: the local stack stopped while it ran"
            with lifecycle.enqueue(now) as queue:
                freed = queue.requeue(task, now, next_attempt=False)
            if freed:
                recovered.resumed += 1
            if freed is store.Freed.SOMEONE_WAITS:
                overlap.release(task.job_id)
        elif end_stuck(task, job, now, "the local stack stopped while it ran"):
            recovered.ended += 1
    return recovered
