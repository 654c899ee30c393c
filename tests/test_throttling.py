"""Issue 8's guarantees under throttled DynamoDB (the other faults: tests/test_faults.py). Everything
runs against moto; faults are injected around it, never in place of it.

A `before-send` handler on the botocore sessions PynamoDB makes answers a seeded random 20% of
DynamoDB requests with ThrottlingException, in moto's place (the request is not applied). botocore
retries those itself (PynamoDB: 3 retries, while its retry quota lasts), and so does Jobdeck for a
refused transaction; 5% of calls are throttled on every attempt, which reaches Jobdeck's own
recovery: the tick fails and runs again, SQS delivers a record again. A transaction cancelled for
throttling (TransactionCanceledException, ThrottlingError), which botocore never retries, is
injected on its own.
"""

from __future__ import annotations

import json
import random
import threading
import uuid
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import botocore.endpoint
import botocore.session
import pynamodb.connection.base
import pytest
import time_machine
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from moto.core.botocore_stubber import MockRawResponse

from jobdeck import execution, jobs, store, tasks
from jobdeck.domain import ActionStep, Overlap, TaskStatus
from jobdeck.runner import run_message
from jobdeck.store import transactions
from jobdeck.tick import tick
from tests.harness import (
    SEED,
    T0,
    Poller,
    all_tasks,
    catching_up,
    seats_settled,
)
from tests.support import make_job

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
    return AWSResponse(request.url, 400, HTTPHeaders.from_dict(headers), MockRawResponse(json.dumps(body)))


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
        jobs.create(catching_up(job_id, 10, start, steps, **fields), now=start)
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
            done = all(t.status is TaskStatus.FINISHED for job_id in plans for t in all_tasks(job_id))
            throttling.enabled = not done
            if done and sum(len(all_tasks(job_id)) for job_id in plans) == 10 * len(plans):
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
    stored = {job_id: all_tasks(job_id) for job_id in plans}
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
    seats_settled(*plans)


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
