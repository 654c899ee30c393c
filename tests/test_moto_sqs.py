"""`prompt_sqs_long_polls()`: a long poll answers when a delayed message becomes visible.
`safe_sqs_deletes()`: a message sent while another is deleted is kept.
`sqs_retention_read_directly()`: a receive reads the retention period without counting the queue.
`listed_moto_modules_once()`, `handler_methods_listed_once()`: moto's server finds its services and
a handler's methods in lists read once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any, cast

import boto3
import pytest
from moto import mock_aws
from moto.sqs.models import Message

from jobdeck_local.moto_quirks import (
    handler_methods_listed_once,
    listed_moto_modules_once,
    prompt_sqs_long_polls,
    safe_sqs_deletes,
    sqs_retention_read_directly,
)
from tests.moto_tables import REGION, counting


@pytest.fixture
def queue() -> Iterator[tuple[Any, str]]:
    """An SQS client and a new queue's URL, in moto."""
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        yield sqs, sqs.create_queue(QueueName="quirks")["QueueUrl"]


def test_a_long_poll_answers_when_a_delayed_message_becomes_visible(queue: tuple[Any, str]) -> None:
    """Without the quirk moto looks again a whole second after the poll began, here half a second
    after the message became visible; with it, at once (the margin is for a loaded machine)."""
    prompt_sqs_long_polls()
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    visible = time.monotonic() + 1
    time.sleep(0.5)
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5).get("Messages", [])
    late = time.monotonic() - visible
    assert [m["Body"] for m in messages] == ["later"]
    assert late < 0.35, f"answered {late:.2f} s after the message became visible"


def test_a_long_poll_waits_for_the_soonest_message_rather_than_looking_again_and_again(
    queue: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Looking every 50 ms (the quirk before) made twenty looks a second over the whole queue."""
    from moto.sqs.models import Queue

    prompt_sqs_long_polls()
    looks = counting(monkeypatch, Queue, "wait_for_messages")
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5).get("Messages", [])
    assert [m["Body"] for m in messages] == ["later"]
    assert 1 <= len(looks) <= 3


def test_a_message_handed_back_during_a_long_poll_is_answered_at_once(queue: tuple[Any, str]) -> None:
    """Handed back (visibility 0), as the stack's pollers do at stop; moto wakes a poll on sends only."""
    prompt_sqs_long_polls()
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="again")
    [taken] = sqs.receive_message(QueueUrl=url, VisibilityTimeout=30)["Messages"]
    polled: list[Any] = []
    poll = threading.Thread(
        target=lambda: polled.extend(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5).get("Messages", []))
    )
    poll.start()
    time.sleep(0.3)
    handed_back = time.monotonic()
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=taken["ReceiptHandle"], VisibilityTimeout=0)
    poll.join()
    late = time.monotonic() - handed_back
    assert [m["Body"] for m in polled] == ["again"]
    assert late < 0.35, f"answered {late:.2f} s after the message was handed back"


def test_a_message_sent_while_another_is_deleted_waits_for_the_delete_and_is_kept(
    queue: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto's delete rebuilds the queue's list of messages; a send appending to it meanwhile could
    be overwritten. With the quirk the send waits for the delete to end (it is held here, mid-delete,
    for as long as the delete lasts) and then lands."""
    safe_sqs_deletes()
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="first")
    [first] = sqs.receive_message(QueueUrl=url)["Messages"]
    sender = threading.Thread(target=lambda: sqs.send_message(QueueUrl=url, MessageBody="second"))
    blocked: list[bool] = []
    real = Message.had_receipt_handle

    def mid_delete(message: Message, receipt_handle: str) -> bool:
        if not blocked:
            sender.start()
            sender.join(timeout=0.3)
            blocked.append(sender.is_alive())
        return real(message, receipt_handle)

    monkeypatch.setattr(Message, "had_receipt_handle", mid_delete)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    sender.join()
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]
    assert blocked == [True]
    assert bodies == ["second"]


def test_moto_modules_are_listed_once_and_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto import backends

    before = list(backends.list_of_moto_modules())
    listed_moto_modules_once()
    assert list(backends.list_of_moto_modules()) == before
    assert {"dynamodb", "sqs", "s3", "events"} <= set(before)
    monkeypatch.setattr("os.listdir", lambda path: pytest.fail("listed the disk again"))
    assert "sqs" in backends.list_of_moto_modules()


def test_a_handler_class_methods_are_listed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import inspect

    from moto.core import responses

    handler_methods_listed_once()

    class Handler:
        def list_things(self) -> None: ...

    listed = counting(monkeypatch, inspect, "getmembers")
    assert responses.method_names_from_class(Handler) == ["list_things"]
    assert responses.method_names_from_class(Handler) == ["list_things"]
    assert len(listed) == 1


def test_receiving_reads_the_retention_period_without_counting_the_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the quirk every message received asks for the queue's attributes (which count its
    messages); with it, none does, and a message past the queue's retention period is still
    not received."""
    from moto.sqs.models import Queue, sqs_backends

    sqs_retention_read_directly()
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        account = boto3.client("sts", region_name=REGION).get_caller_identity()["Account"]

        def received(name: str, age: int) -> list[str]:
            url = sqs.create_queue(QueueName=name, Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=name)
            [message] = sqs_backends[account][REGION].get_queue(name)._messages
            # moto's Message sets sent_timestamp to None in __init__ (so mypy types it None), an int once sent.
            message.sent_timestamp -= age * 1000  # type: ignore[operator,assignment]
            receiving.set()
            try:
                answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
            finally:
                receiving.clear()
            return [m["Body"] for m in answer.get("Messages", [])]

        counted: list[int] = []
        receiving = threading.Event()
        attributes = cast(property, Queue.attributes)  # mypy reads a property off its class as its getter

        def counting(queue: Queue) -> Any:
            if receiving.is_set():
                counted.append(1)
            return attributes.__get__(queue)

        monkeypatch.setattr(Queue, "attributes", property(counting))
        expired, kept = received("expired", 61), received("kept", 59)
    assert (expired, kept) == ([], ["kept"])
    assert counted == []
