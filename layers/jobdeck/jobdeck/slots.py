"""Every slot of a job accounted for (GET /jobs/{id}/slots), and one upcoming slot skipped, its
skip undone, or moved.

A past slot says what happened, from what was written when it happened: the slot's task (its id
derives from job and slot), the tick's record of a slot it passed (a calendar, a skip, a
misfire), or the audit trail (the job disabled or suspended then). A future slot says what will
happen by the job's definition now: its calendars, skips, bounds, runs left, and whether the job
is enabled.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from jobdeck import audit, calendars, jobs, lifecycle, store, tick
from jobdeck.access import Principal, require_admin
from jobdeck.domain import (
    AuditEntry,
    Job,
    SkippedSlot,
    SkipReason,
    SlotState,
    Task,
    TaskStatus,
    derived_task_id,
    slot_task_id,
)
from jobdeck.errors import Conflict, InvalidJob, NotFound
from jobdeck.firing import MOVED, Firing

MAX_SLOTS = 1000
MAX_SKIPS = 100  # upcoming skips and moves a job holds at once: they live on the job's item
MAX_MOVE_AHEAD = timedelta(days=7)
# How far before a range a misfire record may begin and still cover it (an outage's one record).
_RECORD_REACH = timedelta(days=31)
_AUDIT_PAGES = 20  # of 50 entries: how far back the audit trail is read for disabled periods
_TINY = timedelta(microseconds=1)
_STATES = {
    TaskStatus.QUEUED: SlotState.QUEUED,
    TaskStatus.RUNNING: SlotState.RUNNING,
    TaskStatus.PAUSED: SlotState.RUNNING,
    TaskStatus.SKIPPED: SlotState.SKIPPED,
}


@dataclass
class SlotAccount:
    slot: datetime
    state: SlotState
    reason: str | None = None
    task_id: str | None = None
    starts: datetime | None = None  # when its run starts or started: after its jitter, or where it was moved
    late_seconds: float | None = None  # a misfire: how late the tick saw it


def account(
    job_id: str, start: datetime, end: datetime, who: Principal, now: datetime | None = None
) -> tuple[Job, list[SlotAccount]]:
    """The job, and its slots of [start, end), oldest first (at most MAX_SLOTS)."""
    now = now or datetime.now(UTC)
    job = jobs.get(job_id, who)
    if job.schedule is None:
        raise InvalidJob("schedule", "the job has no schedule: it has no slots")
    if end <= start:
        raise InvalidJob("to", "must be after from")
    firing = Firing(job, calendars.known(job.schedule.calendars))
    slots = _expression_slots(firing, max(start, job.created_at - _TINY), end)
    # The tick passes slots a minute ahead: one it skipped is off the job's skips and in its
    # records before its time comes, so what it passed is told from those records, as a past slot.
    passed = max(now, job.next_fire_at or now)
    past_end = min(end, passed)
    # Slots to come can have their task too: claimed in the tick's minute ahead, or moved.
    tasks = {task.id: task for task in store.tasks_between(job.id, start, end)}
    records = store.skipped_slots(job.id, start, past_end, _RECORD_REACH) if start < past_end else []
    # The audit trail is read only when a past slot has neither a task nor a record to tell it.
    periods = functools.cache(lambda: _off_periods(job, start))
    left = None if firing.max_runs is None else max(0, firing.max_runs - job.runs_fired)
    out = []
    for slot in slots:
        task = tasks.get(slot_task_id(job.id, slot)) or tasks.get(_backfill_id(job.id, slot))
        if task is not None:
            out.append(_of_task(slot, task))
        elif slot < passed and (job.next_fire_at is None or slot < job.next_fire_at):
            out.append(_past(job, firing, slot, records, periods))
        else:
            entry = _future(job, firing, slot, left)
            if entry.state is SlotState.UPCOMING and left is not None:
                left -= 1
            out.append(entry)
    return job, out


def _expression_slots(firing: Firing, start: datetime, end: datetime) -> list[datetime]:
    """The expression's slots in [start, end), the schedule's bounds aside (they are reasons)."""
    found: list[datetime] = []
    slot = firing.schedule.next(start - _TINY)
    while slot is not None and slot < end:
        if len(found) == MAX_SLOTS:
            raise InvalidJob("to", f"the range holds more than {MAX_SLOTS} slots: ask for a shorter one")
        found.append(slot)
        slot = firing.schedule.next(slot)
    return found


def _backfill_id(job_id: str, slot: datetime) -> str:
    return derived_task_id(job_id, slot, f"backfill|{int(slot.timestamp() * 1000)}")  # as tasks.backfill


def _of_task(slot: datetime, task: Task) -> SlotAccount:
    state = _STATES.get(task.status, SlotState.RAN)
    reason = SkipReason.OVERLAP.value if task.status is TaskStatus.SKIPPED else None
    return SlotAccount(slot, state, reason, task.id, task.scheduled_for)


def _past(
    job: Job, firing: Firing, slot: datetime, records: list[SkippedSlot], periods: Callable[[], list[_Off]]
) -> SlotAccount:
    for record in records:
        if record.slot == slot or (record.until is not None and record.slot <= slot < record.until):
            late = record.late_seconds
            if record.until is not None and late is not None:  # a range: this slot's own lateness
                late = (record.recorded_at - slot).total_seconds()
            return SlotAccount(slot, SlotState.SKIPPED, record.reason, late_seconds=late)
    for period in periods():
        if period.start <= slot < period.end:
            return SlotAccount(slot, SlotState.SKIPPED, period.reason)
    bound = firing.bound(slot)
    if bound is None and firing.max_runs is not None and job.runs_fired >= firing.max_runs:
        bound = SkipReason.MAX_RUNS.value
    return SlotAccount(slot, SlotState.SKIPPED, bound)  # None: nothing recorded is left of it


def _future(job: Job, firing: Firing, slot: datetime, left: int | None) -> SlotAccount:
    if not job.enabled:
        reason = SkipReason.PAUSED_AFTER_FAILURES if job.paused_reason else SkipReason.DISABLED
        return SlotAccount(slot, SlotState.SKIPPED, reason.value)
    why = firing.bound(slot) or firing.left_out(slot)
    if why is not None and why != MOVED:
        return SlotAccount(slot, SlotState.SKIPPED, why)
    if left is not None and left <= 0:
        return SlotAccount(slot, SlotState.SKIPPED, SkipReason.MAX_RUNS.value)
    return SlotAccount(slot, SlotState.UPCOMING, starts=firing.starts(slot))


@dataclass
class _Off:
    start: datetime
    end: datetime
    reason: str


def _off_periods(job: Job, since: datetime) -> list[_Off]:
    """When the job was disabled or suspended, from the audit trail (back to `since`)."""
    entries: list[AuditEntry] = []
    cursor = None
    for _ in range(_AUDIT_PAGES):
        page = store.list_audit(job.id, 50, cursor)
        entries += page.items
        cursor = page.cursor
        if not cursor or (page.items and page.items[-1].at < since):
            break
    periods: list[_Off] = []
    off: tuple[datetime, str] | None = None
    for entry in reversed(entries):  # oldest first
        turned = _turned(entry)
        if turned is None:
            continue
        if turned is True and off is not None:
            periods.append(_Off(off[0], entry.at, off[1]))
            off = None
        elif isinstance(turned, str) and off is None:
            off = (entry.at, turned)
    if off is not None:
        periods.append(_Off(off[0], datetime.max.replace(tzinfo=UTC), off[1]))
    return periods


def _turned(entry: AuditEntry) -> str | bool | None:
    """True: the entry enabled the job; a reason: it disabled it; None: no change of that."""
    if entry.action == "job.suspend":
        return SkipReason.PAUSED_AFTER_FAILURES.value
    if entry.action == "job.disable":
        return SkipReason.DISABLED.value
    if entry.action == "job.enable":
        return True
    if entry.action in ("job.create", "job.replace") and "enabled" in entry.detail:
        return True if entry.detail["enabled"] else SkipReason.DISABLED.value
    return None


# ---------------------------------------------------------------- one slot changed


def skip(job_id: str, slot: datetime, who: Principal, now: datetime | None = None) -> Job:
    """An upcoming slot will not fire (audited); skipping it twice changes nothing."""
    job, firing = _upcoming(job_id, slot, who, now)
    if slot in job.skipped_slots:
        return job
    reason = firing.left_out(slot)
    if reason is not None and reason.startswith(f"{SkipReason.CALENDAR.value}:"):
        # Recorded as `manual`, it would hide the calendar's reason, and outlive a calendar change.
        calendar = reason.partition(":")[2]
        raise Conflict(f"slot {slot.isoformat()} does not run already: the calendar {calendar!r} leaves it out")
    if len(job.skipped_slots) + len(job.moved_slots) >= MAX_SKIPS:
        raise Conflict(f"job {job_id!r} holds {MAX_SKIPS} skipped or moved slots already")
    store.skip_slot(job, slot, audit.entry(who, "slot.skip", job.id, slot=slot.isoformat()))
    return jobs.get(job_id, who)


def unskip(job_id: str, slot: datetime, who: Principal, now: datetime | None = None) -> Job:
    """Undo a skip, while the slot is still to come."""
    job, _ = _upcoming(job_id, slot, who, now, skipped_ok=True)
    if slot not in job.skipped_slots:
        raise NotFound(f"slot {slot.isoformat()} of job {job_id!r} is not skipped")
    store.unskip_slot(job, slot, audit.entry(who, "slot.unskip", job.id, slot=slot.isoformat()))
    return jobs.get(job_id, who)


def move(job_id: str, slot: datetime, to: datetime, who: Principal, now: datetime | None = None) -> Task:
    """Run one upcoming slot at `to` instead (audited): its task is made now, for then."""
    now = now or datetime.now(UTC)
    job, _ = _upcoming(job_id, slot, who, now)
    if to <= now:
        raise InvalidJob("to", "must be in the future")
    if to - now > MAX_MOVE_AHEAD:
        raise InvalidJob("to", f"at most {MAX_MOVE_AHEAD.days} days ahead")
    if len(job.skipped_slots) + len(job.moved_slots) >= MAX_SKIPS:
        raise Conflict(f"job {job_id!r} holds {MAX_SKIPS} skipped or moved slots already")
    task = tick.scheduled_task(job, slot, now, to=to)
    task.trigger.by = who.username
    entry = audit.entry(who, "slot.move", job.id, slot=slot.isoformat(), to=to.isoformat(), task=task.id)
    with lifecycle.enqueue(now) as queue:
        queue.move(job, slot, task, entry)
    return task


def _upcoming(
    job_id: str, slot: datetime, who: Principal, now: datetime | None, skipped_ok: bool = False
) -> tuple[Job, Firing]:
    """The job, if `slot` is one of its slots still to come and not claimed, skipped or moved."""
    now = now or datetime.now(UTC)
    job = jobs.get(job_id, who)
    require_admin(who, "skip or move a job's runs")
    if job.schedule is None:
        raise InvalidJob("schedule", "the job has no schedule: it has no slots")
    firing = Firing(job, calendars.known(job.schedule.calendars))
    if firing.next_slot(slot - _TINY) != slot:
        raise NotFound(f"{slot.isoformat()} is no slot of job {job_id!r}")
    if slot <= now or (job.next_fire_at is not None and slot < job.next_fire_at):
        raise Conflict(f"slot {slot.isoformat()} has passed, or the tick has claimed it")
    if slot in job.moved_slots:
        raise Conflict(f"slot {slot.isoformat()} was moved: stop its task instead")
    if slot in job.skipped_slots and not skipped_ok:
        return job, firing
    if store.get_task(job.id, slot_task_id(job.id, slot)) is not None:
        raise Conflict(f"slot {slot.isoformat()} has its task already: stop the task instead")
    return job, firing
