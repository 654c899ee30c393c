"""The misfire policy: which fire times (slots) of a job's schedule the tick runs, which it passes
(and why), and when the job fires next."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from jobdeck.domain import Calendar, Job, Misfire, SkippedSlot, SkipReason
from jobdeck.firing import MOVED, Firing

# One DynamoDB transaction holds at most 100 items: the job plus its tasks and its records of
# passed slots. A longer catch-up continues at the next tick, where it left off.
MAX_SLOTS_PER_TICK = 50
_TINY = timedelta(microseconds=1)


@dataclass
class Plan:
    run: list[datetime] = field(default_factory=list)  # slots to create tasks for, oldest first
    next_fire_at: datetime | None = None  # the first slot not planned yet; None when the schedule ended
    skipped: int = 0  # missed slots dropped by the misfire policy (counted within the policy window)
    passed: list[SkippedSlot] = field(default_factory=list)  # slots not run, recorded with their reason


def first_fire(job: Job, now: datetime) -> datetime | None:
    """The next run of a job being created or enabled now (None if it is not scheduled)."""
    if job.schedule is None:
        return None
    return Firing(job).first(now)


def plan(job: Job, now: datetime, horizon: datetime, calendars: Mapping[str, Calendar] | None = None) -> Plan:
    """Slots from the job's stored next run up to `horizon` (the tick's look-ahead).

    Slots before `now` were missed. `skip` runs the newest one still within the grace window, once;
    `catch_up` runs each within the catch-up window. Slots before the window are passed as one range
    (a long outage costs one record to step over, whatever its slots). Slots a calendar leaves out or
    someone skipped are passed one by one, with their reason; moved ones run at their new time.
    """
    assert job.schedule is not None and job.next_fire_at is not None
    spec, first = job.schedule, job.next_fire_at
    firing = Firing(job, calendars)
    catching_up = spec.misfire is Misfire.CATCH_UP
    window_start = now - timedelta(seconds=spec.catch_up_seconds if catching_up else spec.grace_seconds)

    slot: datetime | None = first
    result = Plan()
    if first < window_start:
        result.skipped += 1
        slot = firing.next_slot(window_start - _TINY)
        result.passed.append(_missed(job, first, now, until=slot or window_start))
    missed: list[datetime] = []
    upcoming: list[datetime] = []
    while (
        slot is not None and slot <= horizon and len(missed) + len(upcoming) + len(result.passed) < MAX_SLOTS_PER_TICK
    ):
        why = firing.left_out(slot)
        if why is None:
            (missed if slot < now else upcoming).append(slot)
        elif why != MOVED:
            result.passed.append(SkippedSlot(job.id, slot, why, now))
        slot = firing.next_slot(slot)
    if not catching_up and len(missed) > 1:
        result.skipped += len(missed) - 1
        result.passed += [_missed(job, dropped, now) for dropped in missed[:-1]]
        missed = missed[-1:]
    result.run = missed + upcoming

    if firing.max_runs is not None:
        remaining = max(0, firing.max_runs - job.runs_fired)
        if len(result.run) >= remaining:
            result.run, slot = result.run[:remaining], None
    result.next_fire_at = slot
    return result


def _missed(job: Job, slot: datetime, now: datetime, until: datetime | None = None) -> SkippedSlot:
    late = (now - slot).total_seconds()
    return SkippedSlot(job.id, slot, SkipReason.MISFIRE.value, now, until=until, late_seconds=late)
