"""What Jobdeck costs in AWS: per million scheduled runs, and per month at idle, from the requests,
durations and log bytes measured here (moto in-process, the functions' own handlers) and AWS's
public prices.

Measured: trivial scheduled runs (one log.message step: the tick's claim and send, the runner's
invocation), `RUNS_PER_TICK` due in each tick, as a million runs a month make them (23 a minute),
and `SPARSE` alone in their tick; an idle tick (nothing due); one run of each scheduled system
job (and job kept as code) on an empty deployment, which is what idle means here: no job of the
users, the deployment's own jobs still run. Counted: every AWS request the functions make, the
DynamoDB capacity those requests consume (from the items' measured sizes), the handlers' wall time,
the bytes they log (Powertools' INFO lines and the embedded metric documents, as deployed) and the
metric series those documents create.

Modelled, and said so in the notes: what Lambda's SQS event source mapping does (one receive and one
delete per message at batch size 1, and long polls on idle queues), Lambda's own log lines, the
EventBridge rule that ticks, and the fixed monthly items of the template (alarms, dashboard).
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import time_machine

from bench import aws
from bench.prices import (
    CLOUDWATCH_PER_METRIC_MONTH,
    MONTH_HOURS,
    MONTH_MINUTES,
    Costs,
    Usage,
)
from bench.report import Figure, Table
from jobdeck import jobs_as_code, lifecycle, store, system_jobs
from jobdeck.domain import ActionStep, Job, ScheduleSpec
from jobdeck.schedules import parse
from jobdeck.store.convert import item_from_job
from jobdeck.store.models import JobModel, TaskModel
from jobdeck_local import template
from jobdeck_local.events import scheduled_event, sqs_event
from jobdeck_local.lambda_runtime import LambdaContext, load_handler

# A million runs in a 30-day month are 23.1 a minute: the tick claims and sends that many at a time
# (its own costs shared by them, ten messages to a send), and that is how they are measured.
RUNS_PER_TICK = math.ceil(1_000_000 / MONTH_MINUTES)
TICKS = 2  # ticks of RUNS_PER_TICK runs measured (their runs' mean is used)
SPARSE = 5  # runs measured alone in their tick, as when fewer than 43,200 runs a month come one a minute
# What the cost of a million runs was before issue 23: the runner waited for its slot (0.5 s, modelled),
# one run a tick (bench/results/history.jsonl, the run of 2026-12-08 00:44).
BEFORE_PER_MILLION = 18.66
START = datetime(2030, 4, 1, 0, 0, 10, tzinfo=UTC)
# Assumptions (not measurable here).
LAMBDA_PLATFORM_LOG_BYTES = 330  # START, END and REPORT lines per invocation (text format)
ESM_IDLE_POLLERS = 5  # Lambda starts 5 pollers per SQS event source mapping
ESM_LONG_POLL_SECONDS = 20  # each an empty long poll of 20 s on an idle queue
SQS_EVENT_SOURCES = 2  # RunQueue (runner) and EventsQueue (events)


# ---------------------------------------------------------------------- measuring


@dataclass
class Invocation:
    """One function invocation as measured."""

    seconds: float
    requests: Counter[tuple[str, str]]
    dynamodb: aws.CallLog
    output: str  # what it logged (stdout)
    series: set[tuple[str, str, tuple[tuple[str, str], ...]]] = field(default_factory=set)

    @property
    def log_bytes(self) -> int:
        return len(self.output.encode()) + LAMBDA_PLATFORM_LOG_BYTES

    def __post_init__(self) -> None:
        self.series = metric_series(self.output)


def metric_series(output: str) -> set[tuple[str, str, tuple[tuple[str, str], ...]]]:
    """The custom metrics (namespace, name, dimensions) of the embedded metric documents logged."""
    found = set()
    for line in output.splitlines():
        if '"_aws"' not in line:
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"]:
                dimensions = tuple(sorted((name, str(document[name])) for name in dimension_set))
                for metric in directive["Metrics"]:
                    found.add((directive["Namespace"], metric["Name"], dimensions))
    return found


def invoke(handler: Callable[[dict[str, Any], Any], Any], event: dict[str, Any], function_id: str) -> Invocation:
    with aws.count_dynamodb() as log, aws.count_requests() as requests, aws.captured_stdout() as output:
        started = time.perf_counter()
        handler(event, LambdaContext.for_function(function_id))
        seconds = time.perf_counter() - started
    return Invocation(seconds, requests, log, output[0])


def read_units(log: aws.CallLog) -> float:
    """Read request units: 1 per item of a strongly consistent GetItem or BatchGetItem (Jobdeck's:
    items well under 4 KB; a run's read of its task and job is one), 0.5 per eventually consistent
    Query or Scan page (indexes are; the items read are small)."""
    units = 0.0
    for call in log.calls:
        if call.operation in ("GetItem", "TransactGetItems"):
            units += 1.0 if call.operation == "GetItem" else 2.0
        elif call.operation in ("Query", "Scan"):
            units += 0.5 * max(1, math.ceil(call.items_read / 4))  # ~1 KB items: 4 per 4 KB
        elif call.operation == "BatchGetItem":
            units += 1.0 * max(1, call.items_read)
    return units


def item_bytes(attributes: dict[str, Any]) -> int:
    """DynamoDB's size of an item: attribute names plus values (strings and binaries by length,
    numbers about one byte per two digits, maps and lists 3 bytes plus their elements)."""

    def value(v: dict[str, Any]) -> int:
        ((kind, data),) = v.items()
        if kind in ("S", "B"):
            return len(data.encode() if isinstance(data, str) else data)
        if kind == "N":
            return math.ceil(len(data.strip("-").replace(".", "")) / 2) + 1
        if kind in ("BOOL", "NULL"):
            return 1
        if kind == "M":
            return 3 + sum(len(k.encode()) + value(x) for k, x in data.items())
        if kind == "L":
            return 3 + sum(1 + value(x) for x in data)
        if kind in ("SS", "NS", "BS"):
            return sum(len(str(x)) for x in data)
        return len(json.dumps(data))

    return sum(len(name.encode()) + value(v) for name, v in attributes.items())


def _due_now(job: Job) -> None:
    """The job's next run a few seconds ago: the next tick claims it and sends it at once."""
    job.next_fire_at = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5)
    item_from_job(job).save()


