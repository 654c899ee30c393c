"""The tick: once a minute, claim the slots that are due and hand their tasks to RunQueue."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from aws_lambda_powertools import Logger

from jobdeck import dispatch, slots, store, telemetry
from jobdeck.config import Settings
from jobdeck.domain import Job, Task, TaskStatus, TriggerInfo, TriggerType, slot_task_id

logger = Logger()

# The rule fires every minute; looking a minute ahead lets SQS's DelaySeconds start each run on its
# second, and the conditional claim keeps the overlap between two ticks harmless.
LOOKAHEAD = timedelta(seconds=60)
# A task still QUEUED this long after it was due may have lost its message (a crash between the
# claim and the send): the tick whose minute covers that age sends it once more. Once, not every
# minute, so a runner backlog is not multiplied; a duplicate is harmless (a task starts once).
REDELIVER_AFTER = timedelta(minutes=5)

clock = time.monotonic  # how long a tick has taken; tests move it forward


@dataclass
class TickReport:
    due: int = 0
    claimed: int = 0
    lost_races: int = 0
    queued: int = 0
    skipped_slots: int = 0
    redelivered: int = 0
    failed: int = 0
    late_seconds: float = 0.0  # how long after its slot the latest past slot was claimed

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


class TickFailed(RuntimeError):
    """Some jobs could not be claimed or dispatched; the others were. Raised so that the invocation
    fails and EventBridge retries it (claimed slots are not claimed twice)."""


def tick(now: datetime | None = None, settings: Settings | None = None) -> TickReport:
    now = now or datetime.now(UTC)
    began = clock()

    def sending_at() -> datetime:
        """`now` moved on by the time this tick has taken: a message sent a second or two into a
        tick over many jobs is delayed to its slot, not to as long after it."""
        return now + timedelta(seconds=clock() - began)

    settings = settings or Settings.from_env()
    report = TickReport()
    for job in store.due_jobs(now + LOOKAHEAD):
        report.due += 1
        try:
            _fire(job, now, sending_at, settings, report)
        except Exception:
            report.failed += 1
            logger.exception("tick could not fire job", extra={"job_id": job.id})
    stale = store.stale_queued(due_between=(now - REDELIVER_AFTER - LOOKAHEAD, now - REDELIVER_AFTER))
    if stale:
        dispatch.resend(stale, settings)
        report.redelivered = len(stale)
        logger.warning("redelivered queued tasks", extra={"tasks": [task_id for _, task_id in stale]})
    logger.info("tick", extra=report.as_dict())
    telemetry.tick(report.queued, report.skipped_slots, report.redelivered, report.late_seconds)
    if report.failed:
        raise TickFailed(f"{report.failed} of {report.due} due jobs failed; see the log")
    return report


def _fire(job: Job, now: datetime, sending_at: Callable[[], datetime], settings: Settings, report: TickReport) -> None:
    plan = slots.plan(job, now, now + LOOKAHEAD)
    tasks = [scheduled_task(job, slot, now) for slot in plan.run]
    if not store.claim_slots(job, tasks, plan.next_fire_at):
        report.lost_races += 1
        return
    report.claimed += 1
    report.skipped_slots += plan.skipped
    past = [(now - slot).total_seconds() for slot in plan.run if slot <= now]
    report.late_seconds = max([report.late_seconds, *past])
    if plan.skipped:
        logger.info("missed slots skipped", extra={"job_id": job.id, "skipped": plan.skipped})
    if tasks:
        dispatch.send(tasks, sending_at(), settings)
        report.queued += len(tasks)


def scheduled_task(job: Job, slot: datetime, now: datetime) -> Task:
    assert job.schedule is not None
    return Task(
        job_id=job.id,
        id=slot_task_id(job.id, slot),
        status=TaskStatus.QUEUED,
        trigger=TriggerInfo(TriggerType.SCHEDULE, detail={"expression": job.schedule.expression}),
        created_at=now,
        scheduled_for=slot,
    )
