"""Items to domain objects and back. Kept apart so jobs.py and tasks.py read as operations."""

from __future__ import annotations

import json
import zlib
from dataclasses import asdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from jobdeck.after import After, EndedAs
from jobdeck.datasources import DEFAULT
from jobdeck.deadline import Deadline
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
    LogLine,
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
    TriggerInfo,
    TriggerType,
)
from jobdeck.store.models import (
    DEADLINE_KEY,
    DUE,
    QUEUED,
    ActionMap,
    AuditModel,
    JobModel,
    LogLineMap,
    NotifyMap,
    RetryMap,
    ScheduleMap,
    SubscriptionModel,
    TaskModel,
    TaskSummaryMap,
    TriggerMap,
)

AUDIT_DAYS = 365  # the audit trail is bounded too: DynamoDB drops entries after a year


def job_from_item(item: JobModel) -> Job:
    schedule = None
    if item.schedule is not None:
        schedule = ScheduleSpec(
            expression=item.schedule.expression,
            timezone=item.schedule.timezone,
            misfire=Misfire(item.schedule.misfire),
            grace_seconds=int(item.schedule.grace_seconds),
            catch_up_seconds=int(item.schedule.catch_up_seconds),
            start=item.schedule.start,
            end=item.schedule.end,
            max_runs=_int(item.schedule.max_runs),
            jitter_seconds=int(item.schedule.jitter_seconds or 0),
            calendars=list(item.schedule.calendars or []),
        )
    return Job(
        id=item.id,
        label=item.label,
        owner=item.owner,
        kind=JobKind(item.kind),
        description=item.description,
        enabled=item.enabled,
        schedule=schedule,
        events=[event_from_dict(e) for e in item.events],
        hooks=[hook_from_dict(h) for h in item.hooks],
        after=after_from_dict(item.after.as_dict()) if item.after is not None else None,
        deadline=deadline_from_dict(item.deadline.as_dict()) if item.deadline is not None else None,
        deadline_missed=item.deadline_missed.as_dict() if item.deadline_missed is not None else None,
        actions=[step_from_map(a) for a in item.actions],
        on_failure=[step_from_map(a) for a in item.on_failure],
        parameters=[parameter_from_dict(p) for p in item.parameters],
        timeout_seconds=int(item.timeout_seconds),
        history_days=int(item.history_days),
        overlap=Overlap(item.overlap),
        max_concurrency=_int(item.max_concurrency),
        retry=RetryPolicy(
            int(item.retry.max_attempts), int(item.retry.backoff_seconds), int(item.retry.max_backoff_seconds)
        )
        if item.retry
        else RetryPolicy(),
        notify=NotifyPolicy(item.notify.topic, item.notify.webhook) if item.notify else NotifyPolicy(),
        pause_after_failures=_int(item.pause_after_failures),
        failures_in_row=int(item.failures_in_row),
        paused_reason=item.paused_reason,
        origin=item.origin,
        version=int(item.version),
        created_at=item.created_at,
        updated_at=item.updated_at,
        next_fire_at=item.next_fire_at,
        runs_fired=int(item.runs_fired),
        last_task=summary_from_map(item.last_task) if item.last_task else None,
        running=int(item.running),
        waiting=list(item.waiting),
        skipped_slots=[datetime.fromisoformat(slot) for slot in item.skipped_slots or []],
        moved_slots={
            datetime.fromisoformat(slot): datetime.fromisoformat(str(to))
            for slot, to in (item.moved_slots.as_dict() if item.moved_slots else {}).items()
        },
        slot_changes=int(item.slot_changes or 0),
    )


def step_map(step: ActionStep) -> ActionMap:
    rule = {k: v for k, v in asdict(step.filter).items() if v is not None} if step.filter else None
    return ActionMap(action=step.action, parameters=step.parameters, timeout_seconds=step.timeout_seconds, filter=rule)


