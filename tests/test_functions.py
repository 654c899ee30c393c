"""The Lambda entry points, loaded as Lambda loads them and fed the sample events of events/."""

from __future__ import annotations

import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import boto3
import pytest

from jobdeck import store, system_jobs
from jobdeck.domain import Task, TaskStatus, TriggerInfo, TriggerType
from jobdeck_local.events import custom_resource_request, sample
from jobdeck_local.lambda_runtime import LambdaContext, load_handler
from tests.support import at


def _invoke(function_id: str, event: dict) -> dict:
    return load_handler(function_id)(event, LambdaContext.for_function(function_id))


def test_tick_function_reports_what_it_fired(aws):
    system_jobs.ensure(now=at("2026-11-25T09:55:00Z"))
    report = _invoke("TickFunction", sample("tick"))
    assert set(report) >= {"due", "claimed", "queued", "failed"}
    assert report["failed"] == 0


def test_runner_function_runs_its_batch_and_reports_only_the_failed_record(aws):
    system_jobs.ensure()
    event = copy.deepcopy(sample("runner-sqs"))
    body = json.loads(event["Records"][0]["body"])
    task = Task(
        job_id=body["job_id"],
        id=body["task_id"],
        status=TaskStatus.QUEUED,
        trigger=TriggerInfo(TriggerType.MANUAL, by="admin"),
        created_at=at("2026-11-25T10:00:00Z"),
    )
    store.add_tasks(store.get_job(body["job_id"]), [task])
    poison = copy.deepcopy(event["Records"][0])
    poison.update(messageId="poison", body="{not json")
    event["Records"].append(poison)

    response = _invoke("RunnerFunction", event)

    assert response == {"batchItemFailures": [{"itemIdentifier": "poison"}]}
    assert store.get_task(task.job_id, task.id).status is TaskStatus.FINISHED


class _CloudFormation(BaseHTTPRequestHandler):
    """Stands in for the presigned S3 URL where a custom resource answers CloudFormation."""

    answers: ClassVar[list[dict]] = []

    def do_PUT(self) -> None:
        length = int(self.headers["Content-Length"])
        _CloudFormation.answers.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def response_url():
    _CloudFormation.answers = []
    server = HTTPServer(("127.0.0.1", 0), _CloudFormation)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/response"
    server.shutdown()


def test_setup_function_registers_system_jobs_and_answers_cloudformation(aws, response_url):
    event = custom_resource_request("Create", response_url)
    _invoke("SetupFunction", event)

    [answer] = _CloudFormation.answers
    assert answer["Status"] == "SUCCESS", answer
    assert answer["LogicalResourceId"] == "SystemJobs"
    assert set(answer["Data"]["registered"].split(",")) == {
        "index-new-uploads",
        "purge-recycle-bin",
        "prune-task-history",
        "reap-stuck-tasks",
        "sync-datasource",
        "thumbnails-on-upload",
        "watch-deadlines",
        "expire-shares",
    }
    purge = store.get_job("purge-recycle-bin")
    assert purge.schedule.expression == "0 0 1 * *" and purge.next_fire_at is not None


def test_setup_function_reports_failure_instead_of_hanging_the_stack(aws, response_url):
    from jobdeck.store.models import JobModel

    # The setup function's own table gone (a table outside its role would be AccessDenied).
    boto3.client("dynamodb").delete_table(TableName=JobModel.Meta.table_name)
    store.reset()
    event = custom_resource_request("Create", response_url)
    _invoke("SetupFunction", event)
    [answer] = _CloudFormation.answers
    assert answer["Status"] == "FAILED"
    assert "ResourceNotFound" in answer["Reason"] or "no-such-table" in answer["Reason"]


def test_setup_function_answers_an_update_and_a_delete_for_the_same_resource(aws, response_url):
    system_jobs.ensure()  # what the Create did
    _invoke("SetupFunction", custom_resource_request("Update", response_url))
    _invoke("SetupFunction", custom_resource_request("Delete", response_url))

    update, delete = _CloudFormation.answers
    assert update["Status"] == delete["Status"] == "SUCCESS", _CloudFormation.answers
    # The physical id CloudFormation sent back: another one would make it delete the old resource.
    assert update["PhysicalResourceId"] == delete["PhysicalResourceId"] == "SystemJobs"
    assert update["Data"]["registered"] == "" and delete["Data"] == {}  # nothing changed since Create


def test_system_jobs_registration_is_idempotent_and_keeps_what_operators_chose(aws):
    from jobdeck import jobs

    assert set(system_jobs.ensure()) == {job.id for job in system_jobs.definitions()}
    jobs.set_enabled("prune-task-history", False)
    assert system_jobs.ensure() == []
    assert store.get_job("prune-task-history").enabled is False


def test_the_datasource_system_jobs_are_registered_with_their_triggers_and_overlap(aws):
    from jobdeck.domain import Overlap

    system_jobs.ensure(now=at("2026-11-25T09:55:00Z"))
    sync = store.get_job("sync-datasource")
    assert sync.schedule.expression == "0 * * * *" and sync.next_fire_at == at("2026-11-25T10:00:00Z")
    assert [step.action for step in sync.actions] == ["datasource.sync"] and sync.overlap is Overlap.SKIP
    thumbs = store.get_job("thumbnails-on-upload")
    [trigger] = thumbs.events
    assert (trigger.type, trigger.filter.content_type) == ("ObjectCreated", "image/*")
    assert (thumbs.overlap, thumbs.max_concurrency, thumbs.concurrency_limit) == (Overlap.ALLOW_ALL, 5, 5)
    assert store.subscribers(trigger.key) and thumbs.id in {job_id for job_id, _ in store.subscribers(trigger.key)}
    expire = store.get_job("expire-shares")
    assert expire.schedule.expression == "30 1 * * *" and expire.next_fire_at == at("2026-11-26T01:30:00Z")
    assert [step.action for step in expire.actions] == ["share.expire"]


def test_a_new_overlap_policy_of_a_system_job_reaches_the_registered_job(aws, monkeypatch):
    from jobdeck.domain import Overlap

    system_jobs.ensure()
    definitions = system_jobs.definitions

    def capped():
        jobs = definitions()
        for job in jobs:
            if job.id == "thumbnails-on-upload":
                job.max_concurrency = 2
        return jobs

    monkeypatch.setattr(system_jobs, "definitions", capped)
    assert system_jobs.ensure() == ["thumbnails-on-upload"]
    assert (store.get_job("thumbnails-on-upload").overlap, store.get_job("thumbnails-on-upload").max_concurrency) == (
        Overlap.ALLOW_ALL,
        2,
    )
