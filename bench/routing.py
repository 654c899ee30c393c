"""Event routing: how routing one S3 "Object Created" event scales with the number of jobs (10,000
jobs of which 3 subscribe, against 100 of which 3 subscribe), and how many events per second the
local pipeline routes in a burst of uploads (moto server, EventBridge, EventsQueue, the events
function, RunQueue and the runner, all in this process)."""

from __future__ import annotations

import os
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from bench import aws
from bench.report import Figure, Table
from bench.scaling import Sample, time_figures
from jobdeck import clients, routing
from jobdeck.domain import ActionStep, EventFilter, EventSource, EventTrigger, Job, ScheduleSpec, TaskStatus
from jobdeck.store.convert import item_from_job, subscription_items
from jobdeck.store.models import JobModel, SubscriptionModel, TaskModel
from jobdeck_local.stack import LocalStack, free_port

SMALL, LARGE, SUBSCRIBED = 100, 10_000, 3
REPETITIONS = 5  # timed routes per size (the median is reported), after one untimed warm-up
RATIO_TARGET = 1.5
KEY = "incoming/2030/report.csv"
BODY = b"id,value\n1,2\n"
START = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)

BURST = 200  # uploads in the local pipeline's burst (1,000 take over 6 minutes in moto: see the notes)
BURST_PREFIX = "burst/"
BURST_JOB = "bench-burst"
BURST_TIMEOUT = 120.0  # seconds from the first upload; a burst not routed by then is reported as such
POLL_SECONDS = 0.5


# ---------------------------------------------------------------------- routing one event


def _job(job_id: str, events: list[EventTrigger] | None = None, schedule: str | None = None) -> Job:
    return Job(
        id=job_id,
        label=f"Bench {job_id}",
        owner="bench",
        schedule=ScheduleSpec(schedule) if schedule else None,
        events=events or [],
        actions=[ActionStep("log.message", {"message": "got {{ event.key }}"})],
        created_at=START - timedelta(days=1),
        updated_at=START - timedelta(days=1),
        next_fire_at=START + timedelta(hours=19) if schedule else None,
    )


def _subscribing(bucket: str) -> list[Job]:
    """Three jobs on the bucket's ObjectCreated, each with filters that the benchmark's object
    passes (no content type filter: the loop guard's HEAD is the only S3 request)."""
    filters = [
        EventFilter(prefix="incoming/", suffix=".csv"),
        EventFilter(glob="incoming/*/*.csv", max_size=1_000_000),
        EventFilter(prefix="incoming/2030/", min_size=1),
    ]
    return [
        _job(f"subscribed-{n}", events=[EventTrigger(EventSource.S3, "ObjectCreated", "default", filter=rule)])
        for n, rule in enumerate(filters)
    ]


def _seed(total: int, bucket: str) -> None:
    """`total` jobs, `SUBSCRIBED` of them subscribed; the others scheduled (half) or idle (half)."""
    others = [_job(f"other-{n:05}", schedule="0 3 * * *" if n % 2 else None) for n in range(total - SUBSCRIBED)]
    subscribed = _subscribing(bucket)
    with JobModel.batch_write() as jobs_batch:
        for job in [*others, *subscribed]:
            jobs_batch.save(item_from_job(job))
    with SubscriptionModel.batch_write() as subscriptions_batch:
        for job in subscribed:
            for item in subscription_items(job):
                subscriptions_batch.save(item)