def _not_due(job: Job) -> None:
    if job.next_fire_at is not None:
        job.next_fire_at = START + timedelta(days=60)  # after every instant the measurement travels to
        item_from_job(job).save()


@dataclass
class Run:
    tick: Invocation  # the tick that claimed it
    runner: Invocation
    job_bytes: int
    task_bytes: int
    runs_in_tick: int = 1  # the runs that tick claimed, which share its costs


def one_tick(due: list[Job], tick: Callable[..., Any], runner: Callable[..., Any], queue: tuple[str, str]) -> list[Run]:
    """Tick (the jobs due), then the runner on each message the tick sent, as the event source
    mapping would pass it (received and deleted by the benchmark, outside the counts)."""
    url, arn = queue
    sqs = boto3.client("sqs")
    for job in due:
        _due_now(job)
    claimed = invoke(tick, scheduled_event(), "TickFunction")
    messages: list[Any] = []
    while len(messages) < len(due) and (
        got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages")
    ):
        messages += got
    if len(messages) != len(due):
        raise RuntimeError(f"{len(due)} jobs due: the tick sent {len(messages)} messages")
    runs = []
    for message in messages:
        ran = invoke(runner, sqs_event([message], arn), "RunnerFunction")
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        body = json.loads(message["Body"])
        task = TaskModel.get(body["job_id"], body["task_id"])
        if task.status != "FINISHED":
            raise RuntimeError(f"{body['job_id']}: the run ended {task.status}")
        job_bytes = item_bytes(JobModel.get(body["job_id"]).serialize())
        runs.append(Run(claimed, ran, job_bytes, item_bytes(task.serialize()), len(due)))
    for job in due:
        if (current := store.get_job(job.id)) is not None:
            _not_due(current)
    return runs


