"""The jobs Jobdeck registers by itself, present after deploy and after local start.

Registration keeps what an operator chose (enabled or not) and the scheduler's own state, and
brings the definition (label, schedule, actions) up to date with this code. Each datasource has its
own "Sync datasource <name>" job; the jobs that index uploads and empty the recycle bins work in
every datasource. A datasource taken out of the stack leaves its sync job behind, whose runs then
fail naming the datasource that is gone: an operator deletes it (its history says what it did).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from jobdeck import misfire, store
from jobdeck.config import Settings
from jobdeck.datasources import DEFAULT
from jobdeck.domain import (
    SYSTEM_OWNER,
    ActionStep,
    EventFilter,
    EventSource,
    EventTrigger,
    Job,
    JobKind,
    Overlap,
    ScheduleSpec,
)
from jobdeck.errors import Conflict


def sync_job_id(datasource: str) -> str:
    return "sync-datasource" if datasource == DEFAULT else f"sync-datasource-{datasource}"


def definitions() -> list[Job]:
    names = list(Settings.from_env().datasources)
    return [
        Job(
            id="index-new-uploads",
            label="Index new uploads",
            owner=SYSTEM_OWNER,
            kind=JobKind.SYSTEM,
            description="Records each new object of every datasource in its node index, and forgets removed ones.",
            events=[
                EventTrigger(EventSource.S3, kind, name)
                for name in names
                for kind in ("ObjectCreated", "ObjectRemoved")
            ],
            actions=[ActionStep("nodes.index", {})],
            history_days=7,
        ),
        Job(
            id="purge-recycle-bin",
            label="Purge recycle bin",
            owner=SYSTEM_OWNER,
            kind=JobKind.SYSTEM,
            description="On the 1st of every month, delete what has been in each datasource's recycle bin for 30 days.",
            schedule=ScheduleSpec("0 0 1 * *"),
            actions=[ActionStep("recycle.purge", {"datasource": name, "older_than_days": 30}) for name in names],
        ),
        Job(
            id="prune-task-history",
            label="Prune task history",
            owner=SYSTEM_OWNER,
            kind=JobKind.SYSTEM,
            description="Every 10 minutes, keep the newest 50 finished tasks of each job.",
            schedule=ScheduleSpec("*/10 * * * *"),
            actions=[ActionStep("tasks.prune", {"keep": 50})],
            history_days=7,
        ),
        Job(
            id="reap-stuck-tasks",
            label="Reap stuck tasks",
            owner=SYSTEM_OWNER,
            kind=JobKind.SYSTEM,
            description="Every 5 minutes, end the tasks whose runner died while they were RUNNING.",
            schedule=ScheduleSpec("*/5 * * * *"),
            actions=[ActionStep("tasks.reap", {"grace_seconds": 300})],
            history_days=7,
        ),
        *(
            Job(
                id=sync_job_id(name),
                label=f"Sync datasource {name}",
                owner=SYSTEM_OWNER,
                kind=JobKind.SYSTEM,
                description=f"Every hour (and on Run Now), bring the node index of {name} in line with its bucket.",
                schedule=ScheduleSpec("0 * * * *"),
                actions=[ActionStep("datasource.sync", {"datasource": name})],
                overlap=Overlap.SKIP,  # a sync still walking the bucket makes the next one pointless
                history_days=7,
            )
            for name in names
        ),
        Job(
            id="thumbnails-on-upload",
            label="Thumbnails on image upload",
            owner=SYSTEM_OWNER,
            kind=JobKind.SYSTEM,
            description="Makes the sm (300 px) and md (1024 px) thumbnails of each image uploaded to the datasource.",
            # The stack's own bucket only: an operator's bucket gets no files it did not ask for.
            events=[EventTrigger(EventSource.S3, "ObjectCreated", DEFAULT, EventFilter(content_type="image/*"))],
            actions=[ActionStep("images.thumbnail", {})],
            overlap=Overlap.ALLOW_ALL,
            max_concurrency=5,  # as Pydio's thumbnails job: a burst of uploads does not take every runner
            history_days=7,
        ),
        Job(
            id="watch-deadlines",
            label="Watch deadlines",
            owner=SYSTEM_OWNER,
            kind=JobKind.SYSTEM,
            description="Every 5 minutes, announce once each run that has not FINISHED by its job's deadline.",
            # Not every minute: each minute would then be busy on the timeline (no quiet one to
            # offer), and the watch would be 1,440 runs a day of an idle stack.
            schedule=ScheduleSpec("*/5 * * * *"),
            actions=[ActionStep("tasks.deadlines", {})],
            overlap=Overlap.SKIP,
            history_days=1,
        ),
        Job(
            id="expire-shares",
            label="Expire shares",
            owner=SYSTEM_OWNER,
            kind=JobKind.SYSTEM,
            description="Every day at 01:30 UTC, remove the expired shares.",
            schedule=ScheduleSpec("30 1 * * *"),
            actions=[ActionStep("share.expire", {})],
            history_days=7,
        ),
    ]


def ensure(now: datetime | None = None) -> list[str]:
    """Create missing system jobs and update changed ones; the ids touched."""
    now = now or datetime.now(UTC)
    touched = []
    for wanted in definitions():
        current = store.get_job(wanted.id)
        if current is None:
            wanted.created_at = wanted.updated_at = now
            wanted.next_fire_at = misfire.first_fire(wanted, now)
            try:
                store.create_job(wanted)
            except Conflict:
                continue  # registered concurrently (two cold starts): theirs is as good
            touched.append(wanted.id)
        elif _definition(current) != _definition(wanted):
            previous = copy.deepcopy(current)
            _apply(current, wanted, now)
            store.save_job(current, expected_version=previous.version, previous=previous)
            touched.append(wanted.id)
    return touched


def _definition(job: Job) -> tuple[object, ...]:
    return (
        job.label,
        job.description,
        job.schedule,
        job.events,
        job.actions,
        job.history_days,
        job.timeout_seconds,
        job.overlap,
        job.max_concurrency,
    )


def _apply(current: Job, wanted: Job, now: datetime) -> None:
    schedule_changed = current.schedule != wanted.schedule
    current.label, current.description = wanted.label, wanted.description
    current.schedule, current.events, current.actions = wanted.schedule, wanted.events, wanted.actions
    current.history_days, current.timeout_seconds = wanted.history_days, wanted.timeout_seconds
    current.overlap, current.max_concurrency = wanted.overlap, wanted.max_concurrency
    current.version += 1
    current.updated_at = now
    if schedule_changed:
        current.next_fire_at = misfire.first_fire(current, now) if current.enabled else None
