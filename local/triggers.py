"""What Lambda's triggers do, done locally: a clock for `Schedule` events and pollers for `SQS`
events (receive a batch, call the handler, delete what it did not report as failed)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger
from botocore.config import Config

from jobdeck_local import events
from jobdeck_local.iam.attribution import acting_as
from jobdeck_local.lambda_runtime import Handler, LambdaContext

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import ChangeMessageVisibilityBatchRequestEntryTypeDef, MessageTypeDef

logger = Logger(service="jobdeck-local")


class Clock(threading.Thread):
    """Fires at start, then at every minute boundary of the real clock (rate(1 minute))."""

    def __init__(self, function_id: str, handler: Handler, stop: threading.Event, period: float = 60.0) -> None:
        super().__init__(name=f"clock-{function_id}", daemon=True)
        self.function_id, self.handler, self.stop, self.period = function_id, handler, stop, period
        self.fired = 0

    def run(self) -> None:
        while not self.stop.is_set():
            self.fire()
            self.stop.wait(self.period - time.time() % self.period)

    def fire(self) -> Any:
        self.fired += 1
        try:
            return self.handler(events.scheduled_event(), LambdaContext.for_function(self.function_id))
        except Exception:
            # EventBridge would retry twice then dead-letter; the next minute's tick does the same work.
            logger.exception("scheduled invocation failed", function=self.function_id)
            return None


class QueuePoller(threading.Thread):
    """An SQS event source mapping: it receives up to ten messages at a time, as Lambda's pollers
    do, and invokes the function on each batch of `batch_size`, up to `concurrency` invocations at
    once (the mapping's MaximumConcurrency). Like Lambda's pollers it receives ahead: the next
    messages are in hand when an invocation ends, not a receive away; they are handed back to the
    queue when the mapping stops."""

    def __init__(
        self,
        function_id: str,
        handler: Handler,
        queue_url: str,
        queue_arn: str,
        batch_size: int,
        stop: threading.Event,
        concurrency: int = 2,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(name=f"poller-{function_id}", daemon=True)
        self.function_id, self.handler = function_id, handler
        self.queue_url, self.queue_arn, self.batch_size = queue_url, queue_arn, batch_size
        self.stop, self.concurrency, self.on_batch = stop, concurrency, on_batch
        # Each invocation deletes its own batch on this client, while the poller polls: a connection each.
        self.sqs = boto3.client("sqs", config=Config(max_pool_connections=concurrency + 1))
        self._free = threading.Semaphore(concurrency)

    def fresh(self) -> QueuePoller:
        """The same mapping, not started (a thread runs once): to poll again after a stop."""
        return QueuePoller(
            self.function_id,
            self.handler,
            self.queue_url,
            self.queue_arn,
            self.batch_size,
            self.stop,
            self.concurrency,
            self.on_batch,
        )

    def run(self) -> None:
        held: list[MessageTypeDef] = []
        try:
            while not self.stop.is_set():
                if not held:
                    try:
                        held = self._receive()
                    except Exception:
                        logger.exception("polling failed", function=self.function_id)
                        self.stop.wait(1)
                    continue
                if not self._free.acquire(timeout=1):
                    continue
                batch, held = held[: self.batch_size], held[self.batch_size :]
                # A thread per invocation, bounded by the mapping's maximum concurrency; daemons, as
                # Lambda's environments are to a laptop: stopping the stack does not wait for a
                # 15-minute run.
                name = f"invoke-{self.function_id}"
                try:
                    threading.Thread(target=self._invoke_then_free, args=(batch,), name=name, daemon=True).start()
                except RuntimeError:  # no thread to be had now: the batch waits in hand, its slot is free
                    logger.exception("could not start an invocation", function=self.function_id)
                    self._free.release()
                    held = batch + held
                    self.stop.wait(1)
        finally:
            self._hand_back(held)

    def wait_idle(self, timeout: float) -> bool:
        """Whether the invocations in flight all ended within `timeout` seconds (for a poller stopped)."""
        deadline = time.monotonic() + timeout
        taken = 0
        while taken < self.concurrency and self._free.acquire(timeout=max(0.0, deadline - time.monotonic())):
            taken += 1
        for _ in range(taken):
            self._free.release()
        return taken == self.concurrency

    def _hand_back(self, messages: list[MessageTypeDef]) -> None:
        """Messages received but not invoked: visible again at once, for whoever polls next."""
        for start in range(0, len(messages), 10):
            entries: list[ChangeMessageVisibilityBatchRequestEntryTypeDef] = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                for i, m in enumerate(messages[start : start + 10])
            ]
            try:
                self.sqs.change_message_visibility_batch(QueueUrl=self.queue_url, Entries=entries)
            except Exception:  # they come back after the queue's visibility timeout instead
                logger.exception("could not hand messages back", function=self.function_id)

    def _receive(self) -> list[MessageTypeDef]:
        """Up to ten, as Lambda's pollers take them, waiting a second for the first. Lambda's pollers
        receive and delete with the function's role (AWSLambdaSQSQueueExecutionRole), so these are
        checked against it; the hand-back above is the local stack's own (Lambda lets a message's
        visibility lapse) and is no request of the role."""
        with acting_as(self.function_id):
            return self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=1,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])

    def _invoke_then_free(self, messages: list[MessageTypeDef]) -> None:
        try:
            self.invoke(messages)
        except Exception:
            logger.exception("deleting a batch failed; it will be delivered again", function=self.function_id)
        finally:
            self._free.release()

    def invoke(self, messages: list[MessageTypeDef]) -> None:
        """One invocation on one batch, then the deletes of what it did not report as failed."""
        event = events.sqs_event(messages, self.queue_arn)
        try:
            response = self.handler(event, LambdaContext.for_function(self.function_id)) or {}
        except Exception:
            # The whole batch returns to the queue after its visibility timeout, as in Lambda.
            logger.exception("invocation failed; the batch will be retried", function=self.function_id)
            return
        failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        with acting_as(self.function_id):  # as Lambda's poller, with the function's role (see _receive)
            for start in range(0, len(done), 10):
                self.sqs.delete_message_batch(
                    QueueUrl=self.queue_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(done[start : start + 10])
                    ],
                )
        if self.on_batch:
            self.on_batch(len(messages))
