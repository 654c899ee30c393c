"""Start lag: how late runs start when many are due at once. 100 jobs are due in the same minute;
the local stack's clock fires the tick at each minute of the real clock (the minute before, it
claims the slots and sends each task to RunQueue, delayed to within the second before its slot),
and the stack's pollers run the runner function on what becomes visible: it reads the task and its
job, waits for the slot, and starts the run. Each task's lag is its `started_at` (when the runner
took it) minus its `scheduled_for` (its slot).

Also measured, to say where the time goes: when the tick fired and how long it took, how many
invocations were ready before the slot, how long one run takes in the runner, how many ran at
once, and the CPU time of moto's process and of this one.
"""

from __future__ import annotations

import io
import math
import os
import threading
import time
import warnings
from contextlib import redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, SupportsIndex

from bench import aws, tick_scaling
from bench.pipeline import WORKERS, _quiet_other_jobs
from bench.report import Figure, Table
from bench.routing import local_stack, moto_cpu, own_cpu
from jobdeck import runner, store, tasks
from jobdeck.domain import Job, Task, TaskStatus
from jobdeck.store.convert import item_from_job
from jobdeck.store.models import JobModel
from jobdeck_local.lambda_runtime import Handler
from jobdeck_local.stack import LocalStack

JOBS = 100
TARGET_P99 = 1.0  # seconds
PREFIX = "bench-lag-"
TIMEOUT = 180.0  # seconds after the slot for every run to have ended
POLL_SECONDS = 2.0  # how often the benchmark looks whether they have


@dataclass
class Lags:
    slot: datetime
    tasks: list[Task]
    tick_fired: float | None  # seconds after the slot the claiming tick began (negative: before)
    tick_seconds: float | None  # how long that tick took
    moto_seconds: float  # moto's CPU time from the tick to the last run's end (its own process)
    moto_runs: float  # of which from the slot on (the runs')
    own_runs: float  # this process's CPU time from the slot on: the pollers', the invocations', the polling's
    moto_requests: int
    invocations: list[tuple[float, float]]  # (began, seconds) of each runner invocation near the slot (one run each)
    load: float  # the machine's load average over the last minute, at the end
    waits: list[float]  # each runner's wait for its slot (runner.sleep), in Lambda billed time

    def lags(self) -> list[float]:
        return sorted(
            (t.started_at - t.scheduled_for).total_seconds() for t in self.tasks if t.started_at and t.scheduled_for
        )

    def run_seconds(self) -> list[float]:
        return sorted((t.ended_at - t.started_at).total_seconds() for t in self.tasks if t.ended_at and t.started_at)

    def most_at_once(self) -> int:
        events = sorted(
            [(t.started_at, 1) for t in self.tasks if t.started_at]
            + [(t.ended_at, -1) for t in self.tasks if t.ended_at]
        )
        peak = now = 0
        for _, delta in events:
            now += delta
            peak = max(peak, now)
        return peak