@dataclass
class Measured:
    runs: list[Run]  # RUNS_PER_TICK a tick
    sparse: list[Run]  # one a tick
    idle_tick: Invocation
    system_runs: dict[str, tuple[int, Run]]  # job id -> (its runs in a 30-day month, one run measured)


def runs_per_month(job: Job) -> int:
    assert job.schedule is not None
    schedule = parse(job.schedule.expression, job.schedule.timezone)
    start = datetime(2030, 4, 1, tzinfo=UTC)  # a 30-day month
    end, count, at = start + timedelta(days=30), 0, schedule.next(start - timedelta(microseconds=1))
    while at is not None and at < end:
        count += 1
        at = schedule.next(at)
    return count


def _trivial(index: int) -> Job:
    return Job(
        id=f"bench-cost-{index:03}",
        label=f"Bench cost {index}",
        owner="bench",
        schedule=ScheduleSpec("0 3 * * *"),
        actions=[ActionStep("log.message", {"message": "hello from the benchmark"})],
        created_at=datetime.now(UTC) - timedelta(days=1),
        updated_at=datetime.now(UTC) - timedelta(days=1),
    )


def measure_all(ticks: int = TICKS, runs_per_tick: int = RUNS_PER_TICK, sparse: int = SPARSE) -> Measured:
    jobdeck_logger = logging.getLogger("jobdeck")  # Powertools' Logger of every jobdeck module
    saved_level = jobdeck_logger.level
    try:
        with aws.stack() as resources:  # the environment is put back after
            system_jobs.ensure()
            jobs_as_code.install(template.ROOT / "jobs")
            queue = resources.queues["RunQueue"], resources.queue_arns["RunQueue"]
            # As deployed: the template's LogLevel (INFO), metrics on.
            os.environ.update(POWERTOOLS_LOG_LEVEL="INFO", POWERTOOLS_METRICS_DISABLED="false")
            jobdeck_logger.setLevel(logging.INFO)
            tick, runner = load_handler("TickFunction"), load_handler("RunnerFunction")
            scheduled = [job for job in store.all_jobs() if job.schedule is not None and job.enabled]
            for job in scheduled:
                _not_due(job)
            # Each tick at its own instant, 10 s past a minute and 10 minutes after the last: the job
            # measured is due 5 s before, and no other slot of any schedule falls in the tick's look-ahead.
            instants = (START + timedelta(minutes=10 * n) for n in range(10_000))
            with time_machine.travel(next(instants), tick=False):
                invoke(tick, scheduled_event(), "TickFunction")  # warm-up: clients, connections, caches
            with time_machine.travel(next(instants), tick=False):
                idle_tick = invoke(tick, scheduled_event(), "TickFunction")
            numbers = iter(range(10_000))
            with time_machine.travel(next(instants), tick=False):  # warms the runner up
                one_tick([_trivial(next(numbers))], tick, runner, queue)
            trivial: list[Run] = []
            for _ in range(ticks):
                with time_machine.travel(next(instants), tick=False):
                    due = [_trivial(next(numbers)) for _ in range(runs_per_tick)]
                    trivial += one_tick(due, tick, runner, queue)
            alone: list[Run] = []
            for _ in range(sparse):
                with time_machine.travel(next(instants), tick=False):
                    alone += one_tick([_trivial(next(numbers))], tick, runner, queue)
            system = {}
            for job in scheduled:
                with time_machine.travel(next(instants), tick=False):
                    system[job.id] = (runs_per_month(job), one_tick([job], tick, runner, queue)[0])
    finally:
        jobdeck_logger.setLevel(saved_level)
    return Measured(trivial, alone, idle_tick, system)


# ---------------------------------------------------------------------- pricing


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def memory_gb(function_id: str) -> float:
    doc = template.load()
    props = doc["Resources"][function_id]["Properties"]
    return int(props.get("MemorySize", doc["Globals"]["Function"].get("MemorySize", 128))) / 1024


