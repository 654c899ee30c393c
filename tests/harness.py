"""What the fault and overlap tests share: actions that write every run they make into a ledger,
RunQueue polled the way Lambda's event source mapping polls it, moto's SQS made safe for the
threads those tests start, and the fault tests' jobs that catch up on missed slots."""

from __future__ import annotations

import functools
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from unittest import mock

import boto3
import pytest
from moto.sqs.responses import SQSResponse

from jobdeck import store
from jobdeck.actions import registry
from jobdeck.actions.registry import ActionContext, ActionError, Node, action
from jobdeck.domain import ActionStep, Job, Misfire, Task, TaskStatus
from jobdeck.runner import run_message
from tests.support import RunQueue, at, make_job

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageTypeDef

SEED = 20261125  # the fault tests' random choices, the same at every run
T0 = at("2026-11-25T10:00:00Z")  # the fault tests' "now"
WAIT_SECONDS = 30.0  # the longest any test waits for a thread: a bug fails the test, it does not hang it


@dataclass(frozen=True)
class Run:
    """One execution of one step of a task, as the test action saw it."""

    job_id: str
    task_id: str
    attempt: int
    step: int
    started: int  # the ledger's clock: a counter every start and end moves on
    ended: int | None = None
    outcome: str = "done"


@dataclass
class Ledger:
    """Every run the test actions make, in the order they began and ended, and how many runs of
    each job were RUNNING (by their task items) whenever one began."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    runs: list[Run] = field(default_factory=list)
    clock: int = 0
    running_seen: dict[str, list[int]] = field(default_factory=dict)  # job id -> RUNNING counts seen
    counter_seen: dict[str, list[int]] = field(default_factory=dict)  # job id -> the job's `running`
    arrived: set[str] = field(default_factory=set)  # tasks whose first delivery reached a decision
    gate: threading.Event = field(default_factory=threading.Event)  # `faults.hold` waits for it

    def begin(self, ctx: ActionContext, step: int = 0) -> int:
        with self.lock:
            self.clock += 1
            self.runs.append(Run(ctx.job.id, ctx.task.id, ctx.task.attempt, step, self.clock))
            return len(self.runs) - 1

    def end(self, index: int, outcome: str = "done") -> None:
        with self.lock:
            self.clock += 1
            run = self.runs[index]
            self.runs[index] = Run(run.job_id, run.task_id, run.attempt, run.step, run.started, self.clock, outcome)

    def arrive(self, task_id: str) -> None:
        with self.lock:
            self.arrived.add(task_id)

    def has_arrived(self, *task_ids: str) -> bool:
        with self.lock:
            return set(task_ids) <= self.arrived

    def observe_seats(self, job_id: str) -> None:
        """The job's RUNNING tasks (read from the active-task index) and its `running` counter."""
        running = sum(1 for task in store.active_tasks(job_id) if task.status is TaskStatus.RUNNING)
        job = store.get_job(job_id)
        with self.lock:
            self.running_seen.setdefault(job_id, []).append(running)
            self.counter_seen.setdefault(job_id, []).append(job.running if job else -1)

    def executions(self) -> Counter[tuple[str, int, int]]:
        """How many times each (task, attempt, step) ran."""
        with self.lock:
            return Counter((r.task_id, r.attempt, r.step) for r in self.runs)

    def starts(self, job_id: str) -> list[str]:
        """Task ids of the job's runs, in the order they began."""
        with self.lock:
            return [r.task_id for r in sorted(self.runs, key=lambda r: r.started) if r.job_id == job_id]

    def of(self, job_id: str) -> list[Run]:
        with self.lock:
            return [r for r in self.runs if r.job_id == job_id]

    def max_at_once(self, job_id: str) -> int:
        """The most runs of the job that were between their start and their end at the same moment."""
        events: list[tuple[int, int]] = []
        for run in self.of(job_id):
            events.append((run.started, 1))
            events.append((run.ended if run.ended is not None else 10**9, -1))
        peak = now = 0
        for _, delta in sorted(events):
            now += delta
            peak = max(peak, now)
        return peak


LEDGER = Ledger()
ACTIONS = ("faults.count", "faults.flaky", "faults.hold")


def _count(ctx: ActionContext, params: dict[str, Any], nodes: list[Node]) -> list[Node]:
    index = LEDGER.begin(ctx, params["step"])
    LEDGER.end(index)
    return nodes


def _flaky(ctx: ActionContext, params: dict[str, Any], nodes: list[Node]) -> list[Node]:
    index = LEDGER.begin(ctx)
    if ctx.task.attempt < params["succeed_at"]:
        LEDGER.end(index, "failed")
        raise ActionError("the service is busy (test)", retryable=True)
    LEDGER.end(index)
    return nodes


def _hold(ctx: ActionContext, params: dict[str, Any], nodes: list[Node]) -> list[Node]:
    """Runs until the test opens the gate, then checks whether it was asked to stop."""
    index = LEDGER.begin(ctx)
    outcome = "stopped"
    try:
        LEDGER.observe_seats(ctx.job.id)
        LEDGER.arrive(ctx.task.id)
        if not LEDGER.gate.wait(WAIT_SECONDS):
            raise AssertionError("the test never opened the gate")
        ctx.report_progress(0.5)  # saves progress, and reads back whether someone asked it to stop
        ctx.checkpoint()
        outcome = "done"
    finally:
        LEDGER.end(index, outcome)
    return nodes


