"""What Lambda's DynamoDB stream event source mapping does, done locally: read each shard of a
table's stream in order, invoke the function on each batch, read again from the record it reports
failed (ReportBatchItemFailures) up to MaximumRetryAttempts, then send the batch's description to
the mapping's on-failure queue and go on, as Lambda does.

It takes its place in the stream (LATEST) when primed, which the stack does before it recovers the
runs a stop left RUNNING: those changes are read and announced too. Lambda splits a failing batch
in two (BisectBatchOnFunctionError); this poller retries it whole, which only changes how many
records a retry re-reads."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools import Logger

from jobdeck_local import events
from jobdeck_local.iam.attribution import acting_as
from jobdeck_local.lambda_runtime import Handler, LambdaContext

logger = Logger(service="jobdeck-local")

IDLE_SECONDS = 0.25  # between reads of a shard that had nothing (Lambda polls a shard 4 times a second)


class StreamPoller(threading.Thread):
    def __init__(
        self,
        function_id: str,
        handler: Handler,
        table: str,
        batch_size: int,
        retries: int,
        on_failure_queue_url: str | None,
        stop: threading.Event,
    ) -> None:
        super().__init__(name=f"stream-{function_id}", daemon=True)
        self.function_id, self.handler, self.table = function_id, handler, table
        self.batch_size, self.retries, self.on_failure = batch_size, retries, on_failure_queue_url
        self.stop = stop
        self.streams = boto3.client("dynamodbstreams")
        self.stream_arn = ""
        self.iterators: dict[str, str] = {}  # shard id -> where the next read begins

    def fresh(self) -> StreamPoller:
        """The same mapping, not started (a thread runs once), going on from where this one was."""
        again = StreamPoller(
            self.function_id,
            self.handler,
            self.table,
            self.batch_size,
            self.retries,
            self.on_failure,
            self.stop,
        )
        again.stream_arn, again.iterators = self.stream_arn, dict(self.iterators)
        return again

    def prime(self) -> StreamPoller:
        """Take the stream's LATEST place in each open shard: what is written from now on is read."""
        # The stream's ARN is the mapping's configuration (the template's !GetAtt), not a request of its role.
        self.stream_arn = boto3.client("dynamodb").describe_table(TableName=self.table)["Table"]["LatestStreamArn"]
        with acting_as(self.function_id):
            shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
            for shard in shards:
                if "EndingSequenceNumber" not in shard.get("SequenceNumberRange", {}):
                    self.iterators[shard["ShardId"]] = self._iterator(shard["ShardId"], "LATEST")
        return self

    def run(self) -> None:
        while not self.stop.is_set():
            read = 0
            for shard in list(self.iterators):
                try:
                    read += self._read(shard)
                except Exception:
                    logger.exception("reading the stream failed", function=self.function_id, shard=shard)
            if not read:
                self.stop.wait(IDLE_SECONDS)

    def _read(self, shard: str) -> int:
        with acting_as(self.function_id):
            got = self.streams.get_records(ShardIterator=self.iterators[shard], Limit=self.batch_size)
        records = got.get("Records", [])
        if records:
            self._deliver(shard, records)
        if got.get("NextShardIterator"):
            self.iterators[shard] = got["NextShardIterator"]
        else:
            del self.iterators[shard]  # a closed shard, read to its end
        return len(records)

    def _deliver(self, shard: str, records: list[Any]) -> None:
        """Invoke on the batch; on a reported failure, again from that record, `retries` times."""
        for _ in range(self.retries + 1):
            failed = self._invoke(records)
            if failed is None:
                return
            records = records[failed:]
        self._give_up(shard, records)

    def _invoke(self, records: list[Any]) -> int | None:
        """The index of the first record to read again, or None when the batch is done."""
        event = events.dynamodb_stream_event(records, self.stream_arn)
        try:
            answer = self.handler(event, LambdaContext.for_function(self.function_id)) or {}
        except Exception:
            logger.exception("invocation failed; the batch will be read again", function=self.function_id)
            return 0
        failures = [f["itemIdentifier"] for f in answer.get("batchItemFailures", [])]
        if not failures:
            return None
        sequences = [r["dynamodb"]["SequenceNumber"] for r in records]
        return min((sequences.index(s) for s in failures if s in sequences), default=0)

    def _give_up(self, shard: str, records: list[Any]) -> None:
        """What Lambda sends its on-failure destination: where the records are, not the records."""
        logger.error("records failed every retry", function=self.function_id, records=len(records))
        if self.on_failure is None:
            return
        info = {
            "shardId": shard,
            "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
            "batchSize": len(records),
            "streamArn": self.stream_arn,
        }
        body = {
            "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": self.retries + 1},
            "timestamp": datetime.now(UTC).isoformat(),
            "DDBStreamBatchInfo": info,
        }
        with acting_as(self.function_id):  # Lambda sends it with the function's role
            boto3.client("sqs").send_message(QueueUrl=self.on_failure, MessageBody=json.dumps(body))

    def _iterator(self, shard: str, kind: str) -> str:
        return self.streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard, ShardIteratorType=kind)[
            "ShardIterator"
        ]
