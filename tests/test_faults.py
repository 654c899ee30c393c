"""Issue 8's guarantees under faults: duplicates and racing ticks, runners killed mid-run,
throttled DynamoDB. Everything runs against moto; faults are injected around it, never in place of
it:

- Duplicates: RunQueue's messages are delivered three times each, on three runner threads, after
  two ticks claimed the slots concurrently (forced to read the same due jobs before either claims).
  moto is made serializable for the threads (`serialize_dynamodb`; SQS one request at a time):
  DynamoDB is serializable too, so any interleaving the threads take is one DynamoDB could take.
- Kills: a `Killed` (a BaseException, so no `except Exception` in the runner can swallow it) is
  raised at a random call of a store function (or a send to RunQueue) the runner makes, before or
  after the real call, as a process that dies there would; then the message comes back after its
  visibility timeout, or never (it was lost, or dead-lettered). The tick and the reaper then run
  minute by minute (time_machine) until nothing is left to do.
- Throttling: a `before-send` handler on the botocore sessions PynamoDB makes answers a seeded
  random 20% of DynamoDB requests with ThrottlingException, in moto's place (the request is not
  applied). botocore retries those itself (PynamoDB: 3 retries, while its retry quota lasts), and
  so does Jobdeck for a refused transaction; 5% of calls are throttled on every attempt, which
  reaches Jobdeck's own recovery: the tick fails and runs again, SQS delivers a record again. A
  transaction cancelled for throttling (TransactionCanceledException, ThrottlingError), which
  botocore never retries, is injected on its own.
"""

from __future__ import annotations

import json
import random
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import botocore.endpoint
import botocore.session
import pynamodb.connection.base
import pytest
import time_machine
from botocore.awsrequest import AWSResponse
from moto.core.botocore_stubber import MockRawResponse

from jobdeck import execution, jobs, store, tasks
from jobdeck import run_queue as queue_messages  # the `run_queue` fixture is the queue itself
from jobdeck.domain import ActionStep, Job, Misfire, Overlap, RetryPolicy, Task, TaskStatus
from jobdeck.runner import run_message
from jobdeck.store import transactions
from jobdeck.tick import tick
from jobdeck_local.moto_quirks import serialize_dynamodb
from tests.harness import WAIT_SECONDS, Ledger, Poller, in_parallel, registered_actions, serialized_sqs
from tests.support import at, make_job

SEED = 20261125
T0 = at("2026-11-25T10:00:00Z")


@pytest.fixture
def ledger(aws) -> Iterator[Ledger]:
    with registered_actions() as ledger:
        yield ledger


def _catching_up(job_id: str, slots: int, start: datetime, steps: list[ActionStep], **fields: Any) -> Job:
    """A job whose `slots` minutes from `start` are all in the past: the tick catches them up."""
    return make_job(
        job_id,
        f"R{slots}/{start.isoformat()}/PT1M",
        actions=steps,
        schedule_fields={"misfire": Misfire.CATCH_UP, "catch_up_seconds": 86_400},
        **fields,
    )


def _all_tasks(job_id: str) -> list[Task]:
    return store.list_tasks(job_id, limit=10_000)


def _seats_settled(*job_ids: str) -> None:
    for job_id in job_ids:
        job = store.get_job(job_id)
        assert (job.id, job.running, job.waiting) == (job_id, 0, []), "the job's seats drifted"


# ---------------------------------------------------------------------------------------- duplicates

JOBS, SLOTS = 10, 100


def test_a_thousand_slots_delivered_three_times_with_two_ticks_racing_run_once_each(ledger, run_queue, monkeypatch):
    serialize_dynamodb()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start = now - timedelta(hours=3)
    job_ids = [f"busy-{n}" for n in range(JOBS)]
    for job_id in job_ids:
        jobs.create(_catching_up(job_id, SLOTS, start, [ActionStep("faults.count")]), now=start)
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
    stored = [task for job_id in job_ids for task in _all_tasks(job_id)]
    assert len(stored) == JOBS * SLOTS and {task.id for task in stored} == ran  # exactly 1,000 tasks
    assert {task.status for task in stored} == {TaskStatus.FINISHED}
    expected_slots = {start + timedelta(minutes=m) for m in range(SLOTS)}
    for job_id in job_ids:
        assert {task.scheduled_for for task in _all_tasks(job_id)} == expected_slots
        job = store.get_job(job_id)
        assert (job.runs_fired, job.next_fire_at) == (SLOTS, None)
    _seats_settled(*job_ids)


# ---------------------------------------------------------------------------------------- kills


class Killed(BaseException):
    """The runner's process died here: Lambda's timeout, out of memory, the host recycled."""