def step_from_map(item: ActionMap) -> ActionStep:
    rule = NodeFilter(**{k: _plain(v) for k, v in item.filter.as_dict().items()}) if item.filter else None
    return ActionStep(item.action, item.parameters.as_dict(), _int(item.timeout_seconds), rule)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def item_from_job(job: Job) -> JobModel:
    scheduled = job.enabled and job.next_fire_at is not None
    return JobModel(
        job.id,
        label=job.label,
        owner=job.owner,
        kind=job.kind.value,
        description=job.description,
        enabled=job.enabled,
        schedule=schedule_map(job.schedule) if job.schedule else None,
        events=[event_dict(e) for e in job.events],
        hooks=[asdict(h) for h in job.hooks],
        after={**asdict(job.after), "on": job.after.on.value} if job.after else None,
        upstream={} if job.after else None,
        deadline={k: v for k, v in asdict(job.deadline).items() if v is not None} if job.deadline else None,
        actions=[step_map(a) for a in job.actions],
        on_failure=[step_map(a) for a in job.on_failure],
        parameters=[parameter_dict(p) for p in job.parameters],
        timeout_seconds=job.timeout_seconds,
        history_days=job.history_days,
        overlap=job.overlap.value,
        max_concurrency=job.max_concurrency,
        retry=RetryMap(**asdict(job.retry)),
        notify=NotifyMap(**asdict(job.notify)),
        pause_after_failures=job.pause_after_failures,
        failures_in_row=job.failures_in_row,
        paused_reason=job.paused_reason,
        origin=job.origin,
        version=job.version,
        created_at=job.created_at,
        updated_at=job.updated_at,
        due=DUE if scheduled else None,
        next_fire_at=job.next_fire_at if scheduled else None,
        runs_fired=job.runs_fired,
        last_task=summary_map(job.last_task) if job.last_task else None,
        running=job.running,
        waiting=job.waiting,
        skipped_slots=[slot.isoformat() for slot in job.skipped_slots],
        moved_slots={slot.isoformat(): to.isoformat() for slot, to in job.moved_slots.items()},
        slot_changes=job.slot_changes,
    )


def event_dict(event: EventTrigger) -> dict[str, object]:
    raw = asdict(event)
    raw["source"] = event.source.value
    raw["filter"] = {k: v for k, v in raw["filter"].items() if v is not None}
    return {k: v for k, v in raw.items() if v is not None}


def after_from_dict(raw: dict[str, Any]) -> After:
    return After([str(j) for j in raw["jobs"]], EndedAs(raw["on"]), int(raw["within_seconds"]))


def deadline_from_dict(raw: dict[str, Any]) -> Deadline:
    limit = raw.get("max_duration_seconds")
    return Deadline(raw.get("finish_by"), str(raw.get("timezone", "UTC")), int(limit) if limit is not None else None)


def hook_from_dict(raw: dict[str, Any]) -> HookTrigger:
    return HookTrigger(**raw)


def event_from_dict(raw: dict[str, Any]) -> EventTrigger:
    return EventTrigger(
        source=EventSource(raw["source"]),
        type=raw["type"],
        # Triggers stored before datasources named a bucket instead: the stack's own, `default`.
        datasource=raw.get("datasource") or (DEFAULT if raw["source"] == EventSource.S3 else None),
        filter=EventFilter(**{k: _plain(v) for k, v in raw.get("filter", {}).items()}),
    )


def subscription_items(job: Job) -> list[SubscriptionModel]:
    return [
        *(SubscriptionModel(e.key, job.id, trigger=event_dict(e)) for e in job.events),
        *(SubscriptionModel(h.key, job.id, trigger=asdict(h)) for h in job.hooks),
        *(SubscriptionModel(key, job.id, trigger={"after": True}) for key in (job.after.keys if job.after else [])),
        # Every job with a deadline, in one partition: the deadline watch reads those only.
        *([SubscriptionModel(DEADLINE_KEY, job.id, trigger={"deadline": True})] if job.deadline else []),
    ]


def parameter_dict(parameter: JobParameter) -> dict[str, object]:
    raw = {
        "name": parameter.name,
        "type": parameter.type.value,
        "description": parameter.description,
        "required": parameter.required,
        "default": parameter.default,
        "choices": parameter.choices,
    }
    return {k: v for k, v in raw.items() if v is not None}


def parameter_from_dict(raw: dict[str, Any]) -> JobParameter:
    return JobParameter(
        name=raw["name"],
        type=ParameterType(raw.get("type", "string")),
        description=raw.get("description", ""),
        default=_plain(raw.get("default")),
        required=bool(raw.get("required", False)),
        choices=[_plain(c) for c in raw["choices"]] if raw.get("choices") is not None else None,
    )


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; parameters are JSON values."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def audit_item(entry: AuditEntry, keep_days: int = AUDIT_DAYS) -> AuditModel:
    return AuditModel(
        entry.at.strftime("%Y-%m"),
        entry.id,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        job_id=entry.job_id,
        version_before=entry.version_before,
        version_after=entry.version_after,
        detail=entry.detail,
        expires_at=entry.at + timedelta(days=keep_days),
    )