@contextmanager
def registered_actions() -> Iterator[Ledger]:
    """Register the test actions (and a fresh ledger) for one test; the catalog is as it was after."""
    global LEDGER
    LEDGER = Ledger()
    action("faults.count", "Test: note the run.", {"properties": {"step": {"type": "integer", "default": 0}}})(_count)
    action(
        "faults.flaky",
        "Test: fail (retryable) until the given attempt.",
        {"properties": {"succeed_at": {"type": "integer", "default": 2}}},
    )(_flaky)
    action("faults.hold", "Test: hold the run until the test lets go.", {"properties": {}})(_hold)
    try:
        yield LEDGER
    finally:
        LEDGER.gate.set()  # no thread stays blocked after a failed test
        for name in ACTIONS:
            registry._CATALOG.pop(name, None)


_sqs_lock = threading.RLock()


@contextmanager
def serialized_sqs() -> Iterator[None]:
    """moto's SQS, one request at a time, while the block lasts.

    moto's DeleteMessage rebuilds the queue's message list without holding the lock its
    SendMessage appends under: a message sent by one thread while another deletes is lost. SQS
    itself loses nothing, so tests that send and delete from several threads serialize moto."""
    original = SQSResponse.call_action

    @functools.wraps(original)
    def call_action(handler: SQSResponse) -> Any:
        with _sqs_lock:
            return original(handler)

    # patch.object, not an assignment to the class: mypy takes no function for a method (it wanted
    # an ignore of two codes), and on leaving, the inherited method is SQSResponse's again.
    with mock.patch.object(SQSResponse, "call_action", call_action):
        yield


@dataclass
class Delivery:
    message: MessageTypeDef
    error: BaseException | None = None


class Poller:
    """RunQueue read as Lambda's event source mapping reads it: receive, run each record, delete
    what went through; a record that raised stays in flight and comes back after its visibility
    timeout, with its receive count one higher (after 5 receives, SQS moves it to the DLQ)."""

    def __init__(self, queue_url: str, dead_letter_url: str | None = None) -> None:
        self.url, self.dead_letter_url = queue_url, dead_letter_url
        self.sqs = boto3.client("sqs")
        self._queue = RunQueue(queue_url)
        self.failures: list[Delivery] = []
        self.delivered = 0

    def receive(self, visibility: int = 60) -> list[MessageTypeDef]:
        """Every message visible now, made invisible for `visibility` seconds."""
        out: list[MessageTypeDef] = []
        while batch := self.sqs.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=10, VisibilityTimeout=visibility, AttributeNames=["All"]
        ).get("Messages", []):
            out.extend(batch)
        return out

    def take(self) -> list[MessageTypeDef]:
        """Every message visible now, each batch deleted as soon as received (moto looks through
        every message a queue holds, in flight or not, at each request: the queue stays short)."""
        return self._queue.receive()

    def deliver(self, message: MessageTypeDef, *, again_at_once: bool = False) -> bool:
        """Run one record; True when it went through (and was deleted). `again_at_once`: a failed
        record is visible again at once (a short visibility timeout), not after the receive's."""
        attributes = message.get("Attributes", {})
        sent = datetime.fromtimestamp(int(attributes.get("SentTimestamp", time.time() * 1000)) / 1000, UTC)
        try:
            run_message(
                message["Body"],
                message["MessageId"],
                sent,
                receive_count=int(attributes.get("ApproximateReceiveCount", 1)),
            )
        except Exception as exc:
            self.failures.append(Delivery(message, exc))
            if again_at_once:
                self.sqs.change_message_visibility(
                    QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            return False
        finally:
            self.delivered += 1
        self.delete(message)
        return True

    def delete(self, message: MessageTypeDef) -> None:
        self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])

    def drain(self, rounds: int = 100, threads: int = 1) -> int:
        """Deliver what is visible until nothing is (failed records come back at once). With
        `threads`, each batch received is run by that many threads at the same time."""
        total = 0
        for _ in range(rounds):
            messages = self.receive()
            if not messages:
                return total
            total += len(messages)
            if threads == 1:
                for message in messages:
                    self.deliver(message, again_at_once=True)
            else:
                in_parallel(lambda m: self.deliver(m, again_at_once=True), messages, threads)
        raise AssertionError(f"RunQueue still had messages after {rounds} rounds")

    def dead_letters(self) -> int:
        if self.dead_letter_url is None:
            return 0
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.dead_letter_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def in_parallel(work: Any, items: list[Any], threads: int, timeout: float = 900.0) -> None:
    """Run `work(item)` for every item on `threads` threads; re-raise the first error of any. The
    timeout only keeps a bug from hanging the suite."""
    pending = list(reversed(items))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker() -> None:
        while True:
            with lock:
                if not pending or errors:
                    return
                item = pending.pop()
            try:
                work(item)
            except BaseException as exc:
                with lock:
                    errors.append(exc)
                return

    workers = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in workers:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in workers:
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            raise AssertionError(f"the workers did not finish within {timeout:g} s")
    if errors:
        raise errors[0]


@pytest.fixture
def ledger(aws) -> Iterator[Ledger]:
    with registered_actions() as ledger:
        yield ledger


def catching_up(job_id: str, slots: int, start: datetime, steps: list[ActionStep], **fields: Any) -> Job:
    """A job whose `slots` minutes from `start` are all in the past: the tick catches them up."""
    return make_job(
        job_id,
        f"R{slots}/{start.isoformat()}/PT1M",
        actions=steps,
        schedule_fields={"misfire": Misfire.CATCH_UP, "catch_up_seconds": 86_400},
        **fields,
    )


def all_tasks(job_id: str) -> list[Task]:
    return store.list_tasks(job_id, limit=10_000)


def seats_settled(*job_ids: str) -> None:
    for job_id in job_ids:
        job = store.get_job(job_id)
        assert job is not None, f"no job {job_id}"
        assert (job.id, job.running, job.waiting) == (job_id, 0, []), "the job's seats drifted"
