"""Issue 8's guarantees under faults: duplicates and racing ticks, runners killed mid-run (throttled
DynamoDB: tests/test_throttling.py). Everything runs against moto; faults are injected around it,
never in place of it:

- Duplicates: RunQueue's messages are delivered three times each, on three runner threads, after
  two ticks claimed the slots concurrently (forced to read the same due jobs before either claims).
  moto is made serializable for the threads (`serialize_dynamodb`; SQS one request at a time):
  DynamoDB is serializable too, so any interleaving the threads take is one DynamoDB could take.
- Kills: a `Killed` (a BaseException, so no `except Exception` in the runner can swallow it) is
  raised at a random call of a store function (or a send to RunQueue) the runner makes, before or
  after the real call, as a process that dies there would; then the message comes back after its
  visibility timeout, or never (it was lost, or dead-lettered). The tick and the reaper then run
  minute by minute (time_machine) until nothing is left to do.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
import time_machine

from jobdeck import execution, jobs, store, tasks
from jobdeck import run_queue as queue_messages  # the `run_queue` fixture is the queue itself
from jobdeck.domain import ActionStep, Job, Overlap, RetryPolicy, Task, TaskStatus
from jobdeck.runner import run_message
from jobdeck.tick import tick
from jobdeck_local.moto_quirks import serialize_dynamodb
from tests.harness import (
    SEED,
    T0,
    WAIT_SECONDS,
    Poller,
    all_tasks,
    catching_up,
    in_parallel,
    seats_settled,
    serialized_sqs,
)
from tests.support import make_job

if TYPE_CHECKING:
    from mypy_boto3_sqs.literals import QueueAttributeNameType

# ---------------------------------------------------------------------------------------- duplicates

JOBS, SLOTS = 10, 100


def test_a_thousand_slots_delivered_three_times_with_two_ticks_racing_run_once_each(ledger, run_queue, monkeypatch):
    serialize_dynamodb()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start = now - timedelta(hours=3)
    job_ids = [f"busy-{n}" for n in range(JOBS)]
    for job_id in job_ids:
        jobs.create(catching_up(job_id, SLOTS, start, [ActionStep("faults.count")]), now=start)
    store.get_task(job_ids[0], "none")  # PynamoDB makes each model's client on first use: once, not per thread

    # Both ticks read the due jobs before either claims (the race), then claim at the same time.
    real_due_jobs = store.due_jobs
    both_read = threading.Barrier(2)

    def due_jobs(until: datetime) -> list[Job]:
        found = real_due_jobs(until)
        both_read.wait(WAIT_SECONDS)
        return found

    monkeypatch.setattr(store, "due_jobs", due_jobs)
    poller = Poller(run_queue.url)
    sent: list[dict[str, Any]] = []
    reports = []
    with serialized_sqs():
        while True:  # 50 slots per job per tick: two rounds of two ticks, and one that finds nothing
            ticking = [threading.Thread(target=lambda: reports.append(tick()), daemon=True) for _ in range(2)]
            for thread in ticking:
                thread.start()
            while any(thread.is_alive() for thread in ticking):  # RunQueue is read while the ticks send
                sent += poller.take()
                ticking[0].join(0.01)
            for thread in ticking:
                thread.join(WAIT_SECONDS)
            sent += poller.take()
            round_ = reports[-2:]
            assert len(round_) == 2, "a tick raised"
            if all(r.due == 0 for r in round_):
                break
            assert sum(r.claimed for r in round_) == JOBS and sum(r.lost_races for r in round_) == JOBS
            assert all(r.failed == 0 for r in round_)
        assert len(reports) == 6

        bodies = [m["Body"] for m in sent]
        assert len(bodies) == len(set(bodies)) == JOBS * SLOTS  # the losing tick sent nothing
        deliveries = [(body, n) for body in bodies for n in (1, 2, 3)]
        random.Random(SEED).shuffle(deliveries)
        redelivered: list[tuple[str, int]] = []

        def deliver(delivery: tuple[str, int]) -> None:
            body, receive_count = delivery
            try:
                run_message(body, receive_count=receive_count)
            except Exception:  # SQS would deliver it again; none is expected
                redelivered.append(delivery)
                run_message(body, receive_count=receive_count + 3)

        in_parallel(deliver, deliveries, threads=3)

    assert redelivered == []
    executions = ledger.executions()
    assert len(executions) == JOBS * SLOTS and set(executions.values()) == {1}  # each ran once
    ran = {task_id for task_id, _, _ in executions}
    stored = [task for job_id in job_ids for task in all_tasks(job_id)]
    assert len(stored) == JOBS * SLOTS and {task.id for task in stored} == ran  # exactly 1,000 tasks
    assert {task.status for task in stored} == {TaskStatus.FINISHED}
    expected_slots = {start + timedelta(minutes=m) for m in range(SLOTS)}
    for job_id in job_ids:
        assert {task.scheduled_for for task in all_tasks(job_id)} == expected_slots
        job = store.get_job(job_id)
        assert (job.runs_fired, job.next_fire_at) == (SLOTS, None)
    seats_settled(*job_ids)


# ---------------------------------------------------------------------------------------- kills


class Killed(BaseException):
    """The runner's process died here: Lambda's timeout, out of memory, the host recycled."""


KILL_POINTS = (
    "get_task_and_job",  # a run's one read
    "get_task",
    "get_job",
    "start_task",
    "finish_task",
    "requeue_task",
    "end_queued",
    "park",
    "rearm",
    "leave_line",
    "requests",
    "save_progress",
)


class Killer:
    """Counts the runner's calls of the store (and its sends to RunQueue) while armed, and kills the
    runner at the chosen one: before it reaches DynamoDB, or after DynamoDB answered."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.counting = False
        self.target: tuple[int, str] | None = None
        self.calls: list[str] = []
        self.fired: tuple[str, str] | None = None
        for name in KILL_POINTS:
            monkeypatch.setattr(store, name, self._wrap(name, getattr(store, name)))
        for name in ("send",):
            monkeypatch.setattr(queue_messages, name, self._wrap(f"run_queue.{name}", getattr(queue_messages, name)))

    def _wrap(self, name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if not self.counting:
                return real(*args, **kwargs)
            self.calls.append(name)
            here = len(self.calls)
            if self.target == (here, "before"):
                self._die(name, "before")
            result = real(*args, **kwargs)
            if self.target == (here, "after"):
                self._die(name, "after")
            return result

        return call

    def _die(self, name: str, when: str) -> None:
        self.fired, self.target = (name, when), None
        raise Killed(f"killed {when} {name}")

    def arm(self, at: int | None = None, when: str = "before") -> None:
        self.counting, self.calls, self.fired = True, [], None
        self.target = (at, when) if at is not None else None

    def disarm(self) -> None:
        self.counting, self.target = False, None


KINDS: dict[str, dict[str, Any]] = {
    "plain": {"actions": [ActionStep("faults.count")]},
    "chain": {"actions": [ActionStep("faults.count", {"step": n}) for n in range(3)]},
    "flaky": {
        "actions": [ActionStep("faults.flaky", {"succeed_at": 2})],
        "retry": RetryPolicy(max_attempts=3, backoff_seconds=1, max_backoff_seconds=1),
    },
    "serial": {"actions": [ActionStep("faults.count")], "overlap": Overlap.BUFFER_ALL},
}
TRIALS = 100
REAP_GRACE = 60  # the reaper's grace_seconds: a task is stuck 60 s (its timeout) + 60 s after it started


def test_runner_killed_at_random_points_leaves_nothing_running_nothing_lost(ledger, run_queue, aws, monkeypatch):
    monkeypatch.setattr(execution, "PROGRESS_EVERY_SECONDS", 0.0)  # progress saves are kill points too
    rng = random.Random(SEED)
    poller = Poller(run_queue.url, aws.queues["RunDeadLetterQueue"])
    with time_machine.travel(T0 - timedelta(minutes=1), tick=False):
        for kind, fields in KINDS.items():
            jobs.create(make_job(f"kill-{kind}", None, timeout_seconds=60, **fields))
        reap = [ActionStep("tasks.reap", {"grace_seconds": REAP_GRACE})]
        jobs.create(make_job("reaper", "*/5 * * * *", actions=reap))
    killer = Killer(monkeypatch)
    population: dict[str, str] = {}  # task id -> kind
    fired: Counter[tuple[str, str]] = Counter()

    def trigger(kind: str) -> dict[str, Any]:
        """Run Now; the runs' other messages (wake-ups) are delivered as they come, unharmed."""
        task = tasks.run_now(f"kill-{kind}")
        population[task.id] = kind
        mine = None
        for message in poller.receive(visibility=120):
            if json.loads(message["Body"])["task_id"] == task.id:
                mine = message
            else:
                poller.deliver(message)
        assert mine is not None
        return mine

    with time_machine.travel(T0, tick=False) as clock:
        calls: dict[str, int] = {}
        for kind in KINDS:  # one clean run of each kind: how many calls a delivery makes
            message = trigger(kind)
            killer.arm()
            poller.deliver(message)
            killer.disarm()
            calls[kind] = len(killer.calls)
        for trial in range(TRIALS):
            kind = list(KINDS)[trial % len(KINDS)]
            message = trigger(kind)
            killer.arm(rng.randint(1, calls[kind]), rng.choice(["before", "after"]))
            try:
                poller.deliver(message)
            except Killed:
                assert killer.fired is not None
                fired[killer.fired] += 1
                if rng.random() < 0.5:
                    poller.delete(message)  # never delivered again (lost, or dead-lettered)
                # else: it stays in flight, and SQS delivers it again after its visibility timeout
            finally:
                killer.disarm()

        # Minute by minute: the tick (stale QUEUED tasks are sent again), the reaper (*/5), the runner.
        for _ in range(45):
            clock.shift(timedelta(minutes=1))
            tick()
            poller.drain()
            left = [t for t in _population_tasks(population) if t.status.active]
            if not left and _queue_empty(poller):
                break

    assert sum(fired.values()) >= TRIALS * 0.9, fired  # nearly every trial killed its runner
    essential = {
        ("start_task", "after"),
        ("finish_task", "before"),
        ("finish_task", "after"),
        ("get_task_and_job", "before"),
    }
    assert essential <= set(fired), fired
    assert poller.failures == [] and poller.dead_letters() == 0

    ended = _population_tasks(population)
    assert len(ended) == TRIALS + len(KINDS)  # every trigger has its task
    executions = ledger.executions()
    assert max(executions.values()) == 1  # no step of an attempt ran twice
    for task in ended:
        assert task.status in (TaskStatus.FINISHED, TaskStatus.ERROR, TaskStatus.INTERRUPTED), (task.id, task.status)
        assert task.ended_at is not None
        if task.status is not TaskStatus.FINISHED:
            assert task.message, f"{task.id} ended {task.status} without a reason"
        else:
            steps = len(KINDS[population[task.id]]["actions"])
            assert all(executions[(task.id, task.attempt, step)] == 1 for step in range(steps)), task.id
    outcomes = Counter(
        (t.status.value, (t.message or "").split(":")[0]) for t in ended if t.status is not TaskStatus.FINISHED
    )
    assert set(outcomes) <= {("ERROR", "Task stuck")}, outcomes  # the only way a killed run ends otherwise
    seats_settled(*(f"kill-{kind}" for kind in KINDS), "reaper")


def _population_tasks(population: dict[str, str]) -> list[Task]:
    found = [store.get_task(f"kill-{kind}", task_id) for task_id, kind in population.items()]
    return [task for task in found if task is not None]


def _queue_empty(poller: Poller) -> bool:
    attributes = poller.sqs.get_queue_attributes(QueueUrl=poller.url, AttributeNames=["All"])["Attributes"]
    counts: tuple[QueueAttributeNameType, ...] = (
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    )
    return sum(int(attributes[name]) for name in counts) == 0
