"""What the API reads and writes, as pydantic models: they validate requests (422 naming the
field), shape responses, and are the OpenAPI document's schemas."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from jobdeck.domain import (
    ActionStep,
    AuditEntry,
    EventFilter,
    EventSource,
    EventTrigger,
    HookTrigger,
    Job,
    JobKind,
    JobParameter,
    Misfire,
    NodeFilter,
    NotifyPolicy,
    Overlap,
    ParameterType,
    RetryPolicy,
    ScheduleSpec,
    Task,
    TaskStatus,
    TaskSummary,
)
from jobdeck.store import limits

JOB_ID = r"^[a-z0-9][a-z0-9_-]{0,63}$"


def _storable[T](value: T) -> T:
    """`value` if DynamoDB can hold it (see jobdeck.store.limits); the 422 names where it cannot."""
    if (why := limits.problem(value)) is not None:
        raise ValueError(why)
    return value


# A free-form JSON object a client sends and Jobdeck stores as it is.
Document = Annotated[dict[str, Any], AfterValidator(_storable)]
# A parameter's default or choice: JSON scalars, numbers as DynamoDB holds them.
Scalar = Annotated[str | int | float | bool, AfterValidator(_storable)]
# Bounds on a filter's numbers, which DynamoDB stores as they come: S3 objects are at most 5 TiB.
MAX_OBJECT_BYTES = 5 * 1024**4
Days = Annotated[float, Field(ge=0, le=36_500), AfterValidator(_storable)]


class Schema(BaseModel):
    # Each model's validator is built on its first use rather than at import: a cold start pays for
    # the models of the request it serves, not all of them (some 15 ms of the API's import).
    model_config = ConfigDict(defer_build=True)


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------ requests


class ScheduleIn(Strict):
    expression: str = Field(min_length=1, max_length=256, examples=["0 0 1 * *", "rate(10 minutes)"])
    timezone: str = Field("UTC", max_length=64, examples=["Europe/Paris"])
    misfire: Misfire = Misfire.SKIP
    grace_seconds: int = Field(300, ge=0, le=86_400)
    catch_up_seconds: int = Field(86_400, ge=0, le=7 * 86_400)


class EventFilterIn(Strict):
    prefix: str | None = Field(None, max_length=1024, examples=["inbox/"])
    suffix: str | None = Field(None, max_length=64, examples=[".jpg"])
    glob: str | None = Field(None, max_length=1024, examples=["home/*/photos/*.png"])
    min_size: int | None = Field(None, ge=0, le=MAX_OBJECT_BYTES)
    max_size: int | None = Field(None, ge=0, le=MAX_OBJECT_BYTES)
    content_type: str | None = Field(None, max_length=128, examples=["image/*"])
    detail: Document | None = Field(None, description="custom events: dotted path -> value or list of values")


class EventIn(Strict):
    source: EventSource = Field(
        description="s3: a datasource object; custom: an EventBridge event of the stack's source"
    )
    type: str = Field(min_length=1, max_length=256, examples=["ObjectCreated", "ObjectRemoved", "OrderPlaced"])
    bucket: str | None = Field(None, max_length=63, description="s3 only; the stack's datasource when absent")
    filter: EventFilterIn = Field(default_factory=EventFilterIn)

    def to_trigger(self) -> EventTrigger:
        return EventTrigger(self.source, self.type, self.bucket, EventFilter(**self.filter.model_dump()))


class HookIn(Strict):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", examples=["import-orders"])
    admins_only: bool = False


class NodeFilterIn(Strict):
    glob: str | None = Field(None, max_length=1024, examples=["home/*/photos/*.jpg"])
    min_size: int | None = Field(None, ge=0, le=MAX_OBJECT_BYTES)
    max_size: int | None = Field(None, ge=0, le=MAX_OBJECT_BYTES)
    older_than_days: Days | None = None
    newer_than_days: Days | None = None
    content_type: str | None = Field(None, max_length=128, examples=["image/*"])


class ActionIn(Strict):
    action: str = Field(min_length=1, max_length=64, examples=["tree.delete"])
    parameters: Document = Field(default_factory=dict)
    timeout_seconds: int | None = Field(
        None, ge=1, le=7 * 86_400, description="this step alone ends INTERRUPTED past it; null: the job's timeout"
    )
    filter: NodeFilterIn | None = Field(None, description="the input nodes this step works on; the others are dropped")

    def to_step(self) -> ActionStep:
        rule = NodeFilter(**self.filter.model_dump()) if self.filter else None
        return ActionStep(self.action, self.parameters, self.timeout_seconds, rule)

    @classmethod
    def of(cls, step: ActionStep) -> ActionIn:
        """A stored step, as the API shows it: not checked again (see JobOut.of)."""
        rule = NodeFilterIn.model_construct(**vars(step.filter)) if step.filter else None
        return cls.model_construct(
            action=step.action, parameters=step.parameters, timeout_seconds=step.timeout_seconds, filter=rule
        )


class RetryIn(Strict):
    max_attempts: int = Field(1, ge=1, le=10, description="1: no retry")
    backoff_seconds: int = Field(30, ge=1, le=86_400, description="the wait before attempt 2; doubled each time")
    max_backoff_seconds: int = Field(3600, ge=1, le=86_400)


class NotifyIn(Strict):
    topic: bool = Field(True, description="publish failures to the stack's notifications topic")
    webhook: str | None = Field(
        None, max_length=2048, pattern=r"^https?://", description="and POST them here (public addresses only)"
    )


class ParameterIn(Strict):
    name: str = Field(min_length=1, max_length=64)
    type: ParameterType = ParameterType.STRING
    description: str = Field("", max_length=1000)
    default: Scalar | None = None
    required: bool = False
    choices: list[Scalar] | None = Field(None, max_length=100)


class JobIn(Strict):
    id: str | None = Field(None, pattern=JOB_ID, description="made from the label when absent")
    label: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    owner: str | None = Field(None, min_length=1, max_length=128, description="the caller when absent")
    enabled: bool = True
    schedule: ScheduleIn | None = None
    events: list[EventIn] = Field(default_factory=list, max_length=20)
    hooks: list[HookIn] = Field(default_factory=list, max_length=20)
    actions: list[ActionIn] = Field(default_factory=list, max_length=50)
    on_failure: list[ActionIn] = Field(
        default_factory=list, max_length=50, description="steps run when the chain fails for good"
    )
    parameters: list[ParameterIn] = Field(default_factory=list, max_length=50)
    timeout_seconds: int = Field(3600, ge=1, le=7 * 86_400)
    history_days: int = Field(30, ge=1, le=3650)
    overlap: Overlap = Field(
        Overlap.ALLOW_ALL, description="what a new run does while `max_concurrency` runs are in flight"
    )
    max_concurrency: int | None = Field(
        None, ge=1, le=1000, description="null: 1 for skip, buffer_one, buffer_all, cancel_other; 20 for allow_all"
    )
    retry: RetryIn = Field(default_factory=RetryIn)
    notify: NotifyIn = Field(default_factory=NotifyIn)
    pause_after_failures: int | None = Field(
        None, ge=1, le=1000, description="disable the job after this many failed runs in a row; Enable lifts it"
    )

    def to_job(self, job_id: str, owner: str) -> Job:
        return Job(
            id=job_id,
            label=self.label,
            owner=self.owner or owner,
            kind=JobKind.CUSTOM,
            description=self.description,
            enabled=self.enabled,
            schedule=ScheduleSpec(**self.schedule.model_dump()) if self.schedule else None,
            events=[e.to_trigger() for e in self.events],
            hooks=[HookTrigger(**h.model_dump()) for h in self.hooks],
            actions=[a.to_step() for a in self.actions],
            on_failure=[a.to_step() for a in self.on_failure],
            parameters=[JobParameter(**p.model_dump()) for p in self.parameters],
            timeout_seconds=self.timeout_seconds,
            history_days=self.history_days,
            overlap=self.overlap,
            max_concurrency=self.max_concurrency,
            retry=RetryPolicy(**self.retry.model_dump()),
            notify=NotifyPolicy(**self.notify.model_dump()),
            pause_after_failures=self.pause_after_failures,
        )


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
    waiting: int = Field(description="runs waiting for a free run slot")
    failures_in_row: int
    paused_reason: str | None = Field(description="why the scheduler disabled the job; Enable lifts it")
    origin: str | None = Field(
        description="the file of a job kept as code (jobs/*.yaml), which each deploy installs again if it changed"
    )

    @classmethod
    def of(cls, job: Job) -> JobOut:
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
                    bucket=e.bucket,
                    filter=EventFilterIn.model_construct(**vars(e.filter)),
                )
                for e in job.events
            ],
            hooks=[HookIn(**vars(h)) for h in job.hooks],
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

    @classmethod
    def of(cls, task: Task) -> TaskOut:
        fields = {k: v for k, v in vars(task).items() if k not in ("logs", "resume")}
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
    utc: datetime
    local: datetime = Field(description="the same instant in the schedule's time zone")


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
