"""Local pipeline throughput over the storage-bound limit, both measured in the same run against the
same moto server.

The pipeline: `TASKS` scheduled jobs due at once, one tick (the tick function's handler) claims them
and sends their tasks to RunQueue, the local stack's event source mapping (batch size 1, up to
RunnerMaxConcurrency invocations at once, as the template's) runs the runner function on each,
which starts the task, runs its action (log.message) and finishes it. Timed from the tick to the last runner batch done.

The storage-bound limit: the DynamoDB writes of the same runs and nothing else (the claims, made
together as the tick makes them, then each run's start and finish, see writes.py), by the store
functions the tick and the runner call, the runs' from as many threads as the pipeline runs
invocations at once, on other jobs of the same tables. It is measured before and after the pipeline
(the machine is shared: its load changes), and the mean taken.
moto's DynamoDB answers one request at a time in the local stack (moto is not thread-safe), in its
own process, so that limit is moto's, not DynamoDB's; the ratio says how much of it the queue, the
pollers, the reads and Jobdeck's own code leave to the runs.
"""

from __future__ import annotations

import io
import statistics
import threading
import time
import warnings
from collections.abc import Callable
from contextlib import redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bench import aws, tick_scaling
from bench.report import Figure, Table
from bench.routing import local_stack, moto_cpu, own_cpu
from bench.tick_scaling import write_jobs
from jobdeck import jobs, store
from jobdeck.domain import Job, LogLine, Task, TaskStatus
from jobdeck.store.models import TaskModel
from jobdeck.store.runs import Outcome
from jobdeck.tick import CLAIMS_TOGETHER, scheduled_task
from jobdeck_local import template
from jobdeck_local.events import scheduled_event
from jobdeck_local.lambda_runtime import LambdaContext, load_handler
from jobdeck_local.stack import LocalStack, concurrency

TASKS = 200  # runs through the pipeline
LIMIT_RUNS = 100  # write-only lifecycles in each of the two limit measurements
TIMEOUT = 300.0  # seconds for the pipeline's runs to finish
RATIO_TARGET = 0.5
# Runner invocations at once in the local stack (RunQueue's MaximumConcurrency), and so the limit's threads.
WORKERS = concurrency(template.resources("AWS::Serverless::Function")["RunnerFunction"]["Events"]["Runs"]["Properties"])
PIPELINE_PREFIX, LIMIT_PREFIX = "bench-pipe-", "bench-limit-"


def _job(job_id: str, due: datetime) -> Job:
    """A daily job whose slot is `due` (just past: the tick runs it at once, no SQS delay)."""
    return tick_scaling.job(job_id, "0 3 * * *", due, created_at=due - timedelta(days=1))


def _quiet_other_jobs() -> None:
    """The system jobs and the jobs kept as code off: no run but the benchmark's in the tick."""
    for job in list(store.all_jobs()):
        if job.enabled:
            jobs.set_enabled(job.id, False)


# ---------------------------------------------------------------------- the storage-bound limit


def _claims(jobs_: list[Job], now: datetime) -> dict[str, Task]:
    """The tick's writes of these runs: their claims, CLAIMS_TOGETHER jobs to a transaction."""
    claims = [
        store.Claim(job, [scheduled_task(job, job.next_fire_at, now)], job.next_fire_at + timedelta(days=1))
        for job in jobs_
        if job.next_fire_at is not None
    ]
    for start in range(0, len(claims), CLAIMS_TOGETHER):
        if not store.claim_together(claims[start : start + CLAIMS_TOGETHER]):
            raise RuntimeError("claim refused")
    return {claim.job.id: claim.tasks[0] for claim in claims}


