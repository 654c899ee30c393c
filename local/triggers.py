"""What Lambda's triggers do, done locally: a clock for `Schedule` events and pollers for `SQS`
events (receive a batch, call the handler, delete what it did not report as failed)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
from aws_lambda_powertools import Logger

from jobdeck_local import events
from jobdeck_local.lambda_runtime import Handler, LambdaContext

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
    """One poller of an SQS event source mapping (Lambda runs several per queue)."""

    def __init__(
        self,
        function_id: str,
        handler: Handler,
        queue_url: str,
        queue_arn: str,
        batch_size: int,
        stop: threading.Event,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(name=f"poller-{function_id}", daemon=True)
        self.function_id, self.handler = function_id, handler
        self.queue_url, self.queue_arn, self.batch_size = queue_url, queue_arn, batch_size
        self.stop, self.on_batch = stop, on_batch
        self.sqs = boto3.client("sqs")

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.poll_once(wait_seconds=1)
            except Exception:
                logger.exception("polling failed", function=self.function_id)
                self.stop.wait(1)

    def poll_once(self, wait_seconds: int = 0) -> int:
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(10, self.batch_size),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        event = events.sqs_event(messages, self.queue_arn)
        try:
            response = self.handler(event, LambdaContext.for_function(self.function_id)) or {}
        except Exception:
            # The whole batch returns to the queue after its visibility timeout, as in Lambda.
            logger.exception("invocation failed; the batch will be retried", function=self.function_id)
            return len(messages)
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
        return len(messages)