KILL_POINTS = (
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
    essential = {("start_task", "after"), ("finish_task", "before"), ("finish_task", "after"), ("get_task", "before")}
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
    _seats_settled(*(f"kill-{kind}" for kind in KINDS), "reaper")


def _population_tasks(population: dict[str, str]) -> list[Task]:
    found = [store.get_task(f"kill-{kind}", task_id) for task_id, kind in population.items()]
    return [task for task in found if task is not None]


def _queue_empty(poller: Poller) -> bool:
    attributes = poller.sqs.get_queue_attributes(QueueUrl=poller.url, AttributeNames=["All"])["Attributes"]
    counts = (
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    )
    return sum(int(attributes[name]) for name in counts) == 0


# ---------------------------------------------------------------------------------------- throttling


class Throttling:
    """Answers DynamoDB requests with ThrottlingException (HTTP 400) instead of moto: each
    request with probability `rate`, and every attempt of a few calls (`storm`), so that some outlast
    botocore's retries. Seeded: one thread, one sequence of requests, the same faults every run."""

    def __init__(self, seed: int, rate: float = 0.2, storm: float = 0.05) -> None:
        self.rng = random.Random(seed)
        self.rate, self.storm = rate, storm
        self.enabled = False
        self.requests = self.throttled = 0
        self.calls: set[Any] = set()
        self.storms: set[Any] = set()
        self.backoffs: Counter[str] = Counter()  # retries after a throttle: botocore's, Jobdeck's
        self.cancel_transactions = 0  # the next N TransactWriteItems: cancelled, reason ThrottlingError
        self.tokens: list[str | None] = []  # each TransactWriteItems sent: its ClientRequestToken
        self.lock = threading.Lock()

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        if not self.enabled:
            return None
        call = request.headers.get("amz-sdk-invocation-id")  # the same for every retry of one call
        target = request.headers.get("X-Amz-Target", b"")
        with self.lock:
            self.requests += 1
            if target.endswith(b".TransactWriteItems"):
                self.tokens.append(json.loads(request.body).get("ClientRequestToken"))
            if self.cancel_transactions and target.endswith(b".TransactWriteItems"):
                self.cancel_transactions -= 1
                self.throttled += 1
                items = len(json.loads(request.body)["TransactItems"])
                return _refuse(request, "TransactionCanceledException", _cancelled(items))
            if call not in self.calls:
                self.calls.add(call)
                if self.rng.random() < self.storm:
                    self.storms.add(call)
            if call not in self.storms and self.rng.random() >= self.rate:
                return None
            self.throttled += 1
        return _refuse(request, "ThrottlingException", {"message": "Rate of requests exceeds the allowed throughput."})


def _cancelled(items: int) -> dict[str, Any]:
    """How DynamoDB cancels a transaction it throttled: botocore never retries that one."""
    reasons = [{"Code": "ThrottlingError", "Message": "Throughput exceeds the current capacity."}]
    reasons += [{"Code": "None"}] * (items - 1)
    return {
        "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons "
        f"[{', '.join(r['Code'] for r in reasons)}]",
        "CancellationReasons": reasons,
    }


def _refuse(request: Any, code: str, fields: dict[str, Any]) -> AWSResponse:
    # botocore hands the request to every before-send handler, moto's too, and takes the first
    # answer: pointed elsewhere, moto lets it pass, so a refused request writes nothing (as in
    # DynamoDB) instead of being applied with its answer lost.
    request.url = "https://throttled.invalid/"
    body = {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", **fields}
    headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": str(uuid.uuid4())}
    return AWSResponse(request.url, 400, headers, MockRawResponse(json.dumps(body)))


@pytest.fixture
def throttling(aws, monkeypatch) -> Throttling:
    """Installed on every botocore session PynamoDB makes from now on (its connections are made
    afresh), ahead of moto's own handler; botocore's retry waits are not slept."""
    throttler = Throttling(SEED)
    real_get_session = pynamodb.connection.base.get_session

    def get_session() -> botocore.session.Session:
        session = real_get_session()
        session.get_component("event_emitter").register_first("before-send.dynamodb", throttler)
        return session

    monkeypatch.setattr(pynamodb.connection.base, "get_session", get_session)
    # The backoffs are counted, not waited out: botocore's retries, and Jobdeck's own of transactions.
    monkeypatch.setattr(
        botocore.endpoint, "time", SimpleNamespace(sleep=lambda _: throttler.backoffs.update(["botocore"]))
    )
    monkeypatch.setattr(transactions, "time", SimpleNamespace(sleep=lambda _: throttler.backoffs.update(["jobdeck"])))
    store.reset()
    return throttler


def test_every_send_of_a_transaction_carries_its_own_client_request_token(aws, throttling):
    """DynamoDB applies a transaction once per ClientRequestToken: one whose answer was lost and that
    is sent again succeeds rather than failing its own condition. moto ignores the token; checked
    here: the resends of one transaction (after a cancellation for throttling) carry its token, and
    the next transaction another."""
    jobs.create(make_job("tokens", None, actions=[ActionStep("log.message", {"message": "hi"})]))
    throttling.rate = throttling.storm = 0.0
    throttling.cancel_transactions = 2
    throttling.enabled = True
    first = tasks.run_now("tokens")  # cancelled twice, then written
    second = tasks.run_now("tokens")
    throttling.enabled = False

    assert {t.id for t in store.list_tasks("tokens")} == {first.id, second.id}
    assert throttling.backoffs["jobdeck"] == 2
    a, b = throttling.tokens[0], throttling.tokens[-1]
    assert throttling.tokens == [a, a, a, b]
    assert a != b and all(uuid.UUID(token) for token in (a, b))


def test_with_a_fifth_of_dynamodb_requests_throttled_every_run_completes_once(
    ledger, run_queue, aws, throttling, monkeypatch
):
    monkeypatch.setattr(execution, "PROGRESS_EVERY_SECONDS", 0.0)  # progress saves are throttled too
    poller = Poller(run_queue.url, aws.queues["RunDeadLetterQueue"])
    start = T0 - timedelta(hours=2)
    chain = [ActionStep("faults.count", {"step": n}) for n in range(3)]
    plans = {
        **{f"every-{n}": ([ActionStep("faults.count")], {}) for n in range(3)},
        **{f"chain-{n}": (chain, {}) for n in range(3)},
        **{f"serial-{n}": ([ActionStep("faults.count")], {"overlap": Overlap.BUFFER_ALL}) for n in range(2)},
    }
    for job_id, (steps, fields) in plans.items():
        jobs.create(_catching_up(job_id, 10, start, steps, **fields), now=start)
    surfaced = Counter[str]()

    with time_machine.travel(T0, tick=False) as clock:
        throttling.enabled = True
        for _ in range(60):
            for _attempt in range(3):  # EventBridge invokes the tick, and retries it twice
                try:
                    tick()
                    break
                except Exception as exc:
                    surfaced[f"tick: {type(exc).__name__}"] += 1
            while messages := poller.receive(visibility=30):  # a failed record comes back in 30 s
                for message in messages:
                    poller.deliver(message)
            clock.shift(timedelta(minutes=1))
            throttling.enabled = False
            done = all(t.status is TaskStatus.FINISHED for job_id in plans for t in _all_tasks(job_id))
            throttling.enabled = not done
            if done and sum(len(_all_tasks(job_id)) for job_id in plans) == 10 * len(plans):
                break

    throttling.enabled = False
    for failure in poller.failures:
        surfaced[f"runner: {type(failure.error).__name__}"] += 1
    assert throttling.throttled >= 0.2 * throttling.requests, (throttling.throttled, throttling.requests)
    assert throttling.backoffs["botocore"] and throttling.backoffs["jobdeck"], throttling.backoffs
    # And some outlasted both (how many depends on the seed and on how many requests a run makes):
    # the tick ran again, SQS delivered again.
    assert surfaced.total() >= 3, surfaced
    assert poller.dead_letters() == 0
    stored = {job_id: _all_tasks(job_id) for job_id in plans}
    assert {job_id: len(found) for job_id, found in stored.items()} == dict.fromkeys(plans, 10)  # no loss
    statuses = Counter(task.status for found in stored.values() for task in found)
    assert statuses == {TaskStatus.FINISHED: 10 * len(plans)}, [
        (t.id, t.status, t.message) for found in stored.values() for t in found if t.status is not TaskStatus.FINISHED
    ]
    executions = ledger.executions()
    assert set(executions.values()) == {1}  # no duplicate
    for job_id, found in stored.items():
        steps = len(plans[job_id][0])
        for task in found:
            assert [executions[(task.id, 1, step)] for step in range(steps)] == [1] * steps
    _seats_settled(*plans)


def test_a_transaction_cancelled_for_throttling_is_sent_again_and_a_refused_condition_is_not(
    ledger, run_queue, throttling
):
    jobs.create(make_job("cancelled", None, actions=[ActionStep("faults.count")]))
    throttling.enabled = True  # only the cancellations below: no random throttling
    throttling.rate = throttling.storm = 0.0
    throttling.cancel_transactions = 3
    task = tasks.run_now("cancelled")  # its creation: cancelled three times, then written
    assert throttling.backoffs["jobdeck"] == 3 and throttling.backoffs["botocore"] == 0
    for message in run_queue.receive():
        assert run_message(message["Body"]) is TaskStatus.FINISHED
    assert [(run.task_id, run.attempt) for run in ledger.runs] == [(task.id, 1)]

    refused = store.Outcome.MOVED
    assert store.start_task(store.get_task("cancelled", task.id), T0, store.get_job("cancelled")) is refused
    assert throttling.backoffs["jobdeck"] == 3  # a condition that failed is an answer: not sent again