def _run(job: Job, task: Task) -> None:
    """The runner's writes of a run: its start and its finish."""
    if store.start_task(task, datetime.now(UTC), job) is not Outcome.DONE:
        raise RuntimeError(f"{job.id}: start refused")
    task.status, task.ended_at, task.progress = TaskStatus.FINISHED, datetime.now(UTC), 1.0
    task.logs = [LogLine(task.ended_at, "INFO", "hello from the benchmark")]  # what log.message leaves
    if not store.finish_task(task, job.history_days):
        raise RuntimeError(f"{job.id}: finish refused")


def _lifecycles(jobs_: list[Job], now: datetime) -> None:
    """The writes of these scheduled runs, as the tick and the runner make them."""
    tasks = _claims(jobs_, now)
    _in_threads(jobs_, lambda job: _run(job, tasks[job.id]))


def _in_threads(work: list[Job], do: Callable[[Job], None]) -> float:
    """Seconds for `WORKERS` threads to do `work` (each takes the next job as it is free)."""
    lock, items = threading.Lock(), list(work)
    errors: list[Exception] = []

    def worker() -> None:
        while True:
            with lock:
                if not items or errors:
                    return
                job = items.pop(0)
            try:
                do(job)
            except Exception as exc:
                errors.append(exc)

    threads = [threading.Thread(target=worker, name=f"bench-limit-{n}") for n in range(WORKERS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - started


def storage_limit(round_: int, runs: int = LIMIT_RUNS) -> tuple[float, aws.CallLog]:
    """Lifecycles per second, and their DynamoDB requests."""
    now = datetime.now(UTC).replace(microsecond=0)
    batch = [_job(f"{LIMIT_PREFIX}{round_}-{n:04}", now - timedelta(seconds=5)) for n in range(runs)]
    write_jobs(batch)
    with aws.count_dynamodb() as log:
        started = time.perf_counter()
        _lifecycles(batch, now)
        seconds = time.perf_counter() - started
    return runs / seconds, log


# ---------------------------------------------------------------------- the pipeline


@dataclass
class PipelineRun:
    tasks: int
    tick_seconds: float  # the tick's invocation: claims and sends
    seconds: float | None  # tick start to the last runner batch done (None: not within the timeout)
    done: int  # runner batches done when the measurement ended
    finished: int  # tasks FINISHED in the table afterwards
    log: aws.CallLog  # the DynamoDB requests of the pipeline (the tick's and the runner's)
    sqs_requests: int  # the tick's sends, the pollers' receives and deletes (empty receives included)
    moto_seconds: float  # moto's CPU time (its own process)
    own_seconds: float  # this process's CPU time: the tick's, the pollers', the runner invocations'

    @property
    def tasks_per_second(self) -> float:
        return self.tasks / self.seconds if self.seconds else 0.0


def pipeline(stack: LocalStack, tasks: int = TASKS, timeout: float = TIMEOUT) -> PipelineRun:
    due = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5)
    write_jobs([_job(f"{PIPELINE_PREFIX}{n:04}", due) for n in range(tasks)])
    done = 0
    all_done = threading.Event()
    lock = threading.Lock()

    def on_batch(messages: int) -> None:
        nonlocal done
        with lock:
            done += messages
            if done >= tasks:
                all_done.set()

    for poller in stack.pollers:
        if poller.function_id == "RunnerFunction":
            poller.on_batch = on_batch
    tick = load_handler("TickFunction")
    moto_before, own_before = moto_cpu(stack), own_cpu()
    with aws.count_dynamodb() as log, aws.count_requests() as requests:
        started = time.perf_counter()
        report = tick(scheduled_event(), LambdaContext.for_function("TickFunction"))
        tick_seconds = time.perf_counter() - started
        finished_in_time = all_done.wait(timeout - tick_seconds)
        seconds = time.perf_counter() - started if finished_in_time else None
    moto_seconds, own_seconds = moto_cpu(stack) - moto_before, own_cpu() - own_before
    for poller in stack.pollers:
        poller.on_batch = None
    if report.get("queued") != tasks:
        raise RuntimeError(f"the tick queued {report.get('queued')} of {tasks} runs: {report}")
    statuses = [
        item.status
        for item in TaskModel.scan(TaskModel.job_id.startswith(PIPELINE_PREFIX), attributes_to_get=["status"])
    ]
    finished = sum(1 for status in statuses if status == TaskStatus.FINISHED.value)
    sqs = sum(n for (service, _), n in requests.items() if service == "sqs")
    return PipelineRun(tasks, tick_seconds, seconds, done, finished, log, sqs, moto_seconds, own_seconds)


def measure() -> Table:
    # The functions' metric documents (Powertools prints them every 100 values even when metrics are
    # disabled) and its warning of an empty flush would be mixed into the tables.
    with local_stack() as stack, redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        _quiet_other_jobs()
        _lifecycle_warm_up()
        first, first_log = storage_limit(1)
        run = pipeline(stack)
        second, _ = storage_limit(2)
    limit = statistics.mean([first, second])
    table = Table(
        f"Local pipeline: {run.tasks} scheduled runs, tick -> RunQueue -> {WORKERS} runner invocations at once "
        "(moto server in its own process)"
    )
    table.add(Figure("storage-bound limit, run lifecycles per second", limit, headline=True))
    table.add(Figure("  before the pipeline", first))
    table.add(Figure("  after the pipeline", second))
    writes = first_log.write_requests().total() / LIMIT_RUNS
    table.add(Figure("  DynamoDB requests per lifecycle (all writes)", first_log.requests().total() / LIMIT_RUNS))
    if run.seconds is None:
        table.add(Figure(f"runs done within {TIMEOUT:g} s (timed out)", run.done, digits=0))
        table.add(Figure("pipeline over the storage-bound limit", 0.0, target=RATIO_TARGET, at_least=True))
    else:
        table.add(Figure("pipeline, runs finished per second", run.tasks_per_second, headline=True))
        table.add(Figure("  tick to the last run done", run.seconds, unit="s", digits=1))
        table.add(Figure("  of which the tick (claims, sends)", run.tick_seconds, unit="s", digits=1))
        table.add(Figure("  moto's CPU time (its own process)", run.moto_seconds, unit="s", digits=1))
        table.add(Figure("  this process's CPU time (tick, pollers, invocations)", run.own_seconds, unit="s", digits=1))
        ratio = run.tasks_per_second / limit
        table.add(Figure("pipeline over the storage-bound limit", ratio, target=RATIO_TARGET, at_least=True))
    table.add(Figure("runs FINISHED", run.finished, digits=0))
    requests = run.log.requests()
    table.add(Figure("pipeline DynamoDB requests per run", requests.total() / run.tasks))
    table.add(Figure("  writes", run.log.write_requests().total() / run.tasks))
    table.add(Figure("  reads", run.log.read_requests().total() / run.tasks))
    table.add(Figure("pipeline SQS requests per run (send, receives, delete)", run.sqs_requests / run.tasks))
    table.notes += [
        f"limit: the claims ({CLAIMS_TOGETHER} to a transaction), starts and finishes of {LIMIT_RUNS} runs "
        f"({writes:.2f} write requests each), from {WORKERS} threads, before and after the pipeline (mean);",
        "  moto serves one DynamoDB request at a time (it is not thread-safe), so both are bound by moto's "
        "service time, in its own process",
        "pipeline: includes the SQS requests (send, receive, delete) and the runner's reads, which the limit leaves "
        "out; moto's times are included in both",
    ]
    return table


def _lifecycle_warm_up() -> None:
    """One lifecycle untimed: clients, connections and PynamoDB's table descriptions made."""
    now = datetime.now(UTC).replace(microsecond=0)
    job = _job(f"{LIMIT_PREFIX}0-warm-up", now - timedelta(seconds=5))
    write_jobs([job])
    _lifecycles([job], now)


if __name__ == "__main__":
    print(measure().render())
