"""The tick: once a minute, claim the slots that are due and hand their tasks to RunQueue; send the
held retries that come due, and again the messages that may be lost."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from aws_lambda_powertools import Logger

from jobdeck import firing, lifecycle, misfire, store, telemetry
from jobdeck.config import Settings
from jobdeck.domain import Calendar, Job, Task, TaskStatus, TriggerInfo, TriggerType, slot_task_id

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
    held_sent: int = 0  # retries whose backoff outlasted SQS's delay, sent as they come due
    failed: int = 0
    late_seconds: float = 0.0  # how long after its slot the latest past slot was claimed

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


class TickFailed(RuntimeError):
    """Some jobs could not be claimed or sent; the others were. Raised so that the invocation
    fails and EventBridge retries it (claimed slots are not claimed twice)."""


def tick(now: datetime | None = None, settings: Settings | None = None) -> TickReport:
    now = now or datetime.now(UTC)
    report = TickReport()
    with lifecycle.enqueue(now, settings, strict=False, clock=clock, align=True) as queue:
        claims = _Claims(queue, report)
        try:
            for job in store.due_jobs(now + LOOKAHEAD):
                claims.add(job)
        finally:  # what was claimed before a failure is still sent
            claims.claim()
    with lifecycle.enqueue(now, settings, strict=False, clock=clock, align=True) as held:
        held.send_held(now + LOOKAHEAD)
    report.queued, report.held_sent = queue.sent, held.sent
    report.failed += queue.refused_requests + held.refused_requests  # left QUEUED: sent again, below
    stale = store.stale_queued(due_between=(now - REDELIVER_AFTER - LOOKAHEAD, now - REDELIVER_AFTER))
    if stale:
        lifecycle.redeliver(stale, settings)
        report.redelivered = len(stale)
        logger.warning("redelivered queued tasks", extra={"tasks": [task_id for _, task_id in stale]})
    logger.info("tick", extra=report.as_dict())
    telemetry.tick(report.queued, report.skipped_slots, report.redelivered, report.late_seconds)
    if report.failed:
        raise TickFailed(f"{report.failed} failures over {report.due} due jobs; see the log")
    return report


class _Claims:
    """One tick's claims. Due jobs are claimed together, up to CLAIMS_TOGETHER to a transaction
    rather than one each (a tick over the thousands of jobs due at a popular minute makes a
    twenty-fifth of the requests); a group refused is claimed job by job."""

    def __init__(self, queue: lifecycle.Enqueue, report: TickReport) -> None:
        self.queue, self.report, self.now = queue, report, queue.now
        self.pending: list[tuple[store.Claim, misfire.Plan]] = []
        self.calendars: dict[str, Calendar | None] = {}  # read once per tick, when a due job names them

    def add(self, job: Job) -> None:
        self.report.due += 1
        try:
            plan = misfire.plan(job, self.now, self.now + LOOKAHEAD, self._calendars(job))
            tasks = [scheduled_task(job, slot, self.now) for slot in plan.run]
            claim = store.Claim(job, tasks, plan.next_fire_at, plan.passed)
        except Exception:
            self.report.failed += 1
            logger.exception("tick could not plan job", extra={"job_id": job.id})
            return
        items = sum(pending.items for pending, _ in self.pending)
        if self.pending and (len(self.pending) == CLAIMS_TOGETHER or items + claim.items > MAX_ITEMS):
            self.claim()
        self.pending.append((claim, plan))

    def _calendars(self, job: Job) -> dict[str, Calendar]:
        names = job.schedule.calendars if job.schedule else []
        unread = [name for name in names if name not in self.calendars]
        if unread:
            found = store.get_calendars(unread)
            self.calendars.update({name: found.get(name) for name in unread})
        return {name: calendar for name in names if (calendar := self.calendars[name]) is not None}

    def claim(self) -> None:
        claims = [claim for claim, _ in self.pending]
        together = self.queue.claim(claims) if len(claims) > 1 else False
        for claim, plan in self.pending:
            try:
                if together is True or self.queue.claim_alone(claim, unsure=together is None):
                    self._claimed(claim, plan)
                else:
                    self.report.lost_races += 1
            except Exception:
                self.report.failed += 1
                logger.exception("tick could not fire job", extra={"job_id": claim.job.id})
        self.pending.clear()

    def _claimed(self, claim: store.Claim, plan: misfire.Plan) -> None:
        report = self.report
        report.claimed += 1
        report.skipped_slots += plan.skipped
        past = [(self.now - slot).total_seconds() for slot in plan.run if slot <= self.now]
        report.late_seconds = max([report.late_seconds, *past])
        if plan.skipped:
            logger.info("missed slots skipped", extra={"job_id": claim.job.id, "skipped": plan.skipped})


def scheduled_task(job: Job, slot: datetime, now: datetime, to: datetime | None = None) -> Task:
    """The task of a slot: its id is the slot's, and it starts after the slot's jitter, or at `to`
    (a slot moved there). `detail.slot` keeps the slot when the start differs from it."""
    assert job.schedule is not None
    start = to or slot + firing.jitter(job.id, slot, job.schedule.jitter_seconds)
    detail: dict[str, str] = {"expression": job.schedule.expression}
    if start != slot:
        detail["slot"] = slot.isoformat()
    return Task(
        job_id=job.id,
        id=slot_task_id(job.id, slot),
        status=TaskStatus.QUEUED,
        trigger=TriggerInfo(TriggerType.SCHEDULE, detail=detail),
        created_at=now,
        scheduled_for=start,
    )
