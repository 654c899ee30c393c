"""The run lifecycle's way into RunQueue: every task that becomes QUEUED, and every message sent.

Each status change of a task is one store transition (docs/run-lifecycle.md lists them, with who
calls each and whether a message follows). Those that leave a task QUEUED are `Enqueue`'s verbs:
it stores the tasks, with the audit entry of whoever asked in the same transaction, then sends
their messages. A message sent again for a task already QUEUED (a lost one, a wake-up, an early
one) goes through `redeliver` or `postpone`. Nothing else sends to RunQueue.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType

from aws_lambda_powertools import Logger

from jobdeck import run_queue, store
from jobdeck.config import Settings
from jobdeck.domain import AuditEntry, Job, Task
from jobdeck.run_queue import Message

logger = Logger()

sleep = time.sleep  # an aligned block's wait for its moment to send; tests replace it
# SQS delays by whole seconds, so a message sent at a random instant comes up to a second before its
# slot, and the runner waited that out in Lambda: half a second at 1 GB a run, most of what a run
# cost. An aligned block (the tick's) sends when its slots are a whole number of seconds away, less
# ALIGN_EARLY: the message comes on its slot's second (its send's own latency after it), and the
# runner starts it without waiting. The wait moves to the tick, once a tick for all it sends.
# 1 (a second, SQS's unit) keeps the head start: the tick sends at once, as before issue 23. The
# start-lag target (p99 <= 1 s, bench/start_lag.py) holds only so on a laptop's one moto, which takes a
# due minute's burst one run at a time; 0 halves the cost of a run (docs/performance.md, "Start lag").
ALIGN_EARLY = 1.0  # seconds before the slot an aligned message may come: what its runner would wait
# The instant a block aligned to serves its next sends too, each counted from it: a burst of sends
# after it comes up to this late, rather than a second early (a start lag, not a wait in Lambda).
ALIGN_SPAN = 0.25
# At most this many seconds of one block go to waiting for the moment (about one a send burst): a
# tick with more to send than that sends the rest at once, its runners waiting as before.
ALIGN_BUDGET = 5.0


class Enqueue:
    """Tasks on their way into RunQueue, as a `with` block (`enqueue(now)`). Each verb is one store
    transition that leaves tasks QUEUED; what it stored is sent ten to a request, delayed to each
    task's due time, as soon as ten wait, and the rest when the block ends, even when it ends with
    an error: what was stored is never left unsent for that. A task due further ahead than SQS can
    delay is held instead, and the tick sends it when it comes due (`send_held`).

    A refused send leaves its tasks QUEUED: the tick sends a QUEUED task again five minutes after it
    was due. `strict` blocks raise SendError then (the caller learns it); the tick's count them."""

    def __init__(
        self, now: datetime, settings: Settings | None, *, strict: bool, clock: Callable[[], float], align: bool
    ) -> None:
        self.now, self.settings, self.strict, self.clock = now, settings or Settings.from_env(), strict, clock
        self.began = clock()
        self.align = align
        self.anchor: datetime | None = None  # the instant the last aligned sends were counted from
        self.slept = 0.0  # seconds this block waited to align
        self.outbox: list[Message] = []
        self.sent = 0
        self.refused: list[str] = []  # ids of the tasks whose send was refused
        self.refused_requests = 0

    def __enter__(self) -> Enqueue:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.send()
        if self.refused and self.strict and exc is None:
            raise run_queue.SendError(f"RunQueue refused tasks {self.refused}; the tick sends them again")

    def add(self, job: Job, tasks: Sequence[Task], audit: AuditEntry | None = None) -> list[Task]:
        """New tasks of a job (Run Now, a hook, an event, a backfill); those created, which a second
        delivery of the same cause does not create again."""
        created = store.add_tasks(job, tasks, audit)
        self._queue([Message.of(task) for task in created])
        return created

    def add_job(self, job: Job, task: Task, audit: AuditEntry) -> None:
        """A new job with its first task, in one transaction (a user job)."""
        store.create_job(job, audit, task)
        self._queue([Message.of(task)])

    def move(self, job: Job, slot: datetime, task: Task, audit: AuditEntry) -> None:
        """One upcoming slot's task, made now for the time it was moved to; held (the tick sends
        it when it comes due) when that is further ahead than SQS can delay."""
        store.move_slot(job, slot, task, audit)
        if run_queue.within_reach(task.scheduled_for, self.now) or not store.hold(task):
            self._queue([Message.of(task)])

    def claim(self, claims: Sequence[store.Claim]) -> bool | None:
        """The tick's claims of due slots in one transaction, all or none: True when claimed (their
        tasks go out), False when refused (one lost its race: nothing was written), None when not
        known (the answer was lost): then each is claimed alone, `unsure`."""
        try:
            claimed = store.claim_together(claims)
        except Exception:
            logger.warning("could not claim jobs together", exc_info=True)
            return None
        if claimed:
            self._queue_or_hold([task for claim in claims for task in claim.tasks])
        return claimed

    def claim_alone(self, claim: store.Claim, *, unsure: bool) -> bool:
        """One job's claim. When an answer was lost, the group's (`unsure`) or this one's, its tasks
        may be written nonetheless: if they are there, they are sent (a duplicate message is
        harmless, a task starts once); False when another tick claimed the slots first."""
        try:
            claimed = store.claim_slots(claim.job, claim.tasks, claim.next_fire_at, claim.passed)
        except Exception:
            logger.warning("could not claim job", extra={"job_id": claim.job.id}, exc_info=True)
            if not (claim.tasks and _written(claim)):
                raise
            claimed = True
        claimed = claimed or (unsure and bool(claim.tasks) and _written(claim))
        if claimed:
            self._queue_or_hold(claim.tasks)
        return claimed

    def requeue(
        self, task: Task, not_before: datetime, *, next_attempt: bool, saw: store.Saw | None = None
    ) -> store.Freed:
        """A RUNNING task QUEUED again, its seat given back: for its next attempt after its backoff,
        or to continue in a new invocation (a hand-over). Held when the backoff outlasts SQS's delay."""
        held = not run_queue.within_reach(not_before, self.now)
        freed = store.requeue_task(task, not_before, next_attempt=next_attempt, held=held, saw=saw)
        if freed and not held:
            self._queue([Message.of(task)])
        return freed

    def resume(self, task: Task, audit: AuditEntry) -> bool:
        """A PAUSED task QUEUED again, to continue where it paused; False when it was not PAUSED."""
        if not store.resume_task(task, self.now, audit):
            return False
        self._queue([Message.of(task)])
        return True

    def send_held(self, until: datetime) -> int:
        """The held tasks due by `until`, each taken out of the held ones (by one tick only) and sent
        delayed to its due time; how many. One whose send is then lost is sent again like any
        QUEUED task, five minutes after it was due."""
        taken = [Message(*held) for held in store.held_due(until) if store.unhold(held[0], held[1])]
        self._queue(taken)
        return len(taken)

    def _queue_or_hold(self, tasks: Sequence[Task]) -> None:
        """Claimed tasks go out, but one whose jitter puts its start beyond SQS's delay is held for the
        tick to send when it comes due: sent now, it would reach the runner early only to be held."""
        near = [task for task in tasks if run_queue.within_reach(Message.of(task).due, self.now)]
        for task in tasks:
            if task not in near and not store.hold(task):
                near.append(task)  # it moved on meanwhile: its message decides nothing, send it
        self._queue([Message.of(task) for task in near])

    def _queue(self, messages: list[Message]) -> None:
        self.outbox.extend(messages)
        if len(self.outbox) >= run_queue.BATCH:
            self.send(whole_tens_only=True)  # the rest goes with the next ones, or at the end

    def send(self, *, whole_tens_only: bool = False) -> None:
        """Ten to a request, each delayed from when it is sent: `now` moved on by the time the block
        has taken, or the last tasks of a long tick would start as long after their slot (in an
        aligned block, from the instant it waited for: `_sending_at`)."""
        end = len(self.outbox) - len(self.outbox) % run_queue.BATCH if whole_tens_only else len(self.outbox)
        for start in range(0, end, run_queue.BATCH):
            part = self.outbox[start : min(end, start + run_queue.BATCH)]
            try:
                run_queue.send(part, self._sending_at(part), self.settings)
                self.sent += len(part)
            except Exception:
                self.refused += [message.task_id for message in part]
                self.refused_requests += 1
                logger.exception("could not send tasks", extra={"tasks": [m.task_id for m in part]})
        del self.outbox[:end]

    def _sending_at(self, part: Sequence[Message]) -> datetime:
        """The instant this part's delays are counted from: now, or, in an aligned block, the moment
        its first delayed message's slot is a whole number of seconds away (less ALIGN_EARLY),
        waited for when that is still to come, and kept for the sends that follow it closely."""
        now = self.now + timedelta(seconds=self.clock() - self.began)
        ahead = [(m.due - now).total_seconds() for m in part if m.due is not None]
        ahead = [seconds for seconds in ahead if seconds >= 1]  # sooner ones go at once, undelayed
        if not self.align or not ahead or ALIGN_EARLY >= 1:
            return now
        if self.anchor is not None and (now - self.anchor).total_seconds() <= ALIGN_SPAN:
            return self.anchor  # a message sent since comes that much later than the slot, not early
        early = ahead[0] % 1  # how early SQS's whole seconds would bring it, sent now
        wait = early - ALIGN_EARLY
        if wait > 0 and (self.slept + wait > ALIGN_BUDGET or ahead[0] - wait < 1):
            return now  # no time left to align: sent now, its runner waits for the slot
        if wait > 0:
            sleep(wait)
            self.slept += wait
        self.anchor = now + timedelta(seconds=max(0.0, wait))
        return self.anchor


