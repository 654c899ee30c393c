"""The words of the scheduler as plain data: jobs, their schedules and actions, and tasks.

Nothing here knows about DynamoDB, SQS or HTTP; the store turns these into items and back.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from ulid import ULID

from jobdeck.after import After
from jobdeck.calendar_model import Calendar as Calendar  # re-exported: a word of the domain
from jobdeck.calendar_model import CalendarMode as CalendarMode
from jobdeck.calendar_model import CalendarRule as CalendarRule
from jobdeck.datasources import DEFAULT
from jobdeck.deadline import Deadline


class JobKind(StrEnum):
    """Who defines a job. Each member's docstring is what GET /vocabulary serves (jobdeck.vocabulary)."""

    SYSTEM = "system"
    """Registered by Jobdeck itself: it can be disabled or run, not edited or deleted."""
    USER = "user"
    """Started by a user's click (compress, extract, ...): theirs, and removed some days after it ran."""
    CUSTOM = "custom"
    """Made by an admin, in the console, the API or a file of jobs/."""


class Misfire(StrEnum):
    """What the tick does with slots (fire times) it finds in the past (the clock was down, a tick
    was late)."""

    SKIP = "skip"
    """The newest missed slot within the grace window runs once; older ones are dropped."""
    CATCH_UP = "catch_up"
    """Every missed slot within the catch-up window runs, oldest first."""


class Overlap(StrEnum):
    """What a new run does when all its job's seats are taken: a job has `max_concurrency` seats,
    and a run takes one when it starts and gives it back when it ends."""

    SKIP = "skip"
    """The new run ends SKIPPED, with the reason."""
    BUFFER_ONE = "buffer_one"
    """The new run waits, unless a run already waits: then it is SKIPPED."""
    BUFFER_ALL = "buffer_all"
    """The new run waits its turn (first come, first started)."""
    CANCEL_OTHER = "cancel_other"
    """The oldest running run is stopped; the new one takes its seat."""
    ALLOW_ALL = "allow_all"
    """No overlap rule: max concurrency is only a safety cap; beyond it, runs wait."""


# Pydio Cells' default; an unbounded job could take every runner the account has.
DEFAULT_MAX_CONCURRENCY = 20
MAX_WAITING = 1000  # runs waiting for a seat, per job: the wait list lives on the job's item


class TaskStatus(StrEnum):
    """Where a task (one run of a job) is; docs/run-lifecycle.md gives every change and who makes it."""

    QUEUED = "QUEUED"
    """Waiting for its time, its message, or a free seat."""
    RUNNING = "RUNNING"
    """Its action chain runs, holding one of its job's seats."""
    PAUSED = "PAUSED"
    """Parked at a checkpoint by someone's Pause, with its place; Resume continues it there."""
    FINISHED = "FINISHED"
    """Every step succeeded."""
    ERROR = "ERROR"
    """A step failed, after its last attempt (or it could not run at all)."""
    INTERRUPTED = "INTERRUPTED"
    """Stopped by someone, or past its timeout."""
    SKIPPED = "SKIPPED"
    """Never started: its job's overlap policy said so; the message says why."""

    @property
    def active(self) -> bool:
        return self in (TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.PAUSED)


class TriggerType(StrEnum):
    """What started a task."""

    SCHEDULE = "schedule"
    """A slot of the job's schedule, claimed by the tick."""
    MANUAL = "manual"
    """Run Now, or a user job's click."""
    EVENT = "event"
    """An S3 object or a custom EventBridge event the job subscribes to."""
    HOOK = "hook"
    """POST /hooks/{slug}."""
    EXTERNAL = "external"
    """A rule or schedule made outside Jobdeck that targets RunQueue."""
    AFTER = "after"
    """The runs of the jobs it follows ended (its `after`)."""
    BACKFILL = "backfill"
    """POST /jobs/{id}/backfill: a past slot run on request."""


class SlotState(StrEnum):
    """What became of a slot (a fire time of a job's schedule), as GET /jobs/{id}/slots says it."""

    RAN = "ran"
    """Its task ran and ended (FINISHED, ERROR or INTERRUPTED)."""
    QUEUED = "queued"
    """Its task waits: for its start (after its jitter, or moved), its message or a free seat."""
    RUNNING = "running"
    """Its task runs now, or was paused by someone."""
    SKIPPED = "skipped"
    """It did not run, or will not: the reason says why."""
    UPCOMING = "upcoming"
    """It is still to come and nothing stops it."""


