"""What Lambda's triggers do, done locally: a clock for `Schedule` events and pollers for `SQS`
events (receive a batch, call the handler, delete what it did not report as failed)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools import Logger

from jobdeck_local import events
from jobdeck_local.lambda_runtime import Handler, LambdaContext

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageTypeDef

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
    once (the mapping's MaximumConcurrency). It receives only for invocations it can start now: no
    message waits in hand behind a long run while the queue could give it to another."""

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
        self.sqs = boto3.client("sqs")
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
        while not self.stop.is_set():
            free = self._take_free()
            if not free:
                continue
            try:
                messages = self._receive(min(10, free * self.batch_size))
            except Exception:
                logger.exception("polling failed", function=self.function_id)
                self._give_back(free)
                self.stop.wait(1)
                continue
            batches = [messages[i : i + self.batch_size] for i in range(0, len(messages), self.batch_size)]
            self._give_back(free - len(batches))
            for batch in batches:
                # A thread per invocation, bounded by the slots; daemons, as Lambda's environments
                # are to a laptop: stopping the stack does not wait for a 15-minute run.
                name = f"invoke-{self.function_id}"
                threading.Thread(target=self._invoke_then_free, args=(batch,), name=name, daemon=True).start()

    def wait_idle(self, timeout: float) -> bool:
        """Whether the invocations in flight all ended within `timeout` seconds (for a poller stopped)."""
        deadline = time.monotonic() + timeout
        taken = 0
        while taken < self.concurrency and self._free.acquire(timeout=max(0.0, deadline - time.monotonic())):
            taken += 1
        self._give_back(taken)
        return taken == self.concurrency

    def _take_free(self) -> int:
        """Invocation slots taken for the next receive: waits a second for one, then takes the rest free."""
        if not self._free.acquire(timeout=1):
            return 0
        taken = 1
        while taken * self.batch_size < 10 and self._free.acquire(blocking=False):
            taken += 1
        return taken

    def _give_back(self, slots: int) -> None:
        for _ in range(slots):
            self._free.release()

    def _receive(self, count: int) -> list[MessageTypeDef]:
        return self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=count,
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
        for start in range(0, len(done), 10):
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done[start : start + 10])
                ],
            )
        if self.on_batch:
            self.on_batch(len(messages))