def audit_from_item(item: AuditModel) -> AuditEntry:
    return AuditEntry(
        id=item.id,
        at=item.at,
        actor=item.actor,
        action=item.action,
        job_id=item.job_id,
        version_before=int(item.version_before) if item.version_before is not None else None,
        version_after=int(item.version_after) if item.version_after is not None else None,
        detail=item.detail.as_dict(),
    )


def schedule_map(spec: ScheduleSpec) -> ScheduleMap:
    return ScheduleMap(
        expression=spec.expression,
        timezone=spec.timezone,
        misfire=spec.misfire.value,
        grace_seconds=spec.grace_seconds,
        catch_up_seconds=spec.catch_up_seconds,
        start=spec.start,
        end=spec.end,
        max_runs=spec.max_runs,
        jitter_seconds=spec.jitter_seconds,
        calendars=list(spec.calendars),
    )


def summary_map(summary: TaskSummary) -> TaskSummaryMap:
    return TaskSummaryMap(
        id=summary.id,
        status=summary.status.value,
        created_at=summary.created_at,
        started_at=summary.started_at,
        ended_at=summary.ended_at,
        message=summary.message,
    )


def summary_from_map(item: TaskSummaryMap) -> TaskSummary:
    return TaskSummary(
        id=item.id,
        status=TaskStatus(item.status),
        created_at=item.created_at,
        started_at=item.started_at,
        ended_at=item.ended_at,
        message=item.message,
    )


def task_from_item(item: TaskModel) -> Task:
    return Task(
        job_id=item.job_id,
        id=item.id,
        status=TaskStatus(item.status),
        trigger=TriggerInfo(
            type=TriggerType(item.trigger.type), by=item.trigger.by, detail=item.trigger.detail.as_dict()
        ),
        created_at=item.created_at,
        scheduled_for=item.scheduled_for,
        started_at=item.started_at,
        ended_at=item.ended_at,
        progress=float(item.progress),
        message=item.message,
        attempt=int(item.attempt),
        parameters=item.parameters.as_dict(),
        logs=[LogLine(line.at, line.level, line.message) for line in item.logs],
        stop_requested_by=item.stop_requested_by,
        pause_requested_by=item.pause_requested_by,
        overlap=Overlap(item.overlap) if item.overlap else None,
        not_before=item.not_before,
        resume=unpacked(item.resume),
        output=unpacked(item.output),
        deadline_missed_at=item.deadline_missed_at,
    )


def item_from_task(task: Task, history_days: int) -> TaskModel:
    return TaskModel(
        task.job_id,
        task.id,
        status=task.status.value,
        trigger=TriggerMap(type=task.trigger.type.value, by=task.trigger.by, detail=task.trigger.detail),
        created_at=task.created_at,
        scheduled_for=task.scheduled_for,
        started_at=task.started_at,
        ended_at=task.ended_at,
        progress=task.progress,
        message=task.message,
        attempt=task.attempt,
        parameters=task.parameters,
        logs=log_maps(task.logs),
        stop_requested_by=task.stop_requested_by,
        pause_requested_by=task.pause_requested_by,
        overlap=task.overlap.value if task.overlap else None,
        not_before=task.not_before,
        resume=packed(task.resume),
        output=packed(task.output),
        active_job=task.job_id if task.status.active else None,
        queued=QUEUED if task.status is TaskStatus.QUEUED else None,
        due_at=(task.scheduled_for or task.created_at) if task.status is TaskStatus.QUEUED else None,
        expires_at=expiry(task, history_days),
    )


def packed(value: Any) -> bytes | None:
    """JSON compressed: a paused chain's place, a run's output (thousands of keys, some of them)."""
    return zlib.compress(json.dumps(value, separators=(",", ":")).encode()) if value is not None else None


def unpacked(raw: bytes | None) -> Any:
    return json.loads(zlib.decompress(raw)) if raw else None


def log_maps(lines: list[LogLine]) -> list[LogLineMap]:
    return [LogLineMap(at=line.at, level=line.level, message=line.message) for line in lines]


def expiry(task: Task, history_days: int) -> datetime | None:
    """When DynamoDB may drop a finished task; active tasks never expire."""
    if task.status.active or task.ended_at is None:
        return None
    return task.ended_at + timedelta(days=history_days)
