"""The tick: once a minute, claim the slots that are due and hand their tasks to RunQueue."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from aws_lambda_powertools import Logger

from jobdeck import misfire, run_queue, store, telemetry
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
    """Some jobs could not be claimed or sent; the others were. Raised so that the invocation
    fails and EventBridge retries it (claimed slots are not claimed twice)."""


def tick(now: datetime | None = None, settings: Settings | None = None) -> TickReport:
    run = _Tick(now or datetime.now(UTC), settings or Settings.from_env())
    try:
        for job in store.due_jobs(run.now + LOOKAHEAD):
            run.add(job)
    finally:  # what was claimed before a failure is still sent
        run.flush()
    report, now = run.report, run.now
    stale = store.stale_queued(due_between=(now - REDELIVER_AFTER - LOOKAHEAD, now - REDELIVER_AFTER))
    if stale:
        run_queue.resend(stale, run.settings)
        report.redelivered = len(stale)
        logger.warning("redelivered queued tasks", extra={"tasks": [task_id for _, task_id in stale]})
    logger.info("tick", extra=report.as_dict())
    telemetry.tick(report.queued, report.skipped_slots, report.redelivered, report.late_seconds)
    if report.failed:
        raise TickFailed(f"{report.failed} failures over {report.due} due jobs; see the log")
    return report


class _Tick:
    """One tick's claims and sends. Due jobs are claimed together, up to CLAIMS_TOGETHER to a
    transaction rather than one each (a tick over the thousands of jobs due at a popular minute
    makes a twenty-fifth of the requests), and their tasks go out ten to a SendMessageBatch."""

    def __init__(self, now: datetime, settings: Settings) -> None:
        self.now, self.settings, self.began = now, settings, clock()
        self.report = TickReport()
        self.pending: list[tuple[store.Claim, misfire.Plan]] = []
        self.outbox: list[Task] = []

    def add(self, job: Job) -> None:
        self.report.due += 1
        try:
            plan = misfire.plan(job, self.now, self.now + LOOKAHEAD)
            claim = store.Claim(job, [scheduled_task(job, slot, self.now) for slot in plan.run], plan.next_fire_at)
        except Exception:
            self.report.failed += 1
            logger.exception("tick could not plan job", extra={"job_id": job.id})
            return
        items = sum(pending.items for pending, _ in self.pending)
        if self.pending and (len(self.pending) == CLAIMS_TOGETHER or items + claim.items > MAX_ITEMS):
            self.claim()
        self.pending.append((claim, plan))

    def flush(self) -> None:
        self.claim()
        self.send()

    def claim(self) -> None:
        claims = [claim for claim, _ in self.pending]
        together = _together(claims) if len(claims) > 1 else False
        for claim, plan in self.pending:
            try:
                if together is True or self._claim_alone(claim, unsure=together is None):
                    self._claimed(claim, plan)
                else:
                    self.report.lost_races += 1
            except Exception:
                self.report.failed += 1
                logger.exception("tick could not fire job", extra={"job_id": claim.job.id})
        self.pending.clear()
        if len(self.outbox) >= run_queue.BATCH:
            self.send(whole_tens_only=True)  # the rest goes with the next claims, or at the end

    def _claim_alone(self, claim: store.Claim, *, unsure: bool) -> bool:
        """One job's claim (after its group was refused, or alone in the tick). When an answer was
        lost, the group's (`unsure`) or this one's, its tasks may be written nonetheless: if they
        are there, they are sent (a duplicate message is harmless, a task starts once)."""
        try:
            if store.claim_slots(claim.job, claim.tasks, claim.next_fire_at):
                return True
        except Exception:
            logger.warning("could not claim job", extra={"job_id": claim.job.id}, exc_info=True)
            if claim.tasks and _written(claim):
                return True
            raise
        return unsure and bool(claim.tasks) and _written(claim)

    def send(self, *, whole_tens_only: bool = False) -> None:
        """Ten to a request, each delayed from when it is sent: `now` moved on by the time this tick
        has taken, or the last jobs of a long tick would start as long after their slot. A request
        refused leaves its own tasks, claimed and not sent, to the stale-task redelivery."""
        end = len(self.outbox) - len(self.outbox) % run_queue.BATCH if whole_tens_only else len(self.outbox)
        for start in range(0, end, run_queue.BATCH):
            part = self.outbox[start : min(end, start + run_queue.BATCH)]
            try:
                run_queue.send(part, self.now + timedelta(seconds=clock() - self.began), self.settings)
                self.report.queued += len(part)
            except Exception:
                self.report.failed += 1
                logger.exception("tick could not send tasks", extra={"tasks": [t.id for t in part]})
        del self.outbox[:end]

    def _claimed(self, claim: store.Claim, plan: misfire.Plan) -> None:
        report = self.report
        report.claimed += 1
        report.skipped_slots += plan.skipped
        past = [(self.now - slot).total_seconds() for slot in plan.run if slot <= self.now]
        report.late_seconds = max([report.late_seconds, *past])
        if plan.skipped:
            logger.info("missed slots skipped", extra={"job_id": claim.job.id, "skipped": plan.skipped})
        self.outbox.extend(claim.tasks)


def _together(claims: list[store.Claim]) -> bool | None:
    """True: claimed, all of them; False: refused, none of them; None: not known (an error after
    the request went out, its answer lost), so each job is tried on its own and looked at."""
    try:
        return store.claim_together(claims)
    except Exception:
        logger.warning("could not claim jobs together", exc_info=True)
        return None


def _written(claim: store.Claim) -> bool:
    return store.existing_tasks(claim.job.id, [task.id for task in claim.tasks]) == {task.id for task in claim.tasks}


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
