"""DynamoDB requests to serve one page of the admin list (50 jobs with their last execution),
with an empty history and with 100 tasks per job: the same, since the job item carries its last
task's summary and the list never reads the history."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

from bench import aws
from bench.report import Figure, Table
from jobdeck.domain import ActionStep, Job, Task, TaskStatus, TriggerInfo, TriggerType, new_task_id
from jobdeck.store.convert import item_from_job, item_from_task
from jobdeck.store.models import JobModel, TaskModel
from jobdeck_local.events import sample
from jobdeck_local.lambda_runtime import LambdaContext, load_handler

JOBS = 60
PAGE = 50
HISTORY = 100
NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)


def measure() -> Table:
    counts: dict[int, aws.CallLog] = {}
    for history in (0, HISTORY):
        with aws.stack():
            _seed(history)
            handler = load_handler("ApiFunction")
            event = copy.deepcopy(sample("api-get-jobs"))
            event["queryStringParameters"], event["rawQueryString"] = {"limit": str(PAGE)}, f"limit={PAGE}"
            with aws.count_dynamodb() as log:
                response = handler(event, LambdaContext.for_function("ApiFunction"))
            page = json.loads(response["body"])
            if response["statusCode"] != 200 or len(page["items"]) != PAGE:
                raise RuntimeError(f"the list did not serve a page of {PAGE}: {response['statusCode']}")
            if history and not all(job["last_task"] for job in page["items"]):
                raise RuntimeError("a row lacks its last execution")
            counts[history] = log
    empty, full = counts[0], counts[HISTORY]
    table = Table(f"Admin list: one page of {PAGE} jobs with their last execution ({JOBS} jobs)")
    table.add(Figure("requests, no history", sum(empty.requests().values()), digits=0))
    table.add(Figure(f"requests, {HISTORY} tasks per job", sum(full.requests().values()), digits=0))
    for operation, count in sorted(full.requests().items()):
        table.add(Figure(f"  {operation}", count, digits=0))
    table.add(Figure(f"items read, {HISTORY} tasks per job", sum(full.items_read().values()), digits=0))
    ratio = sum(full.requests().values()) / max(1, sum(empty.requests().values()))
    table.add(Figure("requests with history / without", ratio, target=1.0))
    return table


def _seed(history: int) -> None:
    with JobModel.batch_write() as jobs_batch, TaskModel.batch_write() as tasks_batch:
        for index in range(JOBS):
            job = Job(
                id=f"list-{index:03}",
                label=f"Listed job {index}",
                owner="bench",
                actions=[ActionStep("log.message", {"message": "hi"})],
            )
            tasks = [finished_task(job.id, NOW - timedelta(minutes=n)) for n in range(history)]
            job.last_task = tasks[0].summary() if tasks else None
            jobs_batch.save(item_from_job(job))
            for task in tasks:
                tasks_batch.save(item_from_task(task, job.history_days))


def finished_task(job_id: str, at: datetime) -> Task:
    """A run of a job that finished two seconds after it started, at `at`."""
    return Task(
        job_id=job_id,
        id=new_task_id(at),
        status=TaskStatus.FINISHED,
        trigger=TriggerInfo(TriggerType.SCHEDULE),
        created_at=at,
        started_at=at,
        ended_at=at + timedelta(seconds=2),
        progress=1.0,
    )
