"""What the API reads and writes, as pydantic models: they validate requests (422 naming the
field), shape responses, and are the OpenAPI document's schemas."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import AwareDatetime, Field

from jobdeck.domain import (
    AuditEntry,
    Job,
    JobKind,
    Misfire,
    Overlap,
    Task,
    TaskStatus,
    TaskSummary,
)
from jobdeck.job_schema import (
    ActionIn,
    AfterIn,
    DeadlineIn,
    Document,
    EventFilterIn,
    EventIn,
    HookIn,
    JobIn,
    NotifyIn,
    ParameterIn,
    RetryIn,
    Schema,
    Strict,
)

# ------------------------------------------------------------------ requests


class JobReplace(JobIn):
    version: int = Field(ge=1, description="the version you read: 409 if the job changed since")


class RunIn(Strict):
    parameters: Document = Field(default_factory=dict, description="values for the job's declared parameters")


JobId = Annotated[str, Field(min_length=1, max_length=128)]


class BackfillIn(Strict):
    start: AwareDatetime = Field(description="the first slot considered (inclusive), with its offset")
    end: AwareDatetime = Field(description="the last slot considered (exclusive); not in the future")
    overlap: Overlap = Field(
        Overlap.BUFFER_ALL, description="how the backfilled runs overlap; buffer_all runs them one after another"
    )
    parameters: Document = Field(default_factory=dict, description="values for the job's declared parameters")


class UserJobIn(Strict):
    parameters: Document = Field(
        default_factory=dict,
        description="the action's parameters (GET /actions): archive.compress, archive.extract, tree.copy, "
        "tree.move, tree.delete or share.create",
        examples=[{"prefix": "home/alice/photos/", "destination": "home/alice/photos.zip"}],
    )
    keys: list[Annotated[str, Field(min_length=1, max_length=1024)]] = Field(
        default_factory=list, max_length=1000, description="the objects picked, when not a whole prefix"
    )
    datasource: str = Field(
        "default",
        max_length=32,
        description="the datasource the keys and paths are in (GET /datasources); `parameters.datasource` "
        "may name another for what the job writes (a copy, a move, an archive)",
    )


class IdsIn(Strict):
    ids: list[JobId] = Field(min_length=1, max_length=100)


# Path parameters: DynamoDB keys must be non-empty and at most 2 KB; ours are far shorter.
JobIdPath = Annotated[str, Path(min_length=1, max_length=128)]
TaskIdPath = Annotated[str, Path(min_length=1, max_length=64)]


def slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:48] or "job"


# ------------------------------------------------------------------ responses


class ScheduleOut(Schema):
    expression: str
    timezone: str
    misfire: Misfire
    grace_seconds: int
    catch_up_seconds: int
    start: datetime | None
    end: datetime | None
    max_runs: int | None
    jitter_seconds: int
    calendars: list[str]


class TaskSummaryOut(Schema):
    id: str
    status: TaskStatus
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    message: str | None

    @classmethod
    def of(cls, summary: TaskSummary) -> TaskSummaryOut:
        return cls(**vars(summary))


class MovedSlot(Schema):
    slot: datetime
    to: datetime


class DeadlineMissOut(Schema):
    task_id: str
    at: datetime = Field(description="when the watch found it past its deadline")


class JobOut(Schema):
    id: str
    label: str
    description: str
    owner: str
    kind: JobKind
    enabled: bool
    trigger: str = Field(description="what the admin list shows in its Trigger column")
    schedule: ScheduleOut | None
    events: list[EventIn]
    hooks: list[HookIn]
    after: AfterIn | None
    deadline: DeadlineIn | None
    deadline_missed: DeadlineMissOut | None = Field(
        None, description="the last run found past the deadline (the list's badge while it is the last run)"
    )
    upstream_problems: list[str] = Field(
        default_factory=list, description="jobs of `after` deleted or disabled since: it will not run until fixed"
    )
    actions: list[ActionIn]
    on_failure: list[ActionIn]
    parameters: list[ParameterIn]
    timeout_seconds: int
    history_days: int
    overlap: Overlap
    max_concurrency: int | None
    concurrency_limit: int = Field(description="max_concurrency, or its default for the policy")
    retry: RetryIn
    notify: NotifyIn
    pause_after_failures: int | None
    version: int
    created_at: datetime
    updated_at: datetime
    next_run: datetime | None
    runs_fired: int
    last_task: TaskSummaryOut | None
    running: int = Field(description="runs in flight now")
    waiting: int = Field(description="runs waiting for a free seat")
    failures_in_row: int
    paused_reason: str | None = Field(description="why the scheduler disabled the job; Enable lifts it")
    origin: str | None = Field(
        description="the file of a job kept as code (jobs/*.yaml), which each deploy installs again if it changed"
    )
    skipped_slots: list[datetime] = Field(description="upcoming slots someone skipped (POST .../slots/{slot}/skip)")
    moved_slots: list[MovedSlot] = Field(description="upcoming slots moved to another time, and when they run")

    @classmethod
    def of(cls, job: Job, upstream_problems: list[str] | None = None) -> JobOut:
        return cls(
            id=job.id,
            label=job.label,
            description=job.description,
            owner=job.owner,
            kind=job.kind,
            enabled=job.enabled,
            trigger=job.trigger_summary,
            schedule=ScheduleOut(**vars(job.schedule)) if job.schedule else None,
            # What is stored is shown as it is, not checked again as input: a job stored before a
            # bound was added (a deeper value, a larger size filter) must still be listed.
            events=[
                EventIn.model_construct(
                    source=e.source,
                    type=e.type,
                    datasource=e.datasource,
                    filter=EventFilterIn.model_construct(**vars(e.filter)),
                )
                for e in job.events
            ],
            hooks=[HookIn(**vars(h)) for h in job.hooks],
            after=AfterIn.model_construct(**vars(job.after)) if job.after else None,
            upstream_problems=upstream_problems or [],
            deadline=DeadlineIn.model_construct(**vars(job.deadline)) if job.deadline else None,
            deadline_missed=DeadlineMissOut(**job.deadline_missed) if job.deadline_missed else None,
            actions=[ActionIn.of(a) for a in job.actions],
            on_failure=[ActionIn.of(a) for a in job.on_failure],
            parameters=[ParameterIn.model_construct(**vars(p)) for p in job.parameters],
            timeout_seconds=job.timeout_seconds,
            history_days=job.history_days,
            overlap=job.overlap,
            max_concurrency=job.max_concurrency,
            concurrency_limit=job.concurrency_limit,
            retry=RetryIn(**vars(job.retry)),
            notify=NotifyIn.model_construct(**vars(job.notify)),
            pause_after_failures=job.pause_after_failures,
            version=job.version,
            created_at=job.created_at,
            updated_at=job.updated_at,
            next_run=job.next_fire_at,
            runs_fired=job.runs_fired,
            last_task=TaskSummaryOut.of(job.last_task) if job.last_task else None,
            running=max(0, job.running),
            waiting=len(job.waiting),
            failures_in_row=job.failures_in_row,
            paused_reason=job.paused_reason,
            origin=job.origin,
            skipped_slots=job.skipped_slots,
            moved_slots=[MovedSlot(slot=slot, to=to) for slot, to in sorted(job.moved_slots.items())],
        )


class JobPage(Schema):
    items: list[JobOut]
    cursor: str | None = Field(description="pass it back as ?cursor= for the next page; null on the last")


class TriggerOut(Schema):
    type: str
    by: str
    detail: dict[str, Any]


class LogLineOut(Schema):
    at: datetime
    level: str
    message: str


class TaskOut(Schema):
    job_id: str
    id: str
    status: TaskStatus
    trigger: TriggerOut
    created_at: datetime
    scheduled_for: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    duration_seconds: float | None
    progress: float
    message: str | None
    attempt: int
    parameters: dict[str, Any]
    stop_requested_by: str | None
    pause_requested_by: str | None
    overlap: Overlap | None = Field(description="the task's own overlap policy (a backfill's); null: the job's")
    not_before: datetime | None = Field(description="a retry waits for its backoff until then")
    resumable: bool = Field(description="it keeps a place to continue from (paused, or handed over)")
    deadline_missed_at: datetime | None = Field(
        None, description="when the deadline watch found it past its job's deadline (announced then, once)"
    )

    @classmethod
    def of(cls, task: Task) -> TaskOut:
        fields = {k: v for k, v in vars(task).items() if k not in ("logs", "resume", "output")}
        fields["resumable"] = task.resume is not None
        fields["trigger"] = TriggerOut(**vars(task.trigger))
        ended = task.ended_at
        fields["duration_seconds"] = (ended - task.started_at).total_seconds() if ended and task.started_at else None
        return cls(**fields)


class TaskDetail(TaskOut):
    logs: list[LogLineOut]

    @classmethod
    def of(cls, task: Task) -> TaskDetail:
        base = TaskOut.of(task).model_dump()
        return cls(**base, logs=[LogLineOut(**vars(line)) for line in task.logs])


class TaskPage(Schema):
    items: list[TaskOut]
    cursor: str | None


class BackfillOut(Schema):
    queued: list[TaskOut] = Field(description="one task per slot, oldest first")
    already_ran: int = Field(description="slots of the range that had run already: not run again")


class UserJobOut(Schema):
    job: JobOut
    task: TaskOut


class ClearOut(Schema):
    deleted: int = Field(description="finished tasks deleted; queued, running and paused ones are kept")


class BulkItem(Schema):
    id: str
    outcome: Literal["enabled", "disabled", "unchanged", "not found"]


class BulkOut(Schema):
    results: list[BulkItem]


class FireTime(Schema):
    utc: datetime = Field(description="when the run starts: its slot, plus the slot's jitter")
    local: datetime = Field(description="the same instant in the schedule's time zone")
    slot: datetime = Field(description="the slot (fire time of the expression) it runs for")


class PreviewOut(Schema):
    expression: str
    timezone: str
    description: str | None = Field(description="the schedule in words, where Jobdeck can say it")
    next: list[FireTime]


class ActionOut(Schema):
    name: str
    summary: str
    parameters: dict[str, Any] = Field(description="JSON Schema of the action's parameters")


class AuditOut(Schema):
    id: str
    at: datetime
    actor: str
    action: str
    job_id: str | None
    version_before: int | None
    version_after: int | None
    detail: dict[str, Any]

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditOut:
        return cls(**vars(entry))


class AuditPage(Schema):
    items: list[AuditOut]
    cursor: str | None


class ExternalTrigger(Schema):
    kind: Literal["eventbridge-rule", "scheduler-schedule"]
    name: str
    expression: str | None = Field(description="its schedule expression, when it has one")
    state: str | None


class Problem(Schema):
    field: str = Field(description="where: body.schedule.expression, query.limit, path.job_id, ...")
    problem: str


class ErrorOut(Schema):
    error: str = Field(description="bad_request, unauthorized, forbidden, not_found, conflict, too_large, invalid")
    message: str
    errors: list[Problem] = Field(default_factory=list)