def write_units(log: aws.CallLog, job_bytes: int, task_bytes: int) -> float:
    """Write request units of the writes in `log`: an item costs one per KB (rounded up), two in a
    transaction. A run's transactions write its job and its task (sizes measured), the others one
    item each (sized as the larger of the two: an upper bound)."""
    job_units, task_units = math.ceil(job_bytes / 1024), math.ceil(task_bytes / 1024)
    units = 0.0
    for call in log.calls:
        if not call.is_write or not call.items_written:
            continue
        if call.transactional:
            units += 2 * (job_units + (call.items_written - 1) * task_units)
        else:
            units += call.items_written * max(job_units, task_units)
    return units


# The tick sends a message when its slot is a whole number of seconds away, less ALIGN_EARLY
# (lifecycle): the message comes at most that early, and its runner waits at most that (less its read).
SLOT_WAIT_SECONDS = lifecycle.ALIGN_EARLY
WAIT_BEFORE = 0.5  # before: sent at any point of a second, the message came 0 to 1 s early
# The tick fires at any point of its second, so it waits half a second on average for the moment to
# send; once a tick (a burst of sends shares the wait), so its runs share it.
TICK_ALIGN_SECONDS = 0.5 - lifecycle.ALIGN_EARLY


def _usage(invocation: Invocation, function_id: str, job_bytes: int = 1024, task_bytes: int = 1024) -> Usage:
    sqs = sum(n for (service, _), n in invocation.requests.items() if service == "sqs")
    return Usage(
        lambda_requests=1,
        gb_seconds=math.ceil(invocation.seconds * 1000) / 1000 * memory_gb(function_id),
        write_units=write_units(invocation.dynamodb, job_bytes, task_bytes),
        read_units=read_units(invocation.dynamodb),
        sqs_requests=sqs,
        log_bytes=invocation.log_bytes,
    )


def _alarm_metrics(alarm: dict[str, Any]) -> int:
    """What an alarm costs in alarm metrics: one, or each metric a metric-math alarm reads."""
    metrics = alarm["Properties"].get("Metrics")
    return sum(1 for m in metrics if "MetricStat" in m) if metrics else 1


def run_usage(run: Run, idle_tick: Invocation, wait: float = SLOT_WAIT_SECONDS) -> Usage:
    """A scheduled run: the runner's invocation, and its share of what claiming its tick's runs
    added to that tick (not the tick itself: it runs every minute anyway), with the tick's wait to
    send on time; the event source mapping's receive and delete. `wait`: the runner's for its slot."""
    runner = _usage(run.runner, "RunnerFunction", run.job_bytes, run.task_bytes)
    tick, idle = _usage(run.tick, "TickFunction", run.job_bytes, run.task_bytes), _usage(idle_tick, "TickFunction")
    aligning = TICK_ALIGN_SECONDS * memory_gb("TickFunction") if wait < WAIT_BEFORE else 0.0
    tick_share = Usage(
        gb_seconds=max(0.0, tick.gb_seconds - idle.gb_seconds) + aligning,
        write_units=tick.write_units - idle.write_units,
        read_units=max(0.0, tick.read_units - idle.read_units),
        sqs_requests=tick.sqs_requests - idle.sqs_requests,
        log_bytes=max(0.0, tick.log_bytes - idle.log_bytes),
    ) * (1 / run.runs_in_tick)
    # The runs measured here were due already: the runner's wait for the slot is added (modelled).
    waited = Usage(gb_seconds=wait * memory_gb("RunnerFunction"))
    return runner + tick_share + waited + Usage(sqs_requests=2)  # ESM: ReceiveMessage, DeleteMessage (batch of 1)


def metric_months(m: Measured) -> float:
    """Custom metrics, in metric-months: each series counts for the hours it is published in (a
    source that publishes at least hourly covers all 720; a daily one 30), at most the whole month."""
    hours: Counter[tuple[str, str, tuple[tuple[str, str], ...]]] = Counter()
    for series in m.idle_tick.series:
        hours[series] += MONTH_HOURS
    for per_month, run in m.system_runs.values():
        for series in run.runner.series | run.tick.series:
            hours[series] += min(MONTH_HOURS, per_month)
    return sum(min(MONTH_HOURS, h) for h in hours.values()) / MONTH_HOURS


