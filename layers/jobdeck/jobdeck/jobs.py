"""What people do to job definitions: create, read, list, replace, delete, enable, disable. Every
check comes before any write, so a refused request leaves nothing behind, and every change writes
its audit entry in the same transaction."""

from __future__ import annotations

from dataclasses import replace as copy_with
from datetime import UTC, datetime

from jobdeck import actions, audit, datasources, dependencies, misfire, parameters, schedules, store, webhooks
from jobdeck.access import SYSTEM, Principal, require_admin, require_visible
from jobdeck.config import Settings
from jobdeck.datasources import DEFAULT
from jobdeck.domain import ActionStep, EventSource, Job, JobKind, Page, ScheduleSpec
from jobdeck.errors import Conflict, InvalidJob
from jobdeck.firing import MAX_JITTER_SECONDS

MAX_ACTIONS = 50
MAX_CONCURRENCY = 1000
MAX_ATTEMPTS = 10


def validate(job: Job) -> None:
    """Raise InvalidJob (naming the field) or InvalidSchedule for a definition that cannot run."""
    if not job.id or not job.label:
        raise InvalidJob("id" if not job.id else "label", "must not be empty")
    if job.schedule is not None:
        _check_schedule(job.schedule)
    if job.max_concurrency is not None and not 1 <= job.max_concurrency <= MAX_CONCURRENCY:
        raise InvalidJob("max_concurrency", f"between 1 and {MAX_CONCURRENCY}")
    if not 1 <= job.retry.max_attempts <= MAX_ATTEMPTS:
        raise InvalidJob("retry.max_attempts", f"between 1 and {MAX_ATTEMPTS}")
    if job.retry.backoff_seconds > job.retry.max_backoff_seconds:
        raise InvalidJob("retry.backoff_seconds", "is larger than max_backoff_seconds")
    for name, steps in (("actions", job.actions), ("on_failure", job.on_failure)):
        _check_steps(name, steps)
    parameters.check_declarations(job.parameters)
    _check_triggers(job)
    if job.after is not None:
        dependencies.check(job, list(store.all_jobs()))
    if job.notify.webhook:
        try:
            webhooks.check_url(job.notify.webhook)
        except webhooks.WebhookRefused as exc:
            raise InvalidJob("notify.webhook", str(exc)) from None
        except webhooks.WebhookFailed:
            pass  # its name does not resolve now; the check when sending is the one that counts


def _check_schedule(spec: ScheduleSpec) -> None:
    schedules.parse(spec.expression, spec.timezone)
    if spec.start is not None and spec.end is not None and spec.end <= spec.start:
        raise InvalidJob("schedule.end", "must be after schedule.start")
    if not 0 <= spec.jitter_seconds <= MAX_JITTER_SECONDS:
        raise InvalidJob("schedule.jitter_seconds", f"between 0 and {MAX_JITTER_SECONDS}")
    if len(set(spec.calendars)) != len(spec.calendars):
        raise InvalidJob("schedule.calendars", "a calendar is listed twice")
    if spec.calendars:
        known = store.get_calendars(spec.calendars)
        missing = [name for name in spec.calendars if name not in known]
        if missing:
            raise InvalidJob("schedule.calendars", f"no calendar {', '.join(map(repr, missing))} (GET /calendars)")


def _check_steps(name: str, steps: list[ActionStep]) -> None:
    if len(steps) > MAX_ACTIONS:
        raise InvalidJob(name, f"at most {MAX_ACTIONS} steps")
    for index, step in enumerate(steps):
        where = f"{name}[{index}]"
        action = actions.get(step.action)
        if action is None:
            known = ", ".join(a.name for a in actions.catalog())
            raise InvalidJob(f"{where}.action", f"unknown action {step.action!r} (known: {known})")
        rule = step.filter
        if rule and rule.min_size is not None and rule.max_size is not None and rule.min_size > rule.max_size:
            raise InvalidJob(f"{where}.filter.min_size", "is larger than max_size")
        stack = Settings.from_env().datasources
        if rule and rule.datasource is not None:
            datasources.require(stack, rule.datasource, f"{where}.filter.datasource")
        chosen = step.parameters.get("datasource")
        if isinstance(chosen, str) and "{{" not in chosen:
            datasources.require(stack, chosen, f"{where}.parameters.datasource")
        if "{{" in repr(step.parameters):
            continue  # templated: checked against the schema once rendered, at run time
        try:
            action.validate(step.parameters)
        except actions.InvalidParameters as exc:
            raise InvalidJob(f"{where}.parameters", exc.problem) from None


MAX_TRIGGERS = 20  # events + hooks: their subscriptions are written in the job's transaction


