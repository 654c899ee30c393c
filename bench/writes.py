"""DynamoDB requests per scheduled run: from the tick that claims the slot to the end of the runner
that ran it. Writes (target <= 3; the floor is 2, a claim and an outcome), reads, and all of them,
each beside what this benchmark counted before the runner read its task and job in one request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import time_machine

from bench import aws
from bench.report import Figure, Table
from jobdeck import jobs, runner, tick
from jobdeck.domain import ActionStep, Job, ScheduleSpec, TaskStatus

RUNS = 20
TARGET = 3.0
# What this benchmark counted before issue 23 (bench/results/history.jsonl, the run of 2026-12-08
# 00:44): the runner read its task and its job with a GetItem each. The tick's 3 queries are per
# tick, not per run (one job due in each tick here).
BEFORE = {"read requests per run": 5.0, "requests per run": 8.0, "in the runner": 4.0}
START = datetime(2030, 1, 7, 8, 0, 17, tzinfo=UTC)  # a job is created at 17 s past, between two slots


def scheduled_job(job_id: str) -> Job:
    return Job(
        id=job_id,
        label=f"Bench {job_id}",
        owner="bench",
        schedule=ScheduleSpec("*/5 * * * *"),
        actions=[ActionStep("log.message", {"message": "hello from the benchmark"})],
    )


def measure(runs: int = RUNS) -> Table:
    totals, in_tick = aws.CallLog(), aws.CallLog()
    with aws.stack() as resources:
        sqs = boto3.client("sqs")
        queue_url = resources.queues["RunQueue"]
        for index in range(runs):
            # Each run its own job and its own slot; the job is disabled after its run (not counted)
            # so that the next tick finds only the next job due.
            with time_machine.travel(START + timedelta(minutes=10 * index), tick=False):
                job = jobs.create(scheduled_job(f"bench-writes-{index:02}"))
            assert job.next_fire_at is not None
            with time_machine.travel(job.next_fire_at, tick=False), aws.count_dynamodb() as log:
                with aws.count_dynamodb() as tick_log:
                    report = tick.tick()
                messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
                statuses = [runner.run_message(m["Body"]) for m in messages]
            if report.queued != 1 or statuses != [TaskStatus.FINISHED]:
                raise RuntimeError(f"run {index}: tick {report.as_dict()}, runner ended {statuses}")
            for message in messages:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            with time_machine.travel(job.next_fire_at + timedelta(minutes=1), tick=False):
                jobs.set_enabled(job.id, False)
            totals.calls.extend(log.calls)
            in_tick.calls.extend(tick_log.calls)
    return _table(totals, in_tick, runs)


def _table(log: aws.CallLog, in_tick: aws.CallLog, runs: int) -> Table:
    table = Table(f"DynamoDB requests per scheduled run ({runs} runs of {runs} jobs, tick to runner end)")
    every = log.requests().total()
    table.add(Figure("requests per run", every / runs, headline=True))
    table.add(
        Figure("  before issue 23 (the runner read its task and job apart)", BEFORE["requests per run"], headline=True)
    )
    runner = every - in_tick.requests().total()
    table.add(Figure("  in the runner (one read, start, finish)", runner / runs, headline=True))
    table.add(Figure("  in the runner, before issue 23", BEFORE["in the runner"], headline=True))
    writes = log.write_requests()
    table.add(Figure("write requests per run", writes.total() / runs, target=TARGET))
    for operation, count in sorted(writes.items()):
        table.add(Figure(f"  {operation}", count / runs))
    tick_writes = in_tick.write_requests().total()
    table.add(Figure("  in the tick (claim)", tick_writes / runs))
    table.add(Figure("  in the runner (start, finish)", (writes.total() - tick_writes) / runs))
    table.add(Figure("items written per run", log.items_written() / runs))
    table.add(Figure("write units per run (min, 1 KB items)", log.write_units() / runs))
    for title, counts in (
        ("read requests per run", log.read_requests()),
        ("items read per run", log.items_read()),
    ):
        table.add(Figure(title, counts.total() / runs, headline=title in BEFORE))
        if title in BEFORE:
            table.add(Figure("  before issue 23", BEFORE[title], headline=True))
        for operation, count in sorted(counts.items()):
            table.add(Figure(f"  {operation}", count / runs))
    failed = sum(1 for call in log.calls if call.failed)
    table.add(Figure("failed requests per run", failed / runs))
    return table
