"""A job's `deadline`: its runs must FINISH by a time of day (`finish_by` in `timezone`), and/or
within `max_duration_seconds` of starting. A leaf: domain's Job holds one; jobdeck.deadlines
watches the runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass
class Deadline:
    finish_by: str | None = None  # "08:00": the first such time after the run was due
    timezone: str = "UTC"
    max_duration_seconds: int | None = None

    def of_run(self, due: datetime, started_at: datetime | None) -> datetime | None:
        """When a run due at `due` (its slot, or when it was asked for) must have FINISHED: the
        earlier of the two bounds it has; None when it has none yet (not started, no finish_by)."""
        bounds = []
        if self.max_duration_seconds is not None and started_at is not None:
            bounds.append(started_at + timedelta(seconds=self.max_duration_seconds))
        if self.finish_by is not None:
            bounds.append(next_time_of_day(due, self.finish_by, ZoneInfo(self.timezone)))
        return min(bounds) if bounds else None


def next_time_of_day(after: datetime, hhmm: str, zone: ZoneInfo) -> datetime:
    """The first `hhmm` wall time in `zone` strictly after `after` (a day later when that day's
    has passed). A time a DST gap skips is read as the zone reads it (fold 0)."""
    hours, minutes = (int(part) for part in hhmm.split(":"))
    local = after.astimezone(zone)
    candidate = datetime.combine(local.date(), time(hours, minutes), tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), time(hours, minutes), tzinfo=zone)
    return candidate.astimezone(after.tzinfo)
