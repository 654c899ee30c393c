"""The slots the tick passed without a run, as it recorded them (written in its claims, see
new_tasks.claim_together); read back by job and time."""

from __future__ import annotations

from datetime import datetime, timedelta

from jobdeck.domain import SkippedSlot
from jobdeck.store.models import SkippedSlotModel


def skipped_item(skip: SkippedSlot, history_days: int) -> SkippedSlotModel:
    return SkippedSlotModel(
        skip.job_id,
        skip.slot,
        reason=skip.reason,
        recorded_at=skip.recorded_at,
        until=skip.until,
        late_seconds=skip.late_seconds,
        expires_at=skip.slot + timedelta(days=history_days),
    )


def skipped_slots(job_id: str, start: datetime, end: datetime, reach: timedelta) -> list[SkippedSlot]:
    """The records of a job touching [start, end), oldest first: those of slots in it, and ranges
    that began up to `reach` before it (a misfire range's `until` can reach into it)."""
    query = SkippedSlotModel.query(job_id, SkippedSlotModel.slot.between(start - reach, end))
    found = []
    for item in query:
        record = SkippedSlot(
            job_id=item.job_id,
            slot=item.slot,
            reason=item.reason,
            recorded_at=item.recorded_at,
            until=item.until,
            late_seconds=float(item.late_seconds) if item.late_seconds is not None else None,
        )
        if record.slot >= start or (record.until is not None and record.until > start):
            found.append(record)
    return found