class SkipReason(StrEnum):
    """Why a slot did not fire, or will not (`calendar:<name>` names the calendar)."""

    DISABLED = "disabled"
    """The job was disabled then."""
    PAUSED_AFTER_FAILURES = "paused_after_failures"
    """The scheduler had suspended the job after failed runs in a row."""
    CALENDAR = "calendar"
    """A calendar of the job left it out (an `exclude` one named it, or an `only` one did not)."""
    MISFIRE = "misfire"
    """The tick came too late for it (the stack was down, or a tick was late), past what the misfire
    policy runs; `late_seconds` says how late."""
    OVERLAP = "overlap"
    """Its task ended SKIPPED: the job's overlap policy found every seat taken."""
    MANUAL = "manual"
    """Someone skipped this one slot (POST /jobs/{id}/slots/{slot}/skip)."""
    BEFORE_START = "before_start"
    """It falls before the schedule's `start`."""
    AFTER_END = "after_end"
    """It falls at or after the schedule's `end`."""
    MAX_RUNS = "max_runs"
    """The schedule had fired its `max_runs` slots already."""


@dataclass
class SkippedSlot:
    """A slot the tick passed without running it, recorded as it did (calendar, misfire, manual).
    `until` makes it a range: every slot of [slot, until) was passed for the same reason."""

    job_id: str
    slot: datetime
    reason: str  # a SkipReason's value, or "calendar:<name>"
    recorded_at: datetime
    until: datetime | None = None
    late_seconds: float | None = None  # misfire: how long after the slot the tick saw it


SYSTEM_OWNER = "system"
# S3 user metadata naming the job whose action wrote an object: the actions set it, and routing's loop
# guard reads it so that a job does not start again on its own writes.
WRITER_METADATA = "jobdeck-job"
DEFAULT_HISTORY_DAYS = 30


@dataclass
class ScheduleSpec:
    """A job's periodic trigger: an expression read by `jobdeck.schedules.parse`, in a time zone."""

    expression: str
    """Cron (5 or 6 fields), rate(...), an ISO 8601 repeating interval, or at(...)."""
    timezone: str = "UTC"
    """An IANA zone: cron, at() and whole-day periods read wall-clock time there."""
    misfire: Misfire = Misfire.SKIP
    """What the tick does with slots it finds in the past."""
    grace_seconds: int = 300
    """How late a missed slot may still run under `skip`."""
    catch_up_seconds: int = 86_400
    """How far back `catch_up` looks, bounded so that downtime cannot flood the runner."""
    start: datetime | None = None
    """No slot before this instant."""
    end: datetime | None = None
    """No slot at or after this instant."""
    max_runs: int | None = None
    """The schedule ends once this many slots fired (counted from when the job was created)."""
    jitter_seconds: int = 0
    """Each run starts up to this many seconds after its slot: an offset derived from job and slot,
    the same in every preview and run, that spreads a popular minute's load."""
    calendars: list[str] = field(default_factory=list)
    """Calendars by name: a slot fires when every `exclude` one lets it and every `only` one
    includes it, each judged in its own time zone."""


class ParameterType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"


@dataclass
class JobParameter:
    """A parameter a job declares; Run Now and hooks may set it, actions read it as
    `{{ parameters.<name> }}`."""

    name: str
    type: ParameterType = ParameterType.STRING
    description: str = ""
    default: Any = None
    required: bool = False
    choices: list[Any] | None = None


class EventSource(StrEnum):
    S3 = "s3"  # an object of a datasource created or removed (through EventBridge)
    CUSTOM = "custom"  # an EventBridge event of the source the stack listens to


@dataclass
class EventFilter:
    """All given conditions must hold. Keys and content types take shell-style globs."""

    prefix: str | None = None
    suffix: str | None = None
    glob: str | None = None
    min_size: int | None = None
    max_size: int | None = None
    content_type: str | None = None  # "image/*"
    detail: dict[str, Any] | None = None  # custom events: dotted path -> value, or list of values


