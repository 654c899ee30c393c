"""Which slots of a job fire, and when each starts: the one answer the tick, the previews, the
slots listing and the timeline share.

A slot is a fire time of the schedule's expression, within the schedule's `start` and `end`. It
fires unless one of the job's calendars leaves it out or someone skipped or moved it, and until
`max_runs` slots fired. A slot that fires starts `jitter_seconds` at most after it, by an offset
derived from job and slot: the same in every preview and run, different from slot to slot, so
that the jobs of a popular minute do not all start on its first second.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, timedelta

from jobdeck import calendar_rules, schedules
from jobdeck.domain import Calendar, Job, SkipReason

_TINY = timedelta(microseconds=1)
MAX_JITTER_SECONDS = 3600  # an hour: past it, a slot would start closer to the next hourly one than its own
# Slots looked at for a preview before it gives up: an `only` calendar of a few days a year
# leaves most of a minute schedule out.
MAX_LOOK = 50_000
MOVED = "moved"  # a slot whose run was moved elsewhere: not fired at its own time, and no reason to show


def jitter(job_id: str, slot: datetime, seconds: int) -> timedelta:
    """The stable offset of a slot's start: 0 to `seconds` whole seconds, from a hash of job and slot."""
    if seconds <= 0:
        return timedelta(0)
    digest = hashlib.sha256(f"{job_id}|{int(slot.timestamp() * 1000)}".encode()).digest()
    return timedelta(seconds=int.from_bytes(digest[:8], "big") % (seconds + 1))


class Firing:
    """A job's schedule with its bounds, calendars and skips, read once.

    `calendars` holds the job's calendars by name; one the job names that is missing (deleted in a
    race with the job's edit) leaves no slot out."""

    def __init__(self, job: Job, calendars: Mapping[str, Calendar] | None = None) -> None:
        assert job.schedule is not None
        self.job, self.spec = job, job.schedule
        self.schedule = schedules.parse(self.spec.expression, self.spec.timezone)
        counts = [n for n in (self.schedule.max_runs, self.spec.max_runs) if n is not None]
        self.max_runs: int | None = min(counts) if counts else None
        found = calendars or {}
        self.calendars = [calendar_rules.Coverage(found[name]) for name in self.spec.calendars if name in found]
        self.skipped = set(job.skipped_slots)

    def next_slot(self, after: datetime) -> datetime | None:
        """The schedule's first slot strictly after `after`, not before `start`; None at `end`."""
        start = self.spec.start
        if start is not None and after < start:
            after = start - _TINY
        slot = self.schedule.next(after)
        if slot is None or (self.spec.end is not None and slot >= self.spec.end):
            return None
        return slot

    def left_out(self, slot: datetime) -> str | None:
        """Why this slot will not fire, for a reason other than the count of runs: `manual`,
        `calendar:<name>` (the first calendar that leaves it out), or MOVED; None when it fires."""
        if slot in self.job.moved_slots:
            return MOVED
        if slot in self.skipped:
            return SkipReason.MANUAL.value
        for coverage in self.calendars:
            if not coverage.lets(slot):
                return f"{SkipReason.CALENDAR.value}:{coverage.calendar.name}"
        return None

    def bound(self, slot: datetime) -> str | None:
        """`before_start` or `after_end` for a slot of the expression outside the schedule's bounds."""
        if self.spec.start is not None and slot < self.spec.start:
            return SkipReason.BEFORE_START.value
        if self.spec.end is not None and slot >= self.spec.end:
            return SkipReason.AFTER_END.value
        return None

    def starts(self, slot: datetime) -> datetime:
        """When the run of a slot starts: after its jitter, or when it was moved to."""
        moved = self.job.moved_slots.get(slot)
        return moved if moved is not None else slot + jitter(self.job.id, slot, self.spec.jitter_seconds)

    def first(self, now: datetime) -> datetime | None:
        """The slot the tick looks at first for a job created or enabled now (None: it never fires)."""
        if self.max_runs is not None and self.job.runs_fired >= self.max_runs:
            return None
        return self.next_slot(now - _TINY)

    def upcoming(self, after: datetime, count: int) -> list[datetime]:
        """The next `count` slots after `after` that will fire, counting the runs left."""
        left = None if self.max_runs is None else max(0, self.max_runs - self.job.runs_fired)
        found: list[datetime] = []
        slot = self.next_slot(after)
        looked = 0
        while slot is not None and len(found) < count and looked < MAX_LOOK:
            looked += 1
            if left is not None and len(found) >= left:
                break
            if self.left_out(slot) is None:
                found.append(slot)
            slot = self.next_slot(slot)
        return found
