"""How one tick scales with the number of scheduled jobs: the items it reads and its wall time with
10,000 enabled jobs of which 10 are due, against 100 jobs of which 10 are due."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bench import aws
from bench.report import Figure, Table
from bench.scaling import Sample, time_figures
from jobdeck import tick
from jobdeck.domain import ActionStep, Job, ScheduleSpec
from jobdeck.store.convert import item_from_job
from jobdeck.store.models import JobModel, TaskModel

SMALL, LARGE, DUE = 100, 10_000, 10
REPETITIONS = 5  # timed ticks per size (the median is reported), after one untimed warm-up
ITEMS_READ_TARGET = 20.0
RATIO_TARGET = 1.5
START = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
TOMORROW = datetime(2030, 1, 8, 3, 0, tzinfo=UTC)  # the next run of the jobs that are not due


def job(job_id: str, expression: str, next_fire_at: datetime, created_at: datetime | None = None) -> Job:
    """A benchmark's scheduled job, logging a line, whose next run is `next_fire_at`."""
    created = created_at or START - timedelta(days=1)
    return Job(
        id=job_id,
        label=f"Bench {job_id}",
        owner="bench",
        schedule=ScheduleSpec(expression),
        actions=[ActionStep("log.message", {"message": "hello from the benchmark"})],
        created_at=created,
        updated_at=created,
        next_fire_at=next_fire_at,
    )


def write_jobs(jobs: list[Job]) -> None:
    with JobModel.batch_write() as batch:
        for item in jobs:
            batch.save(item_from_job(item))


def clear_tasks() -> None:
    """Drop the tasks earlier ticks claimed, so every timed tick sees the same table."""
    with TaskModel.batch_write() as batch:
        for item in TaskModel.scan(attributes_to_get=["job_id", "id"]):
            batch.delete(item)


def sample(total: int, due: int = DUE, repetitions: int = REPETITIONS) -> Sample:
    with aws.stack():
        started = time.perf_counter()
        write_jobs([job(f"idle-{n:05}", "0 3 * * *", TOMORROW) for n in range(total - due)])
        due_jobs = [job(f"due-{n:02}", "*/5 * * * *", START) for n in range(due)]
        write_jobs(due_jobs)
        seed_seconds = time.perf_counter() - started

        logs: list[aws.CallLog] = []
        ticks: list[float] = []
        for repetition in range(repetitions + 1):
            now = START + timedelta(minutes=5 * repetition)  # a fresh slot: its tasks are new
            write_jobs([replace(j, next_fire_at=now) for j in due_jobs])
            clear_tasks()
            with aws.count_dynamodb() as log:
                began = time.perf_counter()
                report = tick.tick(now=now)
                elapsed = time.perf_counter() - began
            if report.claimed != due or report.queued != due or report.redelivered or report.failed:
                raise RuntimeError(f"{total} jobs, tick {repetition}: {report.as_dict()}")
            if repetition:  # the first tick warms up clients and caches
                logs.append(log)
                ticks.append(elapsed)
        return Sample(total, seed_seconds, logs, ticks)


def measure() -> Table:
    small, large = sample(SMALL), sample(LARGE)
    table = Table(f"Tick scaling ({DUE} due jobs; median of {REPETITIONS} ticks; DynamoDB emulated by moto)")
    for s in (large, small):
        items = s.items_read()
        target = ITEMS_READ_TARGET if s is large else None
        table.add(Figure(f"items read by one tick, {s.jobs:,} jobs", items.total(), target=target, digits=0))
        for operation, count in sorted(items.items()):
            table.add(Figure(f"  {operation}", count, digits=0))
    time_figures(table, "tick", small, large, ("Query", "TransactWriteItems"), RATIO_TARGET)
    table.notes.append(
        f"seeding (batch writes, not timed): {small.seed_seconds:.1f} s for {SMALL:,} jobs, "
        f"{large.seed_seconds:.1f} s for {LARGE:,} jobs"
    )
    return table
