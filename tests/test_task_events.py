"""Task state changes on the default event bus, from the Tasks table's stream (docs/task-events.md):
what an operator's rule receives, what a failed publish does, and the same in the local stack."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamModel

from jobdeck import jobs, store, task_events, tasks
from jobdeck.domain import ActionStep, TaskStatus
from jobdeck.runner import run_message
from jobdeck.telemetry import metrics
from jobdeck_local.lambda_runtime import load_handler
from jobdeck_local.stack import LocalStack, free_port
from jobdeck_local.stream_poller import StreamPoller
from tests.support import make_job, wait_for
from tests.test_event_shapes import conforms

PATTERN = {"source": ["jobdeck"], "detail-type": ["Jobdeck Task State Change"]}


def _follow(endpoint: str | None = None) -> str:
    """What an operator does to follow runs: a rule on the default bus, to a queue of theirs."""
    sqs = boto3.client("sqs", endpoint_url=endpoint)
    url = sqs.create_queue(QueueName="following-runs")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = boto3.client("events", endpoint_url=endpoint)
    bus.put_rule(Name="follow-runs", EventPattern=json.dumps(PATTERN), State="ENABLED")
    bus.put_targets(Rule="follow-runs", Targets=[{"Id": "queue", "Arn": arn}])
    return url


def _received(url: str, endpoint: str | None = None) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", endpoint_url=endpoint)
    found = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        found += [json.loads(m["Body"]) for m in messages]
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        )
    return found


@pytest.fixture
def stream(aws) -> StreamPoller:
    """The stream's event source mapping, read by hand (no thread): two retries, then its queue."""
    poller = StreamPoller(
        "TaskEventsFunction",
        load_handler("TaskEventsFunction"),
        aws.tables["TasksTable"],
        100,
        2,
        aws.queues["TaskEventsDeadLetterQueue"],
        threading.Event(),
    )
    return poller.prime()


def _drain(poller: StreamPoller) -> int:
    """Read the stream to its end, as the mapping would; how many records there were."""
    total = 0
    while read := sum(poller._read(shard) for shard in list(poller.iterators)):
        total += read
    return total


def _run(job_id: str, run_queue) -> str:
    task = tasks.run_now(job_id)
    for message in run_queue.receive():
        run_message(message["Body"], message["MessageId"])
    return task.id


def test_a_rule_on_the_default_bus_receives_each_change_of_a_run_but_queued(aws, run_queue, stream):
    url = _follow()
    jobs.create(make_job("nightly-report", None))
    task_id = _run("nightly-report", run_queue)
    _drain(stream)

    events = _received(url)
    assert [(e["source"], e["detail-type"]) for e in events] == [(PATTERN["source"][0], PATTERN["detail-type"][0])] * 2
    running, finished = (e["detail"] for e in events)
    assert (running["status"], running["previous_status"], finished["status"], finished["previous_status"]) == (
        "RUNNING",
        "QUEUED",
        "FINISHED",
        "RUNNING",
    )
    done = store.get_task("nightly-report", task_id)
    assert finished == {
        "job_id": "nightly-report",
        "job_label": store.get_job("nightly-report").label,
        "task_id": task_id,
        "status": "FINISHED",
        "previous_status": "RUNNING",
        "trigger": "manual",
        "scheduled_for": None,
        "started_at": done.started_at.isoformat(),
        "ended_at": done.ended_at.isoformat(),
        "message": None,
        "attempt": 1,
    }
    # progress saved while RUNNING changes no status: nothing more is announced
    assert _received(url) == []


def test_a_failed_publish_is_read_again_then_dead_lettered_and_the_run_is_untouched(
    aws, run_queue, stream, monkeypatch
):
    url = _follow()
    jobs.create(make_job("failing-announce", None, actions=[ActionStep("log.message", {"message": "hi"})]))
    made = task_events._entry

    def refused_when_finished(change, label):
        entry = made(change, label)
        return {**entry, "Source": ""} if change.task.status is TaskStatus.FINISHED else entry  # EventBridge refuses it

    monkeypatch.setattr(task_events, "_entry", refused_when_finished)
    monkeypatch.setattr(task_events, "sleep", lambda seconds: None)
    task_id = _run("failing-announce", run_queue)
    _drain(stream)

    assert store.get_task("failing-announce", task_id).status is TaskStatus.FINISHED
    # RUNNING went out once: the retries read again from FINISHED's record, the one that failed
    assert [e["detail"]["status"] for e in _received(url)] == ["RUNNING"]
    [dead] = _received(aws.queues["TaskEventsDeadLetterQueue"])
    assert dead["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert dead["DDBStreamBatchInfo"]["streamArn"] == stream.stream_arn


def test_publish_counts_what_went_out_and_what_did_not(aws, run_queue, stream, monkeypatch):
    records: list[dict[str, Any]] = []
    stream.handler = lambda event, context: records.extend(event["Records"]) or {}
    jobs.create(make_job("counted", None))
    _run("counted", run_queue)
    _drain(stream)
    found = task_events.changes(records)
    assert [c.task.status for c in found] == [TaskStatus.RUNNING, TaskStatus.FINISHED]

    metrics.clear_metrics()
    assert task_events.publish(found) is None
    assert metrics.metric_set["TaskEventsPublished"]["Value"] == [2.0]
    monkeypatch.setattr(task_events, "sleep", lambda seconds: None)
    monkeypatch.setattr(task_events, "SOURCE", "")  # every entry refused
    metrics.clear_metrics()
    assert task_events.publish(found) == found[0].sequence
    assert metrics.metric_set["TaskEventsFailed"]["Value"] == [2.0]
    metrics.clear_metrics()


@pytest.fixture
def local_stack() -> Iterator[LocalStack]:
    stack = LocalStack(port=free_port(), api_port=free_port(), run_clock=False).start()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.mark.slow
def test_in_the_local_stack_a_queue_on_a_default_bus_rule_receives_running_and_finished(local_stack):
    url = _follow(local_stack.endpoint)
    jobs.create(make_job("followed", None))
    task = tasks.run_now("followed")

    def both() -> list[dict[str, Any]] | None:
        seen.extend(_received(url, local_stack.endpoint))
        statuses = [e["detail"]["status"] for e in seen if e["detail"]["task_id"] == task.id]
        return seen if statuses == ["RUNNING", "FINISHED"] else None

    seen: list[dict[str, Any]] = []
    wait_for(both)
    assert {e["detail"]["job_id"] for e in seen} == {"followed"}


def test_the_stream_events_the_local_poller_hands_over_are_lambdas(aws, run_queue, stream):
    seen: list[dict[str, Any]] = []
    stream.handler = lambda event, context: seen.append(event) or {}
    jobs.create(make_job("shaped", None))
    _run("shaped", run_queue)
    _drain(stream)
    assert seen
    for event in seen:
        conforms(event, DynamoDBStreamModel)
        assert {r["eventSourceARN"] for r in event["Records"]} == {stream.stream_arn}
