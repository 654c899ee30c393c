"""The local stack's SQS event source mapping: batches of the template's size, as many invocations at
once as its MaximumConcurrency and no more, the deletes of what each invocation did not fail, and
the messages received ahead handed back when it stops."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from jobdeck_local import template
from jobdeck_local.stack import DEFAULT_CONCURRENCY, concurrency
from jobdeck_local.triggers import QueuePoller

REGION = "us-east-1"


class Handler:
    """Records each invocation's bodies and how many ran at once; holds them until `go` is set."""

    def __init__(self, fail: str | None = None) -> None:
        self.go = threading.Event()
        self.batches: list[list[str]] = []
        self.running = self.most_at_once = 0
        self.fail = fail
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self._lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            self.batches.append([record["body"] for record in event["Records"]])
        self.go.wait(10)
        with self._lock:
            self.running -= 1
        failed = [r["messageId"] for r in event["Records"] if r["body"] == self.fail]
        return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}

    def bodies(self) -> list[str]:
        """Every body it was invoked on, over all batches, sorted."""
        return sorted(body for batch in self.batches for body in batch)


@pytest.fixture
def queue() -> Iterator[tuple[Any, str]]:
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="runs", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
        yield sqs, url


def _poller(url: str, handler: Handler, batch_size: int, limit: int, stop: threading.Event) -> QueuePoller:
    arn = f"arn:aws:sqs:{REGION}:123456789012:runs"
    poller = QueuePoller("RunnerFunction", handler, url, arn, batch_size, stop, limit)
    poller.start()
    return poller


def _send(sqs: Any, url: str, count: int) -> list[str]:
    """`count` messages m0, m1, ...; their bodies, sorted."""
    bodies = [f"m{n}" for n in range(count)]
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    return sorted(bodies)


def _wait_for(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _left(sqs: Any, url: str) -> tuple[int, int]:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_no_more_invocations_at_once_than_the_limit(queue):
    sqs, url = queue
    sent = _send(sqs, url, 12)
    handler, stop = Handler(), threading.Event()
    poller = _poller(url, handler, batch_size=1, limit=3, stop=stop)
    try:
        _wait_for(lambda: handler.running == 3)
        time.sleep(0.3)  # time for a fourth, were the limit not kept
        assert handler.most_at_once == 3
        assert _left(sqs, url) == (2, 10)  # ten received (as Lambda's pollers do): three running, seven in hand
        handler.go.set()
        _wait_for(lambda: _left(sqs, url) == (0, 0))
    finally:
        stop.set()
        poller.join(5)
        assert poller.wait_idle(5)
    assert handler.bodies() == sent
    assert {len(batch) for batch in handler.batches} == {1}  # BatchSize 1: one message per invocation


def test_batches_are_of_the_mappings_size_and_a_failed_item_stays_in_the_queue(queue):
    sqs, url = queue
    sent = _send(sqs, url, 7)
    handler, stop = Handler(fail="m3"), threading.Event()
    handler.go.set()
    poller = _poller(url, handler, batch_size=4, limit=2, stop=stop)
    try:
        _wait_for(lambda: _left(sqs, url) == (0, 1))  # all deleted but the failed one, in flight
    finally:
        stop.set()
        poller.join(5)
        poller.wait_idle(5)
    assert all(len(batch) <= 4 for batch in handler.batches)
    assert handler.bodies() == sent


def test_a_stopped_mapping_is_idle_only_once_its_invocations_ended(queue):
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="long")
    handler, stop = Handler(), threading.Event()
    poller = _poller(url, handler, batch_size=1, limit=2, stop=stop)
    _wait_for(lambda: handler.running == 1)
    stop.set()
    poller.join(5)
    assert not poller.wait_idle(0.2)  # the run goes on after the poller stopped
    handler.go.set()
    assert poller.wait_idle(5)
    assert _left(sqs, url) == (0, 0)


def test_a_stopped_mapping_hands_back_the_messages_it_received_ahead(queue):
    sqs, url = queue
    _send(sqs, url, 5)
    handler, stop = Handler(), threading.Event()
    poller = _poller(url, handler, batch_size=1, limit=1, stop=stop)
    _wait_for(lambda: handler.running == 1)
    assert _left(sqs, url) == (0, 5)  # one running, four in hand
    stop.set()
    poller.join(5)
    assert _left(sqs, url) == (4, 1)  # the four visible again at once, for whoever polls next
    handler.go.set()
    assert poller.wait_idle(5)
    assert _left(sqs, url) == (4, 0)


def test_the_concurrency_is_the_templates():
    runs = template.resources("AWS::Serverless::Function")["RunnerFunction"]["Events"]["Runs"]
    parameter = template.load()["Parameters"]["RunnerMaxConcurrency"]["Default"]
    assert concurrency(runs["Properties"]) == int(parameter)  # MaximumConcurrency: !Ref RunnerMaxConcurrency
    assert concurrency({"BatchSize": 10}) == DEFAULT_CONCURRENCY
