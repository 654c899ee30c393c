"""The timeline (GET /timeline): every enabled scheduled job's runs in a range, as their schedules,
calendars, bounds and jitter say, and how many start in each minute, so that a popular minute
shows before it is one more job's choice. What did happen to past slots: jobdeck.slots."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from jobdeck import calendars, store
from jobdeck.access import Principal
from jobdeck.domain import Job
from jobdeck.errors import InvalidJob
from jobdeck.firing import Firing

MAX_RANGE = timedelta(days=7)
MAX_RUNS = 20_000  # past it the answer says it was cut short: the minute counts would mislead
BUSIEST = 10


@dataclass
class Run:
    job: Job
    slot: datetime
    starts: datetime


@dataclass
class Timeline:
    runs: list[Run] = field(default_factory=list)
    per_minute: Counter[datetime] = field(default_factory=Counter)
    truncated: bool = False

    def busiest(self) -> list[tuple[datetime, int]]:
        """The minutes where most runs start, most first (two runs at least)."""
        return [(minute, n) for minute, n in self.per_minute.most_common(BUSIEST) if n > 1]


def runs(start: datetime, end: datetime, who: Principal) -> Timeline:
    if end <= start:
        raise InvalidJob("to", "must be after from")
    if end - start > MAX_RANGE:
        raise InvalidJob("to", f"at most {MAX_RANGE.days} days after from")
    jobs = [
        job
        for job in store.all_jobs()
        if job.enabled and job.schedule is not None and (who.is_admin or job.owner == who.username)
    ]
    known = calendars.known({name for job in jobs if job.schedule for name in job.schedule.calendars})
    timeline = Timeline()
    for job in sorted(jobs, key=lambda j: j.id):
        room = MAX_RUNS - len(timeline.runs)
        fired = _fired(Firing(job, known), start, end, room + 1)
        if len(fired) > room:
            timeline.truncated = True
            fired = fired[:room]
        for slot, starts in fired:
            timeline.runs.append(Run(job, slot, starts))
            timeline.per_minute[starts.replace(second=0, microsecond=0)] += 1
        if timeline.truncated:
            break
    timeline.runs.sort(key=lambda run: (run.starts, run.job.id))
    return timeline


def _fired(firing: Firing, start: datetime, end: datetime, most: int) -> list[tuple[datetime, datetime]]:
    """(slot, start) of the runs that start in [start, end), `most` at most: a slot up to the
    jitter before the range counts."""
    job = firing.job
    left = None if firing.max_runs is None else max(0, firing.max_runs - job.runs_fired)
    found: list[tuple[datetime, datetime]] = []
    since = start - timedelta(seconds=firing.spec.jitter_seconds)
    slot = firing.next_slot(since - timedelta(microseconds=1))
    while slot is not None and slot < end and (left is None or left > 0) and len(found) < most:
        if firing.left_out(slot) is None:
            starts = firing.starts(slot)
            if left is not None:
                left -= 1
            if start <= starts < end:
                found.append((slot, starts))
        slot = firing.next_slot(slot)
    for slot, to in job.moved_slots.items():
        if start <= to < end:
            found.append((slot, to))
    return found