def _s3_event(bucket: str, key: str, size: int, etag: str, at: datetime) -> dict[str, Any]:
    """An S3 "Object Created" event as EventBridge delivers it (to EventsQueue, then the function)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {"key": key, "size": size, "etag": etag, "sequencer": uuid.uuid4().hex[:18].upper()},
            "request-id": uuid.uuid4().hex[:16].upper(),
            "requester": "123456789012",
            "source-ip-address": "203.0.113.15",
            "reason": "PutObject",
        },
    }


def sample(total: int, repetitions: int = REPETITIONS) -> Sample:
    with aws.stack() as resources:
        # The events function's environment (RunQueue to dispatch to, the datasource bucket).
        os.environ.update(
            {k: v for k, v in resources.environment("EventsFunction").items() if k != "POWERTOOLS_LOG_LEVEL"}
        )
        clients.reset()
        bucket = resources.buckets["DatasourceBucket"]
        started = time.perf_counter()
        _seed(total, bucket)
        seed_seconds = time.perf_counter() - started
        s3 = boto3.client("s3")
        s3.put_object(Bucket=bucket, Key=KEY, Body=BODY, ContentType="text/csv")
        etag = s3.head_object(Bucket=bucket, Key=KEY)["ETag"].strip('"')

        logs: list[aws.CallLog] = []
        seconds: list[float] = []
        for repetition in range(repetitions + 1):
            event = _s3_event(bucket, KEY, len(BODY), etag, datetime.now(UTC))
            [incoming] = routing.from_eventbridge(event)
            with aws.count_dynamodb() as log:
                began = time.perf_counter()
                queued = routing.route(incoming)
                elapsed = time.perf_counter() - began
            if sorted(task.job_id for task in queued) != [f"subscribed-{n}" for n in range(SUBSCRIBED)]:
                raise RuntimeError(f"{total} jobs, route {repetition}: queued {[t.job_id for t in queued]}")
            if repetition:  # the first route warms up clients and caches
                logs.append(log)
                seconds.append(elapsed)
        return Sample(total, seed_seconds, logs, seconds)


def _route_figures(table: Table, small: Sample, large: Sample) -> None:
    for s in (large, small):
        items = s.items_read()
        table.add(Figure(f"items read routing one event, {s.jobs:,} jobs", items.total(), digits=0))
        for operation, count in sorted(items.items()):
            table.add(Figure(f"  {operation}", count, digits=0))
    ratio = large.items_read().total() / max(1, small.items_read().total())
    table.add(Figure("items read ratio", ratio, target=1.0))
    time_figures(table, "route", small, large, ("Query", "BatchGetItem", "TransactWriteItems"), RATIO_TARGET)


# ---------------------------------------------------------------------- the local pipeline


@dataclass
class Burst:
    uploads: int
    upload_seconds: float  # putting the objects, one after another
    routed_seconds: float | None  # first upload to the last task created (None: not within the timeout)
    routed: int  # tasks created when the measurement ended
    finished_seconds: float | None  # first upload to the last task FINISHED
    finished: int
    log: aws.CallLog  # every DynamoDB request during the burst, the benchmark's polling included
    polls: int  # of which the polling: one Query each (a count, of one page)
    moto_seconds: float  # moto's CPU time (its own process), first upload to last task created

    def pipeline_requests(self) -> Counter[str]:
        requests = self.log.requests()
        requests["Query"] -= self.polls
        return +requests


def moto_cpu(stack: LocalStack) -> float:
    """CPU seconds moto's server process has spent so far: the local AWS's share of the machine."""
    assert stack.moto is not None
    return stack.moto.cpu_seconds()


def own_cpu() -> float:
    """CPU seconds this process has spent so far: the stack's clock, pollers and invocations."""
    times = os.times()
    return times.user + times.system


@contextmanager
def local_stack(*, clock: bool = False) -> Iterator[LocalStack]:
    """The local stack in this process, without API, and without its clock unless asked (stopping
    it puts the environment, clients and store connections back as they were)."""
    stack = LocalStack(port=free_port(), run_api=False, run_clock=clock)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def _count(job_id: str, status: TaskStatus | None = None) -> int:
    condition = TaskModel.status == status.value if status else None
    return int(TaskModel.count(job_id, filter_condition=condition))