def mean_usage(runs: list[Run], idle_tick: Invocation, wait: float = SLOT_WAIT_SECONDS) -> Usage:
    total = Usage()
    for run in runs:
        total = total + run_usage(run, idle_tick, wait)
    return total * (1 / len(runs))


def per_million(usage: Usage) -> float:
    return sum(usage.dollars().values()) * 1_000_000


def costs(m: Measured) -> Costs:
    per_run = mean_usage(m.runs, m.idle_tick)
    idle = _usage(m.idle_tick, "TickFunction") * MONTH_MINUTES
    system_runs = 0
    for per_month, run in m.system_runs.values():
        idle = idle + run_usage(run, m.idle_tick) * per_month
        system_runs += per_month
    resources = template.load()["Resources"].values()
    return Costs(
        per_run=per_run,
        idle=idle,
        idle_metric_months=metric_months(m),
        alarms=sum(_alarm_metrics(r) for r in resources if r["Type"] == "AWS::CloudWatch::Alarm"),
        dashboards=sum(1 for r in resources if r["Type"] == "AWS::CloudWatch::Dashboard"),
        esm_idle_receives=SQS_EVENT_SOURCES * ESM_IDLE_POLLERS * MONTH_MINUTES * 60 / ESM_LONG_POLL_SECONDS,
        system_runs=system_runs,
    )


