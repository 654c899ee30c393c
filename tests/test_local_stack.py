"""`make run` (docs/local-stack.md): moto endpoint, the template's resources, system jobs, clock, pollers."""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from jobdeck import store
from jobdeck.store import nodes as node_index
from jobdeck_local.stack import LocalStack, free_port
from tests.support import clients_at_once, make_job, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def local_stack() -> Iterator[LocalStack]:
    stack = LocalStack(port=free_port(), api_port=free_port(), clock_period=1.0).start()
    try:
        yield stack
    finally:
        stack.stop()  # also gives the process its environment back


def test_local_stack_fires_a_schedule_and_runs_it_through_the_queue(local_stack):
    from jobdeck import jobs

    aws = boto3.client("dynamodb", endpoint_url=local_stack.endpoint)
    assert {"jobdeck-jobstable", "jobdeck-taskstable"} <= set(aws.list_tables()["TableNames"])
    # the system jobs, and the jobs kept as code in jobs/*.yaml
    assert {"purge-recycle-bin", "prune-task-history", "clean-scratch"} <= {j.id for j in store.all_jobs()}

    soon = (datetime.now(UTC) + timedelta(seconds=3)).replace(microsecond=0)
    jobs.create(make_job("soon", f"at({soon.isoformat()})"))

    task = wait_for(lambda: next((t for t in store.list_tasks("soon") if t.status.value == "FINISHED"), None))
    assert task.scheduled_for == soon
    assert task.started_at >= soon  # delivered by DelaySeconds, not before its second


def test_the_stack_freezes_what_it_holds_once_started_and_lets_go_of_it_at_stop(local_stack):
    # Frozen: the functions, their libraries and the stack's own objects, out of every collection
    # while the stack runs, as in a Lambda environment after its init.
    assert gc.get_freeze_count() > 100_000
    local_stack.stop()
    assert gc.get_freeze_count() == 0


def test_local_stack_wires_the_run_queue_to_its_dead_letter_queue(local_stack):
    sqs = boto3.client("sqs", endpoint_url=local_stack.endpoint)
    url = local_stack.resources.queues["RunQueue"]
    policy = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]
    assert local_stack.resources.queue_arns["RunDeadLetterQueue"] in policy["RedrivePolicy"]


def test_run_command_prints_its_endpoint_and_stops_cleanly_on_ctrl_c(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
    ports = ["--port", str(port), "--api-port", str(free_port())]
    process = subprocess.Popen(
        [sys.executable, "-m", "jobdeck_local", *ports, "--state", str(tmp_path / "state")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        lines = []
        assert process.stdout is not None
        while not any("Ctrl-C" in line for line in lines):
            line = process.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        assert f"http://127.0.0.1:{port}" in "".join(lines)
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=15)
        assert process.returncode == 0, rest
        assert "stopped." in rest
    finally:
        if process.poll() is None:
            process.kill()


def test_an_upload_to_the_local_bucket_starts_the_subscribed_jobs_within_seconds(local_stack):
    s3 = boto3.client("s3", endpoint_url=local_stack.endpoint)
    bucket = local_stack.resources.buckets["DatasourceBucket"]
    s3.put_object(Bucket=bucket, Key="inbox/photo.jpg", Body=b"\xff\xd8jpeg", ContentType="image/jpeg")

    def indexed():
        done = [t for t in store.list_tasks("index-new-uploads") if t.status.value == "FINISHED"]
        return done and node_index.node("default", "inbox/photo.jpg")

    assert wait_for(indexed, timeout=15)["content_type"] == "image/jpeg"
    # The event came in AWS's shape from moto's own process too (moto_event_shapes): with its etag.
    [task] = [t for t in store.list_tasks("index-new-uploads") if t.status.value == "FINISHED"]
    assert task.trigger.detail["event"]["etag"] == s3.head_object(Bucket=bucket, Key="inbox/photo.jpg")["ETag"].strip(
        '"'
    )


def test_the_api_answers_200_requests_from_50_clients_at_once_all_with_200(local_stack):
    """Run Now pressed by sixty people at once got "connection reset by peer" on some of them."""
    outcomes = clients_at_once(local_stack.api.port, local_stack.api.tokens.mint("admin"), clients=50, each=4)
    assert outcomes.count(200) == 200
    assert sorted(map(str, outcomes)) == ["200"] * 200 + ["kept alive"] * 50


def test_the_stack_attaches_datasources_their_uploads_reach_the_events_function(monkeypatch):
    """`--datasource`: the buckets made at the endpoint, their EventBridge notifications on, the rule
    and the roles naming them, and an upload to each delivered to the events function as the stack's
    own bucket's are (which datasource it is, routing says)."""
    from jobdeck_local import stack as stack_module

    delivered: list[dict] = []
    load = stack_module.load_handler

    def recording(function_id):
        handler = load(function_id)
        if function_id != "EventsFunction":
            return handler

        def events(event, context):
            delivered.extend(json.loads(record["body"]) for record in event["Records"])
            return handler(event, context)

        return events

    monkeypatch.setattr(stack_module, "load_handler", recording)
    spec = "photos=photos-bucket,archive=archive-bucket/2024/"
    stack = LocalStack(port=free_port(), api_port=0, run_api=False, run_clock=False, datasources=spec).start()
    try:
        s3 = boto3.client("s3", endpoint_url=stack.endpoint)
        for bucket in ("photos-bucket", "archive-bucket"):
            assert "EventBridgeConfiguration" in s3.get_bucket_notification_configuration(Bucket=bucket)
        assert os.environ["JOBDECK_DATASOURCES"] == spec
        assert "datasources:         default=s3://jobdeck-datasourcebucket/, photos=s3://photos-bucket/, " in (
            stack.banner()
        )
        s3.put_object(Bucket="photos-bucket", Key="a.jpg", Body=b"a")
        s3.put_object(Bucket="archive-bucket", Key="2024/b.txt", Body=b"b")

        def arrived():
            return {(e["detail"]["bucket"]["name"], e["detail"]["object"]["key"]) for e in delivered}

        wait_for(lambda: len(arrived()) == 2, timeout=20)
        assert arrived() == {("photos-bucket", "a.jpg"), ("archive-bucket", "2024/b.txt")}
    finally:
        stack.stop()
