"""The misfire policy: which fire times (slots) of a job's schedule the tick runs, and when the job fires next."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from jobdeck import schedules
from jobdeck.domain import Job, Misfire

# One DynamoDB transaction holds at most 100 items: the job plus its tasks. A longer catch-up
# continues at the next tick, where it left off.
MAX_SLOTS_PER_TICK = 50
_TINY = timedelta(microseconds=1)


@dataclass
class Plan:
    run: list[datetime] = field(default_factory=list)  # slots to create tasks for, oldest first
    next_fire_at: datetime | None = None  # the first slot not planned yet; None when the schedule ended
    skipped: int = 0  # missed slots dropped by the misfire policy (counted within the policy window)


def first_fire(job: Job, now: datetime) -> datetime | None:
    """The next run of a job being created or enabled now (None if it is not scheduled)."""
    if job.schedule is None:
        return None
    schedule = schedules.parse(job.schedule.expression, job.schedule.timezone)
    if schedule.max_runs is not None and job.runs_fired >= schedule.max_runs:
        return None
    return schedule.next(now - _TINY)


def plan(job: Job, now: datetime, horizon: datetime) -> Plan:
    """Slots from the job's stored next run up to `horizon` (the tick's look-ahead).

    Slots before `now` were missed. `skip` runs the newest one still within the grace window, once;
    `catch_up` runs each within the catch-up window. Slots before the window are dropped unseen, so
    a long outage costs nothing to step over.
    """
    assert job.schedule is not None and job.next_fire_at is not None
    spec, first = job.schedule, job.next_fire_at
    schedule = schedules.parse(spec.expression, spec.timezone)
    catching_up = spec.misfire is Misfire.CATCH_UP
    window_start = now - timedelta(seconds=spec.catch_up_seconds if catching_up else spec.grace_seconds)

    slot: datetime | None = first
    result = Plan()
    if first < window_start:
        result.skipped += 1
        slot = schedule.next(window_start - _TINY)
    missed: list[datetime] = []
    upcoming: list[datetime] = []
    while slot is not None and slot <= horizon and len(missed) + len(upcoming) < MAX_SLOTS_PER_TICK:
        (missed if slot < now else upcoming).append(slot)
        slot = schedule.next(slot)
    if not catching_up and len(missed) > 1:
        result.skipped += len(missed) - 1
        missed = missed[-1:]
    result.run = missed + upcoming

    if schedule.max_runs is not None:
        remaining = max(0, schedule.max_runs - job.runs_fired)
        if len(result.run) >= remaining:
            result.run, slot = result.run[:remaining], None
    result.next_fire_at = slot
    return result
