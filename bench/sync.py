"""datasource.sync at scale: a bucket of N objects (20,000 by default; JOBDECK_BENCH_SYNC_OBJECTS=100000
for the full figure) indexed from nothing, then synced again after 1% were changed, 1% deleted and
1% added. Each sync runs through the runner as a task, handing over to a new invocation when the
simulated Lambda's 900 s are nearly up (time left = 900 - the invocation's elapsed seconds), so
the invocation count is the one moto's speed would need; AWS answers faster.

The objects are put one by one (put_object in a loop, no shortcut into moto's backend), with the
bucket's EventBridge notifications off: moto delivers each event to EventBridge and SQS in the
request itself, eight times slower, and a sync reads no event.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from functools import partial

import boto3

from bench import aws
from bench.report import Figure, Table
from jobdeck import jobs, runner, store, tasks
from jobdeck.domain import ActionStep, Job, TaskStatus

OBJECTS = int(os.environ.get("JOBDECK_BENCH_SYNC_OBJECTS", "20000"))
LAMBDA_SECONDS = 900.0  # the runner's timeout in template.yaml
WRITES_PER_1000_TARGET = 45.0  # the floor is 40: BatchWriteItem takes 25 items
JOB_ID = "bench-sync"


@dataclass
class Run:
    seconds: float
    invocations: int
    counts: tuple[int, int, int, int]  # objects, created, changed, deleted
    writes: aws.CallLog


def measure(objects: int = OBJECTS) -> Table:
    with aws.stack() as resources:
        bucket = resources.buckets["DatasourceBucket"]
        s3 = boto3.client("s3")
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
        started = time.perf_counter()
        for n in range(objects):
            s3.put_object(Bucket=bucket, Key=_key(n), Body=f"object {n}".encode(), ContentType="text/plain")
        put_seconds = time.perf_counter() - started
        jobs.create(Job(id=JOB_ID, label="Bench sync", owner="bench", actions=[ActionStep("datasource.sync", {})]))

        first = _sync(resources.queues["RunQueue"])
        expected = (objects, objects, 0, 0)
        if first.counts != expected:
            raise RuntimeError(f"the first sync reported {first.counts}, expected {expected}")

        step = 100  # 1% of the objects each: changed, deleted, added
        for n in range(0, objects, step):
            s3.put_object(Bucket=bucket, Key=_key(n), Body=b"changed", ContentType="text/plain")
            s3.delete_object(Bucket=bucket, Key=_key(n + 1))
            s3.put_object(Bucket=bucket, Key=_key(n) + ".new", Body=b"new", ContentType="text/plain")
        touched = len(range(0, objects, step))
        second = _sync(resources.queues["RunQueue"])
        expected = (objects, touched, touched, touched)
        if second.counts != expected:
            raise RuntimeError(f"the second sync reported {second.counts}, expected {expected}")
    return _table(objects, put_seconds, first, second, touched)


def _key(n: int) -> str:
    return f"data/{n // 1000:03}/{n:07}.txt"


def _time_left(began: float) -> float:
    """The runner's time left in an invocation that began at `began` (perf_counter)."""
    return LAMBDA_SECONDS - (time.perf_counter() - began)


def _sync(queue_url: str) -> Run:
    sqs = boto3.client("sqs")
    task = tasks.run_now(JOB_ID)
    invocations = 0
    started = time.perf_counter()
    with aws.count_dynamodb() as log:
        while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1).get("Messages", []):
            for message in messages:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                invocations += 1
                began = time.perf_counter()
                runner.run_message(message["Body"], time_left=partial(_time_left, began))
    seconds = time.perf_counter() - started
    done = store.get_task(JOB_ID, task.id)
    if done is None or done.status is not TaskStatus.FINISHED:
        raise RuntimeError(f"the sync ended {done.status if done else 'nowhere'}: {done.message if done else ''}")
    [line] = [line.message for line in done.logs if line.message.startswith("synced ")]
    # "synced <datasource> (s3://bucket/prefix): N objects, C created, M changed, D deleted ..."
    found = re.search(r": (\d+) objects, (\d+) created, (\d+) changed, (\d+) deleted", line)
    if found is None:
        raise RuntimeError(f"the sync's summary line changed: {line}")
    counts = (int(found[1]), int(found[2]), int(found[3]), int(found[4]))
    return Run(seconds, invocations, counts, log)


def _table(objects: int, put_seconds: float, first: Run, second: Run, touched: int) -> Table:
    table = Table(
        f"datasource.sync of {objects:,} objects (moto in-process, runner invocations of {LAMBDA_SECONDS:g} s)"
    )
    table.add(Figure("objects put (put_object, one by one)", objects, digits=0))
    table.add(Figure("  seconds to put them", put_seconds, "s", digits=0))
    table.add(Figure("  puts per second", objects / put_seconds, digits=0))
    for title, run, changed, target in (
        ("first sync, index empty", first, objects, WRITES_PER_1000_TARGET),
        # Few changes among many keys: a batch is also written every 1,000 keys looked at, so no target.
        (f"second sync, {touched:,} changed + deleted + added", second, 3 * touched, None),
    ):
        table.add(Figure(title, run.seconds, "s", digits=1))
        table.add(Figure("  objects per second", objects / run.seconds, digits=0))
        table.add(Figure("  runner invocations", run.invocations, digits=0))
        writes = run.writes.write_requests()
        index_writes = writes["BatchWriteItem"]
        table.add(Figure("  index writes (BatchWriteItem requests)", index_writes, digits=0))
        table.add(
            Figure(
                "  index writes per 1,000 changed entries",
                1000 * index_writes / changed,
                target=target,
                digits=1,
            )
        )
        table.add(Figure("  other write requests (the task, the sync record)", writes.total() - index_writes, digits=0))
        table.add(
            Figure("  Query requests (the index, 1,000 items a page)", run.writes.read_requests()["Query"], digits=0)
        )
        table.add(Figure("  moto's DynamoDB time", run.writes.service_seconds(), "s", digits=1))
    table.notes.append(
        f"{objects:,} objects put with put_object one by one; JOBDECK_BENCH_SYNC_OBJECTS=100000 for 100,000."
    )
    table.notes.append("Each sync must report exactly what was done (checked): created, changed, deleted.")
    return table