@dataclass
class EventTrigger:
    """`source` s3: `type` is ObjectCreated or ObjectRemoved, in `datasource` (its filter's keys
    relative to it). `source` custom: `type` is the event's detail-type."""

    source: EventSource
    type: str
    datasource: str | None = None  # s3 only: `default` when None
    filter: EventFilter = field(default_factory=EventFilter)

    @property
    def key(self) -> str:
        """The routing key events of this kind are looked up by."""
        if self.source is EventSource.S3:
            return f"s3:{self.type}:{self.datasource or DEFAULT}"
        return f"custom:{self.type}"


@dataclass
class HookTrigger:
    """POST /hooks/{slug} starts the job; by any signed-in user, or admins only."""

    slug: str
    admins_only: bool = False

    @property
    def key(self) -> str:
        return f"hook:{self.slug}"


@dataclass
class NodeFilter:
    """Which of a step's input nodes it works on; the others are left out of its input. All given
    conditions must hold. Ages count from the object's last modification."""

    glob: str | None = None  # on the key, shell-style: "home/*/photos/*.jpg"
    datasource: str | None = None  # only the nodes of this datasource
    min_size: int | None = None
    max_size: int | None = None
    older_than_days: float | None = None
    newer_than_days: float | None = None
    content_type: str | None = None  # "image/*"; costs a HEAD per node


@dataclass
class ActionStep:
    action: str
    parameters: dict[str, Any] = field(default_factory=dict)
    timeout_seconds: int | None = None  # this step alone; the job's timeout bounds the whole task
    filter: NodeFilter | None = None


@dataclass
class RetryPolicy:
    """Retries of a task whose action failed with an error marked retryable (a throttled or
    unreachable service, not a bad parameter). The wait before attempt n+1 is
    `backoff_seconds * 2**(n-1)`, capped at `max_backoff_seconds`, of which a random half is
    dropped ("equal jitter"), so that runs failed together do not retry together."""

    max_attempts: int = 1
    """Attempts in all; 1: no retry."""
    backoff_seconds: int = 30
    """The wait before attempt 2, doubled for each attempt after."""
    max_backoff_seconds: int = 3600
    """The longest wait, however many attempts came before."""


@dataclass
class NotifyPolicy:
    """Who hears about a task that failed for good (after its last attempt, or timed out)."""

    topic: bool = True
    """Publish to the stack's notifications topic (SNS)."""
    webhook: str | None = None
    """And POST the same JSON here (public addresses only)."""


@dataclass
class TaskSummary:
    """What the admin list shows in Last Execution and Status, kept on the job item."""

    id: str
    status: TaskStatus
    created_at: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None
    message: str | None = None


@dataclass
class Job:
    id: str
    label: str
    owner: str
    kind: JobKind = JobKind.CUSTOM
    description: str = ""
    enabled: bool = True
    schedule: ScheduleSpec | None = None
    events: list[EventTrigger] = field(default_factory=list)
    hooks: list[HookTrigger] = field(default_factory=list)
    after: After | None = None  # runs once the jobs it lists have run (jobdeck.dependencies)
    deadline: Deadline | None = None  # when its runs must have FINISHED (jobdeck.deadlines)
    deadline_missed: dict[str, Any] | None = None  # the last run that missed it: {task_id, at}
    actions: list[ActionStep] = field(default_factory=list)
    # Runs when the chain fails for good (after the last attempt), with `{{ failure.step }}` and
    # `{{ failure.message }}`: clean up, or tell someone. The task still ends ERROR.
    on_failure: list[ActionStep] = field(default_factory=list)
    parameters: list[JobParameter] = field(default_factory=list)
    timeout_seconds: int = 3600
    history_days: int = DEFAULT_HISTORY_DAYS  # finished tasks expire (DynamoDB TTL) this long after they end
    overlap: Overlap = Overlap.ALLOW_ALL
    max_concurrency: int | None = None  # None: 1 for the exclusive policies, DEFAULT_MAX_CONCURRENCY for allow_all
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    notify: NotifyPolicy = field(default_factory=NotifyPolicy)
    pause_after_failures: int | None = None  # suspend the job (disabled) after this many failed runs in a row
    origin: str | None = None  # "<file>@<digest>" for a job kept as code (jobs/*.yaml); None: made by the API
    version: int = 1
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # Kept by the scheduler, not by whoever edits the definition:
    next_fire_at: datetime | None = None
    runs_fired: int = 0
    last_task: TaskSummary | None = None
    running: int = 0  # tasks RUNNING now (moved with each start and end, in the same transaction)
    waiting: list[str] = field(default_factory=list)  # ids of QUEUED tasks waiting for a seat, oldest first
    failures_in_row: int = 0
    paused_reason: str | None = None  # why the scheduler suspended the job (after N failures in a row)
    # Upcoming slots someone skipped, and those moved (slot -> when it runs instead); the tick drops
    # each once it passes it. `slot_changes` counts these edits: a claim is conditioned on it.
    skipped_slots: list[datetime] = field(default_factory=list)
    moved_slots: dict[datetime, datetime] = field(default_factory=dict)
    slot_changes: int = 0

    @property
    def concurrency_limit(self) -> int:
        if self.max_concurrency is not None:
            return self.max_concurrency
        return DEFAULT_MAX_CONCURRENCY if self.overlap is Overlap.ALLOW_ALL else 1

    @property
    def trigger_summary(self) -> str:
        """The admin list's Trigger column: periodic, event or manual (Pydio's three words)."""
        parts = [f"periodic: {self.schedule.expression}"] if self.schedule else []
        parts += [f"event: {e.source.value} {e.type}" for e in self.events]
        parts += [f"hook: {h.slug}" for h in self.hooks]
        parts += [f"after: {', '.join(self.after.jobs)}"] if self.after else []
        return ", ".join(parts) or "manual"


