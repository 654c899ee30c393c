"""A job definition as people write it: the body of POST /jobs and PUT /jobs/{id}, and each file of
jobs/*.yaml (jobs kept as code). Pydantic models: they check a definition (naming the field that is
wrong), make a `Job` of it, and give the API's OpenAPI document its schemas. Below the API, so that
installing jobs kept as code does not import the HTTP layer."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from jobdeck.after import DEFAULT_WINDOW, MAX_UPSTREAM, After, EndedAs
from jobdeck.deadline import Deadline
from jobdeck.domain import (
    ActionStep,
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
)
from jobdeck.firing import MAX_JITTER_SECONDS
from jobdeck.store import limits

JOB_ID = r"^[a-z0-9][a-z0-9_-]{0,63}$"
CALENDAR_NAME = r"^[a-z0-9][a-z0-9_-]{0,63}$"
MAX_CALENDARS = 10  # per job: each is read by the tick when the job is due


def _storable[T](value: T) -> T:
    """`value` if DynamoDB can hold it (see jobdeck.store.limits); the 422 names where it cannot."""
    if (why := limits.problem(value)) is not None:
        raise ValueError(why)
    return value


# A free-form JSON object a client sends and Jobdeck stores as it is (here and in the API's bodies).
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


class ScheduleIn(Strict):
    expression: str = Field(min_length=1, max_length=256, examples=["0 0 1 * *", "rate(10 minutes)"])
    timezone: str = Field("UTC", max_length=64, examples=["Europe/Paris"])
    misfire: Misfire = Misfire.SKIP
    grace_seconds: int = Field(300, ge=0, le=86_400)
    catch_up_seconds: int = Field(86_400, ge=0, le=7 * 86_400)
    start: AwareDatetime | None = Field(None, description="no slot before this instant (with its offset)")
    end: AwareDatetime | None = Field(None, description="no slot at or after this instant (with its offset)")
    max_runs: int | None = Field(None, ge=1, le=1_000_000, description="the schedule ends after this many slots fired")
    jitter_seconds: int = Field(
        0, ge=0, le=MAX_JITTER_SECONDS, description="each run starts up to this long after its slot, stable per slot"
    )
    calendars: list[Annotated[str, Field(pattern=CALENDAR_NAME)]] = Field(
        default_factory=list, max_length=MAX_CALENDARS, description="GET /calendars: the days and hours slots fire"
    )

    def to_spec(self) -> ScheduleSpec:
        fields = self.model_dump()
        for bound in ("start", "end"):  # stored and compared in UTC, whatever offset they came with
            fields[bound] = fields[bound].astimezone(UTC) if fields[bound] else None
        return ScheduleSpec(**fields)


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
    datasource: str | None = Field(
        None, max_length=32, description="s3 only: the datasource (GET /datasources); `default` when absent"
    )
    filter: EventFilterIn = Field(default_factory=EventFilterIn)

    def to_trigger(self) -> EventTrigger:
        return EventTrigger(self.source, self.type, self.datasource, EventFilter(**self.filter.model_dump()))


class AfterIn(Strict):
    jobs: list[Annotated[str, Field(pattern=JOB_ID)]] = Field(
        min_length=1, max_length=MAX_UPSTREAM, examples=[["extract-orders", "extract-stock"]]
    )
    on: EndedAs = Field(EndedAs.FINISHED, description="how their runs must end: FINISHED, ERROR or ENDED (either)")
    within_seconds: int = Field(
        DEFAULT_WINDOW, ge=60, le=30 * 86_400, description="every run counted ended at most this long ago"
    )

    def to_after(self) -> After:
        return After(list(self.jobs), self.on, self.within_seconds)


class DeadlineIn(Strict):
    finish_by: str | None = Field(
        None,
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        examples=["08:00"],
        description="the first such time after the run was due",
    )
    timezone: str = Field("UTC", max_length=64, examples=["Europe/Paris"])
    max_duration_seconds: int | None = Field(None, ge=1, le=7 * 86_400, description="from the run's start")

    @model_validator(mode="after")
    def _bounded(self) -> DeadlineIn:
        if self.finish_by is None and self.max_duration_seconds is None:
            raise ValueError("give finish_by, max_duration_seconds or both")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone: unknown time zone {self.timezone!r}") from None
        return self

    def to_deadline(self) -> Deadline:
        return Deadline(self.finish_by, self.timezone, self.max_duration_seconds)


class HookIn(Strict):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", examples=["import-orders"])
    admins_only: bool = False


class NodeFilterIn(Strict):
    glob: str | None = Field(None, max_length=1024, examples=["home/*/photos/*.jpg"])
    datasource: str | None = Field(None, max_length=32, description="only the input nodes of this datasource")
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
        """A stored step, as the API shows it: not checked again (see jobdeck.api.schemas.JobOut.of)."""
        rule = NodeFilterIn.model_construct(**vars(step.filter)) if step.filter else None
        return cls.model_construct(
            action=step.action, parameters=step.parameters, timeout_seconds=step.timeout_seconds, filter=rule
        )


class RetryIn(Strict):
    """jobdeck.domain.RetryPolicy; each field's meaning: GET /vocabulary."""

    max_attempts: int = Field(1, ge=1, le=10)
    backoff_seconds: int = Field(30, ge=1, le=86_400)
    max_backoff_seconds: int = Field(3600, ge=1, le=86_400)


class NotifyIn(Strict):
    """jobdeck.domain.NotifyPolicy; each field's meaning: GET /vocabulary."""

    topic: bool = True
    webhook: str | None = Field(None, max_length=2048, pattern=r"^https?://")


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
    after: AfterIn | None = Field(
        None, description="run once each job listed has had a run ending as `on`, all within the window"
    )
    deadline: DeadlineIn | None = Field(None, description="when each run must have FINISHED; a miss is announced once")
    actions: list[ActionIn] = Field(default_factory=list, max_length=50)
    on_failure: list[ActionIn] = Field(
        default_factory=list, max_length=50, description="steps run when the chain fails for good"
    )
    parameters: list[ParameterIn] = Field(default_factory=list, max_length=50)
    timeout_seconds: int = Field(3600, ge=1, le=7 * 86_400)
    history_days: int = Field(30, ge=1, le=3650)
    overlap: Overlap = Field(Overlap.ALLOW_ALL, description="each policy's meaning: GET /vocabulary (Overlap)")
    max_concurrency: int | None = Field(
        None, ge=1, le=1000, description="null: 1 for skip, buffer_one, buffer_all, cancel_other; 20 for allow_all"
    )
    retry: RetryIn = Field(default_factory=RetryIn)
    notify: NotifyIn = Field(default_factory=NotifyIn)
    pause_after_failures: int | None = Field(
        None,
        ge=1,
        le=1000,
        description="suspend (disable) the job after this many failed runs in a row; Enable lifts it",
    )

    def to_job(self, job_id: str, owner: str) -> Job:
        return Job(
            id=job_id,
            label=self.label,
            owner=self.owner or owner,
            kind=JobKind.CUSTOM,
            description=self.description,
            enabled=self.enabled,
            schedule=self.schedule.to_spec() if self.schedule else None,
            events=[e.to_trigger() for e in self.events],
            hooks=[HookTrigger(**h.model_dump()) for h in self.hooks],
            after=self.after.to_after() if self.after else None,
            deadline=self.deadline.to_deadline() if self.deadline else None,
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