def _check_triggers(job: Job) -> None:
    if len(job.events) + len(job.hooks) > MAX_TRIGGERS:
        raise InvalidJob("events", f"at most {MAX_TRIGGERS} event and hook triggers together")
    for index, event in enumerate(job.events):
        where = f"events[{index}]"
        if event.source is EventSource.S3:
            if event.type not in ("ObjectCreated", "ObjectRemoved"):
                raise InvalidJob(f"{where}.type", "ObjectCreated or ObjectRemoved")
            known = Settings.from_env().datasources
            event.datasource = datasources.require(known, event.datasource or DEFAULT, f"{where}.datasource")
        elif event.datasource is not None:
            raise InvalidJob(f"{where}.datasource", "s3 events only: custom events come from no datasource")
        rule = event.filter
        if rule.min_size is not None and rule.max_size is not None and rule.min_size > rule.max_size:
            raise InvalidJob(f"{where}.filter.min_size", "is larger than max_size")
        if event.source is EventSource.CUSTOM and (rule.prefix or rule.suffix or rule.glob or rule.content_type):
            raise InvalidJob(f"{where}.filter", "custom events filter on `detail` only")
    keys = [e.key for e in job.events] + [h.key for h in job.hooks]
    for key in keys:
        if keys.count(key) > 1:
            raise InvalidJob("events", f"{key} is listed twice")


def create(job: Job, who: Principal = SYSTEM, now: datetime | None = None) -> Job:
    require_admin(who, "create jobs")
    now = now or datetime.now(UTC)
    validate(job)
    job.created_at = job.updated_at = now
    job.version, job.runs_fired, job.last_task = 1, 0, None
    job.next_fire_at = misfire.first_fire(job, now) if job.enabled else None
    # `enabled` in the entry: the slots listing reads from the trail when the job was off.
    store.create_job(job, audit.entry(who, "job.create", job.id, None, 1, enabled=job.enabled))
    return job


def get(job_id: str, who: Principal = SYSTEM) -> Job:
    return require_visible(who, store.get_job(job_id), job_id)


def page(
    who: Principal,
    limit: int = 50,
    cursor: str | None = None,
    kind: JobKind | None = None,
    owner: str | None = None,
    enabled: bool | None = None,
) -> Page[Job]:
    """The admin list; someone who is not an admin sees their own jobs only."""
    if not who.is_admin:
        owner = who.username
    return store.list_jobs(limit, cursor, owner=owner, kind=kind.value if kind else None, enabled=enabled)


def replace(job_id: str, new: Job, expected_version: int, who: Principal, now: datetime | None = None) -> Job:
    """Replace a definition read at `expected_version` (409 Conflict if it changed since)."""
    now = now or datetime.now(UTC)
    current = get(job_id, who)  # someone else's job is a 404 before it is a 403
    require_admin(who, "edit jobs")
    if current.kind is JobKind.SYSTEM:
        raise Conflict("system jobs are defined by Jobdeck: disable this one and create a custom job instead")
    if current.version != expected_version:
        raise Conflict(f"job {job_id!r} is at version {current.version}, not {expected_version}: read it again")
    updated = copy_with(
        new,
        id=current.id,
        kind=current.kind,
        version=current.version + 1,
        created_at=current.created_at,
        updated_at=now,
        runs_fired=current.runs_fired,
        last_task=current.last_task,
        # An edit starts the failure count afresh; a pause stays until the job is enabled.
        failures_in_row=0,
        paused_reason=None if new.enabled else current.paused_reason,
    )
    validate(updated)
    rescheduled = updated.schedule != current.schedule or updated.enabled != current.enabled
    updated.next_fire_at = (
        (misfire.first_fire(updated, now) if updated.enabled else None) if rescheduled else current.next_fire_at
    )
    entry = audit.entry(who, "job.replace", job_id, expected_version, updated.version, enabled=updated.enabled)
    store.save_job(updated, expected_version, entry, previous=current)
    return updated


def delete(job_id: str, who: Principal) -> None:
    job = get(job_id, who)
    require_admin(who, "delete jobs")
    if job.kind is JobKind.SYSTEM:
        raise Conflict("system jobs can be disabled, not deleted")
    store.delete_job(job, audit.entry(who, "job.delete", job_id, job.version, None))
    store.prune_history(job_id, keep=0)


def set_enabled(job_id: str, enabled: bool, who: Principal = SYSTEM, now: datetime | None = None) -> Job:
    """Enable (the schedule resumes from now: nothing missed while off is replayed) or disable."""
    now = now or datetime.now(UTC)
    job = get(job_id, who)
    require_admin(who, "enable or disable jobs")
    if job.enabled == enabled:
        return job
    expected = job.version
    job.enabled, job.version, job.updated_at = enabled, job.version + 1, now
    if enabled:
        job.failures_in_row, job.paused_reason = 0, None  # Enable lifts a pause after N failures
    job.next_fire_at = misfire.first_fire(job, now) if enabled else None
    action = "job.enable" if enabled else "job.disable"
    store.save_job(job, expected, audit.entry(who, action, job_id, expected, job.version))
    return job