def measure() -> Table:
    m = measure_all()
    c = costs(m)
    table = Table("AWS cost, us-east-1 on-demand list prices of November 2026, from the requests measured here")
    every = f"{RUNS_PER_TICK} a tick"
    table.add(Figure(f"AWS cost per million scheduled runs ({every})", per_million(c.per_run), "$", headline=True))
    table.add(Figure("  before issue 23 (one a tick, the runner's wait 0.5 s)", BEFORE_PER_MILLION, "$", headline=True))
    waited = per_million(mean_usage(m.runs, m.idle_tick, WAIT_BEFORE))
    table.add(Figure(f"  {every}, the runner waiting 0.5 s as before", waited, "$", headline=True))
    table.add(Figure("  one a tick (below 43,200 runs a month)", per_million(mean_usage(m.sparse, m.idle_tick)), "$"))
    alone_waited = per_million(mean_usage(m.sparse, m.idle_tick, WAIT_BEFORE))
    table.add(Figure("  one a tick, the runner waiting 0.5 s as before", alone_waited, "$"))
    for name, dollars in c.per_million().items():
        table.add(Figure(f"  {name}", dollars, "$"))
    table.add(Figure("    Lambda: runner invocations per run", c.per_run.lambda_requests))
    runner_ms = _mean([r.runner.seconds for r in m.runs]) * 1000
    table.add(Figure(f"    Lambda: runner duration ({memory_gb('RunnerFunction'):g} GB)", runner_ms, "ms", digits=0))
    table.add(Figure("    Lambda: runner's wait for the slot (modelled)", SLOT_WAIT_SECONDS * 1000, "ms", digits=0))
    table.add(Figure("      before issue 23", WAIT_BEFORE * 1000, "ms", digits=0))
    table.add(
        Figure("    Lambda: the tick's wait to send on time (modelled)", TICK_ALIGN_SECONDS * 1000, "ms", digits=0)
    )
    table.add(Figure(f"      a run's share, {every}", TICK_ALIGN_SECONDS / RUNS_PER_TICK * 1000, "ms", digits=0))
    table.add(Figure("    DynamoDB write units per run", c.per_run.write_units))
    table.add(Figure("    DynamoDB read units per run", c.per_run.read_units))
    table.add(Figure("    SQS requests per run (send, receive, delete)", c.per_run.sqs_requests))
    table.add(Figure("    bytes logged per run", c.per_run.log_bytes, digits=0))
    idle_items = c.idle_month()
    table.add(Figure("AWS cost at idle, per month (list prices)", sum(idle_items.values()), "$", headline=True))
    for name, dollars in sorted(idle_items.items(), key=lambda item: -item[1]):
        table.add(Figure(f"  {name}", dollars, "$"))
    table.add(Figure("    ticks per month", MONTH_MINUTES, digits=0))
    table.add(Figure("    DynamoDB requests per idle tick", m.idle_tick.dynamodb.requests().total(), digits=0))
    tick_ms = m.idle_tick.seconds * 1000
    table.add(Figure(f"    Lambda: idle tick duration ({memory_gb('TickFunction'):g} GB)", tick_ms, "ms", digits=0))
    table.add(Figure("    the deployment's own scheduled runs per month", c.system_runs, digits=0))
    table.add(Figure("    custom metric series at idle", len(_idle_series(m)), digits=0))
    table.add(Figure("    custom metrics, metric-months", c.idle_metric_months))
    table.add(Figure("    alarms", c.alarms, digits=0))
    after_free_tiers = c.idle_month_after_free_tiers()
    table.add(Figure("AWS cost at idle, per month, after the free tiers", after_free_tiers, "$", headline=True))
    sizes = m.runs[-1]
    table.notes += [
        f"measured: {len(m.runs)} trivial runs, {RUNS_PER_TICK} due a tick (a million a month: 23.1 a minute),",
        f"  {len(m.sparse)} alone in their tick (tick claim and send, runner) and an idle tick, in-process moto, the",
        "  functions' handlers with the template's environment (INFO logs, metrics on); the system jobs and jobs kept",
        f"  as code, one run each on an empty deployment ({', '.join(sorted(m.system_runs))})",
        f"  item sizes: job {sizes.job_bytes} B, task {sizes.task_bytes} B (a write unit per KB, two in a "
        "transaction);",
        "  reads: 1 unit per item of a consistent GetItem or BatchGetItem, 0.5 per Query page",
        "  Lambda duration: the handler's wall time here (moto's emulation standing in for DynamoDB's latency) x the",
        "  template's MemorySize; INIT (billed since August 2025) left out: a cold start's share depends on traffic",
        f"modelled: a run's wait for its slot in the runner, at most {SLOT_WAIT_SECONDS:g} s (the tick sends when",
        f"  the slot is whole seconds away, less that), the tick's wait for that moment, {TICK_ALIGN_SECONDS:g} s on",
        f"  average once a tick; before issue 23 the message came 0-1 s early, the runner waiting {WAIT_BEFORE:g} s;",
        "modelled: the SQS event source mapping receives and deletes each message (batch size 1) and, on an idle",
        f"  queue, {ESM_IDLE_POLLERS} pollers long-poll {ESM_LONG_POLL_SECONDS} s each: "
        f"{c.esm_idle_receives:,.0f} empty receives a month on {SQS_EVENT_SOURCES} queues (assumed, not documented);",
        f"  Lambda's START/END/REPORT lines, {LAMBDA_PLATFORM_LOG_BYTES} B per invocation; the tick's scheduled rule: "
        "no EventBridge charge;",
        "  DynamoDB storage and backups (PITR) of an idle deployment: cents; API Gateway, Cognito (free tier): "
        "nothing at idle;",
        "  metrics: prorated by the hours they are published in; each job with runs adds its own series "
        f"(TasksFinished by job_id): ${CLOUDWATCH_PER_METRIC_MONTH:.2f} a month if it runs every hour",
        "  free tiers are per account, shared with whatever else runs in it; the runner's duration was measured on a "
        "loaded, shared machine",
        "prices: see the constants and their URLs in bench/prices.py",
    ]
    return table


def _idle_series(m: Measured) -> set[tuple[str, str, tuple[tuple[str, str], ...]]]:
    found = set(m.idle_tick.series)
    for _, run in m.system_runs.values():
        found |= run.runner.series | run.tick.series
    return found


if __name__ == "__main__":
    print(measure().render())