def burst(uploads: int = BURST, timeout: float = BURST_TIMEOUT) -> Burst:
    from jobdeck import jobs  # after bench.aws, like everything of jobdeck

    with local_stack() as stack:
        assert stack.resources is not None
        bucket = stack.resources.buckets["DatasourceBucket"]
        jobs.set_enabled("index-new-uploads", False)  # only the benchmark's job routes
        jobs.create(
            Job(
                id=BURST_JOB,
                label="Bench burst",
                owner="bench",
                events=[EventTrigger(EventSource.S3, "ObjectCreated", filter=EventFilter(prefix=BURST_PREFIX))],
                actions=[ActionStep("log.message", {"message": "got {{ event.key }}"})],
            )
        )
        s3 = boto3.client("s3", endpoint_url=stack.endpoint)
        s3.put_object(Bucket=bucket, Key="warm-up.txt", Body=b"x")  # outside the prefix: routes to nothing
        with aws.count_dynamodb() as log:
            before = moto_cpu(stack)
            started = time.perf_counter()
            for n in range(uploads):
                s3.put_object(Bucket=bucket, Key=f"{BURST_PREFIX}{n:05}.txt", Body=b"x" * 16, ContentType="text/plain")
            upload_seconds = time.perf_counter() - started
            # One count per poll (each reads the job's tasks in moto, so as few as will do): the
            # tasks created until all are, then the finished ones.
            routed = finished = polls = 0
            routed_at = finished_at = None
            moto_seconds = 0.0
            while time.perf_counter() - started < timeout:
                polls += 1
                if routed_at is None:
                    routed = _count(BURST_JOB)
                    if routed >= uploads:
                        routed_at = time.perf_counter() - started
                        moto_seconds = moto_cpu(stack) - before
                        continue
                else:
                    finished = _count(BURST_JOB, TaskStatus.FINISHED)
                    if finished >= uploads:
                        finished_at = time.perf_counter() - started
                        break
                time.sleep(POLL_SECONDS)
            if routed_at is None:
                moto_seconds = moto_cpu(stack) - before
        return Burst(uploads, upload_seconds, routed_at, routed, finished_at, finished, log, polls, moto_seconds)


def _burst_figures(table: Table, b: Burst) -> None:
    table.add(Figure(f"uploads per second ({b.uploads:,} PutObject, one client)", b.uploads / b.upload_seconds))
    table.add(Figure("  upload time", b.upload_seconds, unit="s", digits=1))
    if b.routed_seconds is not None:
        table.add(Figure("events routed per second, first upload to last task", b.uploads / b.routed_seconds))
        table.add(Figure("  first upload to last task created", b.routed_seconds, unit="s", digits=1))
    else:
        table.add(Figure(f"events routed within {BURST_TIMEOUT:g} s (timed out)", b.routed, digits=0))
    table.add(Figure("  moto's CPU time meanwhile (its own process)", b.moto_seconds, unit="s", digits=1))
    if b.finished_seconds is not None:
        table.add(Figure("tasks run per second, first upload to last FINISHED", b.uploads / b.finished_seconds))
        table.add(Figure("  first upload to last task FINISHED", b.finished_seconds, unit="s", digits=1))
    else:
        table.add(Figure(f"tasks FINISHED within {BURST_TIMEOUT:g} s (timed out)", b.finished, digits=0))
    requests = b.pipeline_requests()
    table.add(Figure("DynamoDB requests of the pipeline, per upload", requests.total() / b.uploads))
    for operation, count in sorted(requests.items()):
        table.add(Figure(f"  {operation}", count / b.uploads))
    failed = Counter(call.operation for call in b.log.calls if call.failed)
    table.add(Figure("  refused (a condition failed), per upload", failed.total() / b.uploads))


def measure() -> Table:
    small, large = sample(SMALL), sample(LARGE)
    b = burst()
    table = Table(
        f"Event routing: one S3 event, {SUBSCRIBED} subscribed jobs (median of {REPETITIONS}); "
        f"a burst of {b.uploads:,} uploads through the local pipeline"
    )
    _route_figures(table, small, large)
    _burst_figures(table, b)
    table.notes += [
        f"seeding (batch writes, not timed): {small.seed_seconds:.1f} s for {SMALL:,} jobs, "
        f"{large.seed_seconds:.1f} s for {LARGE:,} jobs",
        "the ratio without moto's service time is Jobdeck's (and botocore's, PynamoDB's, the HEAD's, SQS's) own",
        f"burst: {b.uploads:,} uploads (one client) to the moto server (its own process), through EventBridge to "
        "EventsQueue; each queue's",
        "  event source mapping runs its function in threads (up to its MaximumConcurrency); one job subscribed "
        "(index-new-uploads disabled)",
        "  moto's DynamoDB serves one request at a time here: it is not thread-safe (concurrent "
        "TransactWriteItems fail with a 500,",
        "  'dictionary changed size during iteration'), which bounds the burst's rate",
        f"  the benchmark's own counting ({b.polls} queries) is left out of the requests, not out of moto's time",
        "  refused: the runner's start or finish of a task that is no longer the job's newest, retried "
        "without the job's summary",
    ]
    return table
