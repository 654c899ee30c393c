"""Jobs that follow jobs: a job's `after` (jobdeck.after) starts it once each job it lists has had a
run ending as `on` since its own last run started this way, all within `within_seconds`.

Driven by the task events (jobdeck.task_events) like any event: a rule sends the ended runs to
EventsQueue, routing hands those of `after:<job>` keys here. Each arrival is kept on the dependent
job's item (store.upstream), replacing that upstream job's previous one; the arrival that completes
the set starts the run. Its task id derives from the upstream task ids, so an event delivered twice,
or two arrivals completing the set at once in two invocations, start it once. What it used is then
forgotten; an upstream run that ended meanwhile stays for the next start.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from jobdeck import lifecycle, store
from jobdeck.after import After
from jobdeck.domain import SYSTEM_OWNER, Job, Task, TaskStatus, TriggerInfo, TriggerType, derived_task_id
from jobdeck.errors import InvalidJob
from jobdeck.store import upstream

logger = Logger()


def arrived(event: dict[str, Any], now: datetime | None = None) -> list[Task]:
    """A run of an upstream job ended (a task event's detail): the dependents it completes start."""
    now = now or datetime.now(UTC)
    upstream_id, status = event["job_id"], event["status"]
    dependents = [job_id for job_id, _ in store.subscribers(f"after:{upstream_id}")]
    started = []
    for job in store.get_jobs(dependents) if dependents else []:
        if job.after is None or not job.enabled or not job.after.counts(status):
            continue
        arrival = {"task_id": event["task_id"], "status": status, "ended_at": event.get("ended_at") or now.isoformat()}
        seen = upstream.record_upstream(job.id, upstream_id, arrival)
        used = _complete(job.after, seen or {}, now)
        if used is None:
            logger.info("waiting for more upstream runs", extra={"job_id": job.id, "arrived": upstream_id})
            continue
        task = _start(job, used, now)
        if task is not None:
            started.append(task)
        upstream.forget_upstream(job.id, {job_id: arrival["task_id"] for job_id, arrival in used.items()})
    return started


def _complete(after: After, seen: dict[str, dict[str, Any]], now: datetime) -> dict[str, dict[str, Any]] | None:
    """The arrival of each upstream job when every one has one that counts within the window."""
    oldest = now - timedelta(seconds=after.within_seconds)
    used = {}
    for job_id in after.jobs:
        arrival = seen.get(job_id)
        if arrival is None or not after.counts(str(arrival["status"])):
            return None
        if datetime.fromisoformat(str(arrival["ended_at"])) < oldest:
            return None  # too old: a newer run of that job takes its place when it ends
        used[job_id] = arrival
    return used


def _start(job: Job, used: dict[str, dict[str, Any]], now: datetime) -> Task | None:
    task_ids = sorted(str(a["task_id"]) for a in used.values())
    # The same upstream runs give the same task id, whichever invocation completes the set first.
    latest = max(datetime.fromisoformat(str(a["ended_at"])) for a in used.values())
    upstream_runs = [{"job_id": job_id, **arrival} for job_id, arrival in sorted(used.items())]
    task = Task(
        job_id=job.id,
        id=derived_task_id(job.id, latest, "after|" + "|".join(task_ids)),
        status=TaskStatus.QUEUED,
        trigger=TriggerInfo(
            TriggerType.AFTER,
            by=SYSTEM_OWNER,
            detail={"event": {"source": "after", "upstream": upstream_runs}, "upstream_task_ids": task_ids},
        ),
        created_at=now,
    )
    with lifecycle.enqueue(now) as queue:
        created = queue.add(job, [task])
    if not created:
        logger.info("already started for these upstream runs", extra={"job_id": job.id})
        return None
    return task


def check(job: Job, others: list[Job]) -> None:
    """`after` names existing jobs other than itself, and closes no cycle through the jobs' own
    (`others`: every stored job, this one's stored version included); InvalidJob names it."""
    after = job.after
    if after is None:
        return
    if not after.jobs:
        raise InvalidJob("after.jobs", "name one job at least")
    if len(set(after.jobs)) != len(after.jobs):
        raise InvalidJob("after.jobs", "a job is listed twice")
    if job.id in after.jobs:
        raise InvalidJob("after.jobs", f"a cycle: {job.id} → {job.id}")
    known = {other.id: other for other in others if other.id != job.id}
    missing = [job_id for job_id in after.jobs if job_id not in known]
    if missing:
        raise InvalidJob("after.jobs", f"no job {', '.join(map(repr, missing))}")
    edges = {other.id: list(other.after.jobs) for other in known.values() if other.after}
    edges[job.id] = list(after.jobs)
    cycle = _cycle_from(job.id, edges)
    if cycle:
        raise InvalidJob("after.jobs", f"a cycle: {' → '.join(cycle)}")


def _cycle_from(start: str, edges: dict[str, list[str]]) -> list[str] | None:
    """A path start → ... → start following `after` (a job → the jobs it follows), if any."""
    path: list[str] = [start]
    seen: set[str] = set()

    def walk(node: str) -> bool:
        for nxt in edges.get(node, []):
            if nxt == start:
                path.append(start)
                return True
            if nxt in seen:
                continue
            seen.add(nxt)
            path.append(nxt)
            if walk(nxt):
                return True
            path.pop()
        return False

    return path if walk(start) else None


def upstream_problems(jobs: list[Job]) -> dict[str, list[str]]:
    """Per job with `after`: the jobs it follows that are deleted or disabled (one read for all)."""
    wanted = sorted({job_id for job in jobs if job.after for job_id in job.after.jobs})
    found = {j.id: j for j in store.get_jobs(wanted)} if wanted else {}
    problems: dict[str, list[str]] = {}
    for job in jobs:
        for job_id in job.after.jobs if job.after else []:
            upstream_job = found.get(job_id)
            if upstream_job is None or not upstream_job.enabled:
                problems.setdefault(job.id, []).append(f"{job_id}: {'deleted' if upstream_job is None else 'disabled'}")
    return problems
