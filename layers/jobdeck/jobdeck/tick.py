"""The tick: once a minute, claim the slots that are due and hand their tasks to RunQueue."""

from __future__ import annotations

import time
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
CLAIMS_TOGETHER = 25  # jobs claimed in one transaction; a refused one is retried job by job
MAX_ITEMS = 100  # DynamoDB's limit of items in one transaction

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
    settings = settings or Settings.from_env()
    report = TickReport()
    # Claimed tasks go out ten at a time, one SendMessageBatch, rather than one request per job.
    outbox: list[Task] = []

    def send() -> None:
        # Each message is delayed from when it is sent: `now` moved on by the time this tick has
        # taken, or the last jobs of a long tick would start as long after their slot.
        try:
            dispatch.send(outbox, now + timedelta(seconds=clock() - began), settings)
            report.queued += len(outbox)
        except Exception:
            # Claimed, not sent: the tick's redelivery of stale tasks sends them in five minutes.
            report.failed += 1
            logger.exception("tick could not send tasks", extra={"tasks": [t.id for t in outbox]})
        outbox.clear()

    # Due jobs are claimed together, one transaction for up to CLAIMS_TOGETHER of them, rather than
    # one each: a tick over thousands of jobs due at the same minute makes a tenth of the requests.
    pending: list[tuple[store.Claim, slots.Plan]] = []

    def claim() -> None:
        together = len(pending) > 1 and _claimed_together([c for c, _ in pending])
        for c, plan in pending:
            try:
                # Refused together (one of them lost its race or changed): job by job, to know which.
                if together or store.claim_slots(c.job, c.tasks, c.next_fire_at):
                    _claimed(c, plan, now, report)
                    outbox.extend(c.tasks)
                else:
                    report.lost_races += 1
            except Exception:
                report.failed += 1
                logger.exception("tick could not fire job", extra={"job_id": c.job.id})
        pending.clear()
        if len(outbox) >= dispatch.BATCH:
            send()

    for job in store.due_jobs(now + LOOKAHEAD):
        report.due += 1
        try:
            plan = slots.plan(job, now, now + LOOKAHEAD)
        except Exception:
            report.failed += 1
            logger.exception("tick could not plan job", extra={"job_id": job.id})
            continue
        c = store.Claim(job, [scheduled_task(job, slot, now) for slot in plan.run], plan.next_fire_at)
        if pending and (len(pending) == CLAIMS_TOGETHER or sum(p.items for p, _ in pending) + c.items > MAX_ITEMS):
            claim()
        pending.append((c, plan))
    claim()
    if outbox:
        send()
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


def _claimed_together(claims: list[store.Claim]) -> bool:
    try:
        return store.claim_together(claims)
    except Exception:  # throttled past its retries, say: each job is tried on its own
        logger.warning("could not claim jobs together", exc_info=True)
        return False


def _claimed(claim: store.Claim, plan: slots.Plan, now: datetime, report: TickReport) -> None:
    report.claimed += 1
    report.skipped_slots += plan.skipped
    past = [(now - slot).total_seconds() for slot in plan.run if slot <= now]
    report.late_seconds = max([report.late_seconds, *past])
    if plan.skipped:
        logger.info("missed slots skipped", extra={"job_id": claim.job.id, "skipped": plan.skipped})


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
