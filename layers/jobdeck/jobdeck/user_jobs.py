"""User jobs: what a user starts with a click (compress, extract, copy, move, delete, share).

Each request is a one-shot job owned by the user (kind `user`), started at once, and removed
`USER_JOB_DAYS` after its task ends, with its history. A user acts only under the prefixes
allowed to them, in every datasource (keys are relative to a datasource: `home/alice/` is Alice's
home in each); admins anywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from jobdeck import actions, audit, datasources, jobs, lifecycle, store
from jobdeck.access import Principal, require_path
from jobdeck.config import Settings
from jobdeck.domain import ActionStep, Job, JobKind, Overlap, Task, TaskStatus, TriggerInfo, TriggerType, new_task_id
from jobdeck.errors import InvalidJob, NotFound


class UserJobKind(StrEnum):
    COMPRESS = "compress"
    EXTRACT = "extract"
    COPY = "copy"
    MOVE = "move"
    DELETE = "delete"
    SHARE = "share"


ACTIONS = {
    UserJobKind.COMPRESS: "archive.compress",
    UserJobKind.EXTRACT: "archive.extract",
    UserJobKind.COPY: "tree.copy",
    UserJobKind.MOVE: "tree.move",
    UserJobKind.DELETE: "tree.delete",
    UserJobKind.SHARE: "share.create",
}
# The parameters that name places in the datasource, whichever action reads them.
PATH_PARAMETERS = ("prefix", "destination", "key")


def days() -> int:
    return Settings.from_env().user_job_days


def start(
    kind: UserJobKind,
    parameters: dict[str, Any],
    keys: list[str],
    who: Principal,
    now: datetime | None = None,
    datasource: str = datasources.DEFAULT,
) -> tuple[Job, Task]:
    """Create the job and queue its one task; nothing is stored when a check fails. The keys are in
    `datasource`, and so is what the action writes unless its parameters name another."""
    now = now or datetime.now(UTC)
    action = actions.get(ACTIONS[kind])
    if action is None:
        raise NotFound(f"{kind.value} is not available in this deployment")
    known = Settings.from_env().datasources
    datasources.require(known, datasource, "datasource")
    try:
        checked = action.validate({"datasource": datasource, **parameters})
    except actions.InvalidParameters as exc:
        raise InvalidJob("parameters", exc.problem) from None
    for name in PATH_PARAMETERS:
        if isinstance(checked.get(name), str):
            require_path(who, checked[name], f"parameters.{name}")
    for index, key in enumerate(keys):
        require_path(who, key, f"keys[{index}]")
    task_id = new_task_id(now)
    job = Job(
        id=f"{kind.value}-{task_id.lower()}",
        label=f"{kind.value.capitalize()} ({who.username})",
        owner=who.username,
        kind=JobKind.USER,
        actions=[ActionStep(action.name, checked)],
        history_days=days(),
        overlap=Overlap.ALLOW_ALL,
        created_at=now,
        updated_at=now,
    )
    jobs.validate(job)
    task = Task(
        job_id=job.id,
        id=task_id,
        status=TaskStatus.QUEUED,
        trigger=TriggerInfo(
            TriggerType.MANUAL,
            by=who.username,
            detail={"event": {"source": "user", "keys": keys, "datasource": datasource}},
        ),
        created_at=now,
    )
    with lifecycle.enqueue(now) as queue:
        queue.add_job(job, task, audit.entry(who, "user_job.create", job.id, None, 1, kind=kind.value))
    return job, task


def ended(job: Job, task: Task) -> None:
    """A user job's task ended: the job goes `days()` later (its history expires with it)."""
    store.expire_job(job.id, (task.ended_at or datetime.now(UTC)) + timedelta(days=days()))