@dataclass
class TriggerInfo:
    """What started a task, and who."""

    type: TriggerType
    by: str = SYSTEM_OWNER
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class LogLine:
    at: datetime
    level: str
    message: str


@dataclass
class Task:
    job_id: str
    id: str
    status: TaskStatus
    trigger: TriggerInfo
    created_at: datetime
    scheduled_for: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    progress: float = 0.0
    message: str | None = None
    attempt: int = 1
    parameters: dict[str, Any] = field(default_factory=dict)
    logs: list[LogLine] = field(default_factory=list)
    stop_requested_by: str | None = None
    pause_requested_by: str | None = None
    overlap: Overlap | None = None  # this task's own policy (a backfill's), instead of the job's
    not_before: datetime | None = None  # a retry waits for its backoff until then
    resume: dict[str, Any] | None = None  # where a PAUSED (or continued) task picks up: step, nodes, cursor
    output: list[dict[str, Any]] | None = None  # a FINISHED run's last step's objects: its dependents' input
    deadline_missed_at: datetime | None = None  # when it was found past its job's deadline (announced once)

    def summary(self) -> TaskSummary:
        return TaskSummary(
            id=self.id,
            status=self.status,
            created_at=self.created_at,
            started_at=self.started_at,
            ended_at=self.ended_at,
            message=self.message,
        )


@dataclass
class AuditEntry:
    """Who did what to which job, and the job's version before and after."""

    id: str
    at: datetime
    actor: str
    action: str
    job_id: str | None = None
    version_before: int | None = None
    version_after: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Page[T]:
    """One page of a listing; `cursor` fetches the next one (None on the last page)."""

    items: list[T]
    cursor: str | None = None


def new_task_id(at: datetime | None = None) -> str:
    """A time-sortable id (ULID) for a task started now."""
    return str(ULID.from_datetime(at or datetime.now(UTC)))


def slot_task_id(job_id: str, slot: datetime) -> str:
    """The one id a scheduled slot of a job can have.

    The ULID's time part is the slot, so history sorts by when runs were due; its random part is a
    hash of job and slot, so two ticks that both try to claim the slot write the same item and the
    conditional put lets only one through.
    """
    return derived_task_id(job_id, slot, str(int(slot.timestamp() * 1000)))


def derived_task_id(job_id: str, at: datetime, cause: str) -> str:
    """A task id that the same cause (a slot, an event id, a queue message id) always gives the same
    job: a second delivery of the cause writes the same item, which the conditional put refuses."""
    millis = int(at.timestamp() * 1000)
    digest = hashlib.sha256(f"{job_id}|{cause}".encode()).digest()
    return str(ULID.from_bytes(millis.to_bytes(6, "big") + digest[:10]))