def percentile(values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p% of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _job(job_id: str, slot: datetime) -> Job:
    """A daily job whose next run is `slot`."""
    return tick_scaling.job(job_id, f"{slot.minute} {slot.hour} * * *", slot, created_at=slot - timedelta(days=1))


class _Watch:
    """When the stack's clock fired the tick function and for how long, and how long each runner
    invocation took."""

    def __init__(self, stack: LocalStack) -> None:
        self.ticks: list[tuple[float, float]] = []  # (wall clock at start, seconds)
        self.runs: list[tuple[float, float]] = []
        self._lock = threading.Lock()
        for clock in stack.clocks:
            if clock.function_id == "TickFunction":
                clock.handler = self._timed(clock.handler, self.ticks)
        for poller in stack.pollers:
            if poller.function_id == "RunnerFunction":
                poller.handler = self._timed(poller.handler, self.runs)

    def _timed(self, handler: Handler, into: list[tuple[float, float]]) -> Handler:
        def timed(event: dict[str, Any], context: Any) -> Any:
            began, started = time.time(), time.perf_counter()
            try:
                return handler(event, context)
            finally:
                with self._lock:
                    into.append((began, time.perf_counter() - started))

        return timed

    def invocations(self, since: float) -> list[tuple[float, float]]:
        """(began, seconds) of the runner invocations that began at `since` or after."""
        with self._lock:
            return [(began, seconds) for began, seconds in self.runs if began >= since]


def _warm_up(job_id: str) -> None:
    """One run through the pollers before the measurement: clients and connections made."""
    store.create_job(_job(job_id, datetime.now(UTC) + timedelta(days=1)))
    task = tasks.run_now(job_id)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = store.get_task(job_id, task.id)
        if done is not None and not done.status.active:
            return
        time.sleep(0.2)
    raise RuntimeError("the warm-up run did not end within 60 s")


def sample(jobs: int = JOBS) -> Lags:
    waits: list[float] = []
    real_sleep = runner.sleep

    def waited(seconds: float | SupportsIndex) -> None:  # the stack's runner invocations run in this process
        waits.append(float(seconds))
        real_sleep(seconds)

    runner.sleep = waited
    try:
        return _sample(jobs, waits)
    finally:
        runner.sleep = real_sleep


def _sample(jobs: int, waits: list[float]) -> Lags:
    # The functions' metric documents would be mixed into the tables.
    with local_stack(clock=True) as stack, redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        watch = _Watch(stack)
        _quiet_other_jobs()
        _warm_up(f"{PREFIX}warm-up")
        waits.clear()  # the burst's only
        # Due in the minute after next: the clock's tick at the next minute claims the slots (it looks
        # a minute ahead), once the seeding is done (one more minute when this one is nearly over).
        now = datetime.now(UTC)
        slot = now.replace(second=0, microsecond=0) + timedelta(minutes=2 if now.second < 45 else 3)
        job_ids = [f"{PREFIX}{n:03}" for n in range(jobs)]
        with JobModel.batch_write() as batch:
            for job_id in job_ids:
                batch.save(item_from_job(_job(job_id, slot)))
        before = moto_cpu(stack)
        polls = 0
        with aws.count_dynamodb() as log:
            time.sleep(max(0.0, (slot - datetime.now(UTC)).total_seconds()))
            at_slot, own_at_slot = moto_cpu(stack), own_cpu()
            deadline = slot + timedelta(seconds=TIMEOUT)
            while datetime.now(UTC) < deadline:
                time.sleep(POLL_SECONDS)
                polls += 1  # one Scan of the sparse active-task index: the runs not ended yet
                if not any(t.job_id.startswith(PREFIX) for t in store.active_tasks()):
                    break
        moto_now = moto_cpu(stack)
        moto_seconds, moto_runs = moto_now - before, moto_now - at_slot
        own_runs = own_cpu() - own_at_slot
        found = [t for job_id in job_ids for t in store.list_tasks(job_id, limit=1)]
    claiming = [(began, seconds) for began, seconds in watch.ticks if began < slot.timestamp()]
    tick_fired = claiming[-1][0] - slot.timestamp() if claiming else None
    tick_seconds = claiming[-1][1] if claiming else None
    if len(found) != jobs or any(t.status is not TaskStatus.FINISHED for t in found):
        statuses = sorted({t.status.value for t in found})
        raise RuntimeError(f"{len(found)} of {jobs} runs found within {TIMEOUT:g} s of their slot, statuses {statuses}")
    requests = log.requests().total() - polls
    invocations = watch.invocations(since=slot.timestamp() - 2)  # the messages come within the second before
    load = os.getloadavg()[0]
    return Lags(
        slot, found, tick_fired, tick_seconds, moto_seconds, moto_runs, own_runs, requests, invocations, load, waits
    )


def measure() -> Table:
    s = sample()
    lags = s.lags()
    runs = s.run_seconds()
    table = Table(
        f"Start lag: {JOBS} jobs due in the same minute, local stack (clock, tick, RunQueue, "
        f"up to {WORKERS} runner invocations at once, moto server)"
    )
    table.add(Figure("start lag p50 (started_at - scheduled_for)", percentile(lags, 50), unit="s", headline=True))
    table.add(Figure("start lag p99", percentile(lags, 99), unit="s", target=TARGET_P99))
    table.add(Figure("start lag max", lags[-1], unit="s"))
    table.add(Figure("  first run's lag", lags[0], unit="s"))
    if s.tick_fired is not None and s.tick_seconds is not None:
        table.add(Figure("  claiming tick began, seconds before the slot", -s.tick_fired, unit="s", digits=1))
        table.add(Figure(f"  claiming tick took ({JOBS} claims and sends)", s.tick_seconds, unit="s"))
    table.add(Figure("  one run in the runner, median (started_at to ended_at)", percentile(runs, 50), unit="s"))
    seconds = [taken for _, taken in s.invocations]
    invocation = percentile(seconds, 50) if seconds else 0.0
    table.add(Figure("  one runner invocation, median (its read, any wait, the run)", invocation, unit="s"))
    ready = sum(1 for began, _ in s.invocations if began < s.slot.timestamp())
    table.add(Figure("  invocations begun before the slot", ready, digits=0))
    table.add(Figure("  runner invocations that waited for the slot", len(s.waits), digits=0))
    waited = sum(s.waits) / len(lags)
    table.add(Figure("  runner's wait for the slot, mean a run (billed by Lambda)", waited, unit="s", digits=3))
    spread = lags[-1] - lags[0]
    table.add(Figure("  runs in flight at once, at most", s.most_at_once(), digits=0))
    table.add(Figure("  runs started per second, first to last", (len(lags) - 1) / spread if spread else 0.0))
    table.add(Figure("  moto's CPU time, tick to last run (its own process)", s.moto_seconds, unit="s", digits=1))
    table.add(Figure("    of which from the slot on (the runs)", s.moto_runs, unit="s", digits=1))
    table.add(Figure("  this process's CPU time from the slot on (pollers, runs)", s.own_runs, unit="s", digits=1))
    table.add(Figure("  DynamoDB requests, tick to last run, per run", s.moto_requests / len(lags)))
    table.add(Figure("machine load average, last minute (2 cores)", s.load))
    table.notes += [
        f"slot {s.slot:%H:%M:%S} UTC; lag counted from the slot to when the runner took the task (its started_at)",
        "the tick sends when the slot is whole seconds away (jobdeck.lifecycle, ALIGN_EARLY): each message comes on",
        "  its slot's second, and the runner reads and starts it then, rather than waiting out the second before",
        f"one message per invocation (BatchSize 1), up to {WORKERS} at once (RunnerMaxConcurrency), as in Lambda;",
        "  all in this process, behind one moto: the runs that found no free invocation before the slot start as",
        "  earlier ones end",
    ]
    return table


if __name__ == "__main__":
    print(measure().render())