def enqueue(
    now: datetime,
    settings: Settings | None = None,
    *,
    strict: bool = True,
    clock: Callable[[], float] = time.monotonic,
    align: bool = False,
) -> Enqueue:
    """`with enqueue(now) as queue: queue.add(job, [task], audit)`: store, then send (see Enqueue).
    `align`: each delayed message is sent when its slot is a whole number of seconds away, so that
    it comes on its slot's second (the tick's; the API's blocks answer at once instead)."""
    return Enqueue(now, settings, strict=strict, clock=clock, align=align)


def redeliver(refs: Sequence[tuple[str, str]], settings: Settings | None = None) -> None:
    """Send (job id, task id) pairs of QUEUED tasks again, at once: a message that may be lost (the
    tick), or the wake-up of the first task in a job's line (`overlap.release`)."""
    run_queue.send([Message(job_id, task_id) for job_id, task_id in refs], datetime.now(UTC), settings)


def postpone(task: Task, now: datetime, settings: Settings | None = None) -> None:
    """A QUEUED task's message came before its due time: sent again for the rest of its wait, or,
    further ahead than SQS can delay, held for the tick to send when it comes due."""
    message = Message.of(task)
    if run_queue.within_reach(message.due, now):
        run_queue.send([message], now, settings)
    elif not store.hold(task):
        logger.info("task moved on before it could be held", extra={"task_id": task.id})


def _written(claim: store.Claim) -> bool:
    return store.existing_tasks(claim.job.id, [task.id for task in claim.tasks]) == {task.id for task in claim.tasks}
