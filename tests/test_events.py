"""Event triggers: S3 objects through EventBridge and EventsQueue, custom events, hooks, console rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest

from jobdeck import jobs, store, system_jobs
from jobdeck.domain import ActionStep, EventFilter, EventSource, EventTrigger, HookTrigger, TaskStatus, TriggerType
from jobdeck.runner import run_message
from jobdeck.store import nodes as node_index
from jobdeck_local.events import sqs_event
from jobdeck_local.lambda_runtime import LambdaContext, load_handler
from tests.support import Api, RunQueue, make_job


class Pipeline:
    """What Lambda does with the two queues: EventsQueue batches to the events function, then
    RunQueue messages to the runner, until both are empty."""

    def __init__(self, aws) -> None:
        self.events = RunQueue(aws.queues["EventsQueue"])
        self.runs = RunQueue(aws.queues["RunQueue"])
        self.arn = aws.queue_arns["EventsQueue"]
        self.handler = load_handler("EventsFunction")
        self.failures: list[str] = []

    def pump(self) -> None:
        while True:
            messages = self.events.receive()
            for start in range(0, len(messages), 10):
                response = self.handler(sqs_event(messages[start : start + 10], self.arn), LambdaContext("events"))
                self.failures += [f["itemIdentifier"] for f in response["batchItemFailures"]]
            runs = self.runs.receive()
            for message in runs:
                run_message(message["Body"], message["MessageId"])
            if not messages and not runs:
                return


@pytest.fixture
def pipeline(aws) -> Pipeline:
    system_jobs.ensure()
    return Pipeline(aws)


def _on_upload(job_id: str, **rule) -> None:
    jobs.create(
        make_job(
            job_id,
            None,
            events=[EventTrigger(EventSource.S3, "ObjectCreated", filter=EventFilter(**rule))],
            actions=[ActionStep("log.message", {"message": "got {{ event.key }} ({{ event.size }} bytes)"})],
        )
    )


def _tasks(job_id: str):
    return store.list_tasks(job_id, limit=1000)


def test_a_matching_upload_runs_the_job_once_with_the_event(pipeline, s3, bucket):
    _on_upload("photos", prefix="inbox/", suffix=".jpg", max_size=1000)
    s3.put_object(Bucket=bucket, Key="inbox/cat photo.jpg", Body=b"x" * 10, ContentType="image/jpeg")
    pipeline.pump()

    [task] = _tasks("photos")
    assert task.status is TaskStatus.FINISHED and task.trigger.type is TriggerType.EVENT
    assert task.trigger.detail["event"]["key"] == "inbox/cat photo.jpg"
    assert task.logs[0].message == "got inbox/cat photo.jpg (10 bytes)"


@pytest.mark.parametrize(
    ("key", "size", "content_type"),
    [("outbox/a.jpg", 10, "image/jpeg"), ("inbox/a.png", 10, "image/png"), ("inbox/big.jpg", 5000, "image/jpeg")],
)
def test_a_non_matching_upload_runs_nothing(pipeline, s3, bucket, key, size, content_type):
    _on_upload("photos", prefix="inbox/", suffix=".jpg", max_size=1000)
    s3.put_object(Bucket=bucket, Key=key, Body=b"x" * size, ContentType=content_type)
    pipeline.pump()
    assert _tasks("photos") == []


def test_glob_and_content_type_filters(pipeline, s3, bucket):
    _on_upload("images", glob="home/*/photos/*", content_type="image/*")
    s3.put_object(Bucket=bucket, Key="home/alice/photos/a", Body=b"x", ContentType="image/png")
    s3.put_object(Bucket=bucket, Key="home/alice/photos/b", Body=b"x", ContentType="text/plain")
    s3.put_object(Bucket=bucket, Key="home/alice/docs/c", Body=b"x", ContentType="image/png")
    pipeline.pump()
    assert [t.trigger.detail["event"]["key"] for t in _tasks("images")] == ["home/alice/photos/a"]


def test_a_delete_routes_to_delete_subscribers_only(pipeline, s3, bucket):
    _on_upload("on-create")
    jobs.create(make_job("on-delete", None, events=[EventTrigger(EventSource.S3, "ObjectRemoved")]))
    s3.put_object(Bucket=bucket, Key="doc.txt", Body=b"x")
    pipeline.pump()
    s3.delete_object(Bucket=bucket, Key="doc.txt")
    pipeline.pump()
    assert len(_tasks("on-create")) == 1
    [removed] = _tasks("on-delete")
    assert removed.trigger.detail["event"]["type"] == "ObjectRemoved"


def test_index_new_uploads_records_and_forgets_objects(pipeline, s3, bucket):
    s3.put_object(Bucket=bucket, Key="docs/report.pdf", Body=b"%PDF", ContentType="application/pdf")
    pipeline.pump()
    assert node_index.node("default", "docs/report.pdf") == {
        "key": "docs/report.pdf",
        "size": 4,
        "etag": s3.head_object(Bucket=bucket, Key="docs/report.pdf")["ETag"].strip('"'),
        "content_type": "application/pdf",
    }
    s3.delete_object(Bucket=bucket, Key="docs/report.pdf")
    pipeline.pump()
    assert node_index.node("default", "docs/report.pdf") is None


def test_a_job_writing_into_its_own_watched_prefix_does_not_loop(pipeline, s3, bucket):
    jobs.create(
        make_job(
            "copier",
            None,
            events=[EventTrigger(EventSource.S3, "ObjectCreated", filter=EventFilter(prefix="inbox/"))],
            actions=[ActionStep("tree.copy", {"destination": "inbox/copies/"})],
        )
    )
    s3.put_object(Bucket=bucket, Key="inbox/a.txt", Body=b"hello", ContentType="text/plain")
    pipeline.pump()

    assert [t.status for t in _tasks("copier")] == [TaskStatus.FINISHED]
    copy = s3.get_object(Bucket=bucket, Key="inbox/copies/a.txt")
    assert copy["Body"].read() == b"hello" and copy["ContentType"] == "text/plain"
    assert len(_tasks("index-new-uploads")) == 2  # other jobs do see the copy


def test_a_duplicate_event_delivery_creates_one_task(pipeline, s3, bucket):
    _on_upload("once")
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"x")
    [message] = pipeline.events.receive()
    for _ in range(3):
        pipeline.handler(sqs_event([message], pipeline.arn), LambdaContext("events"))
    pipeline.pump()
    assert len(_tasks("once")) == 1


def test_a_burst_of_500_uploads_produces_exactly_the_expected_tasks(pipeline, s3, bucket):
    # Routing only (the runs are the runner's tests), and without the index job: moto copies whole
    # tables in every transaction, which would make a thousand runs here take minutes.
    jobs.set_enabled("index-new-uploads", False)
    _on_upload("jpegs", prefix="burst/", suffix=".jpg")
    for i in range(500):
        s3.put_object(Bucket=bucket, Key=f"burst/{i:03}.{'jpg' if i % 5 else 'txt'}", Body=b"x")
    messages = pipeline.events.receive()
    assert len(messages) == 500
    for start in range(0, 500, 10):  # in SQS batches of 10, as the event source mapping reads them
        response = pipeline.handler(sqs_event(messages[start : start + 10], pipeline.arn), LambdaContext("events"))
        assert response == {"batchItemFailures": []}
    tasks = _tasks("jpegs")
    assert len(tasks) == 400 and {t.status for t in tasks} == {TaskStatus.QUEUED}
    assert {t.trigger.detail["event"]["key"] for t in tasks} == {f"burst/{i:03}.jpg" for i in range(500) if i % 5}
    assert len(pipeline.runs.receive()) == 400


def test_a_poison_event_fails_alone_and_its_batch_goes_on(pipeline, s3, bucket):
    _on_upload("steady")
    s3.put_object(Bucket=bucket, Key="ok.txt", Body=b"x")
    [good] = pipeline.events.receive()
    poison = {**good, "MessageId": "poison", "Body": json.dumps({"source": "aws.s3", "detail-type": "Object Created"})}
    response = pipeline.handler(sqs_event([poison, good], pipeline.arn), LambdaContext("events"))
    assert response == {"batchItemFailures": [{"itemIdentifier": "poison"}]}
    pipeline.pump()
    assert len(_tasks("steady")) == 1


def test_a_poison_event_reaches_the_dead_letter_queue(aws):
    sqs = boto3.client("sqs")
    url, dlq = aws.queues["EventsQueue"], aws.queues["EventsDeadLetterQueue"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "0"})
    sqs.send_message(QueueUrl=url, MessageBody="not an event")
    handler = load_handler("EventsFunction")
    for _ in range(6):  # received and failed five times: the redrive policy moves it
        messages = sqs.receive_message(QueueUrl=url, AttributeNames=["All"]).get("Messages", [])
        if messages:
            assert handler(sqs_event(messages, aws.queue_arns["EventsQueue"]), LambdaContext("events"))[
                "batchItemFailures"
            ]
    assert sqs.receive_message(QueueUrl=dlq).get("Messages", [])[0]["Body"] == "not an event"


def test_a_custom_eventbridge_event_matches_on_detail_type_and_detail(pipeline):
    trigger = EventTrigger(
        EventSource.CUSTOM, "OrderPlaced", filter=EventFilter(detail={"order.country": ["FR", "BE"]})
    )
    jobs.create(make_job("orders", None, events=[trigger]))
    events = boto3.client("events")
    for country in ("FR", "US"):
        detail = {"order": {"id": f"o-{country}", "country": country}}
        events.put_events(
            Entries=[{"Source": "jobdeck.custom", "DetailType": "OrderPlaced", "Detail": json.dumps(detail)}]
        )
    events.put_events(Entries=[{"Source": "someone.else", "DetailType": "OrderPlaced", "Detail": "{}"}])
    pipeline.pump()
    [task] = _tasks("orders")
    assert task.trigger.detail["event"]["detail"]["order"]["id"] == "o-FR"


def test_a_hook_call_runs_the_bound_job_with_its_body(pipeline):
    job = make_job(
        "import",
        None,
        hooks=[HookTrigger("import-orders")],
        actions=[ActionStep("log.message", {"message": "{{ event.body.file }} for {{ parameters.team }}"})],
    )
    job.parameters = [__import__("jobdeck.domain", fromlist=["JobParameter"]).JobParameter("team", default="ops")]
    jobs.create(job)
    api = Api()
    reply = api("POST", "/hooks/import-orders", {"file": "orders.csv", "parameters": {"team": "sales"}}, user="alice")
    assert reply.status == 202, reply
    [queued] = reply.json()
    assert queued["trigger"]["type"] == "hook" and queued["trigger"]["by"] == "alice"
    pipeline.pump()
    assert store.get_task("import", queued["id"]).logs[0].message == "orders.csv for sales"

    assert api("POST", "/hooks/import-orders", {"parameters": {"colour": 1}}).status == 422
    assert api("POST", "/hooks/nobody-listens", {}).status == 404


def test_an_admins_only_hook_refuses_other_users(pipeline):
    jobs.create(make_job("guarded", None, hooks=[HookTrigger("deploy", admins_only=True)]))
    api = Api()
    assert api("POST", "/hooks/deploy", {}, user="alice").status == 403
    assert api("POST", "/hooks/deploy", {}).status == 202


def test_a_console_made_rule_runs_the_job_and_is_listed(pipeline, aws):
    jobs.create(make_job("nightly", None))
    events = boto3.client("events")
    events.put_rule(Name="nightly-from-console", ScheduleExpression="cron(0 2 * * ? *)")
    events.put_targets(
        Rule="nightly-from-console",
        Targets=[{"Id": "q", "Arn": aws.queue_arns["RunQueue"], "Input": json.dumps({"job_id": "nightly"})}],
    )
    listed = Api()("GET", "/jobs/nightly/external-triggers").json()
    assert listed == [
        {
            "kind": "eventbridge-rule",
            "name": "nightly-from-console",
            "expression": "cron(0 2 * * ? *)",
            "state": "ENABLED",
        }
    ]

    # what the rule delivers when it fires (moto never fires rules by itself): its input, on RunQueue
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=aws.queues["RunQueue"], MessageBody=json.dumps({"job_id": "nightly"}))
    [message] = pipeline.runs.receive()
    sent_at = datetime.fromtimestamp(int(message["Attributes"]["SentTimestamp"]) / 1000, UTC)
    assert run_message(message["Body"], message["MessageId"], sent_at) is TaskStatus.FINISHED
    assert run_message(message["Body"], message["MessageId"], sent_at) is None  # redelivered: runs once
    [task] = _tasks("nightly")
    assert task.trigger.type is TriggerType.EXTERNAL


def test_a_console_made_scheduler_schedule_is_listed(aws):
    jobs.create(make_job("nightly", None))
    boto3.client("scheduler").create_schedule(
        Name="nightly-report",
        ScheduleExpression="cron(0 2 * * ? *)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": aws.queue_arns["RunQueue"],
            "RoleArn": "arn:aws:iam::123456789012:role/scheduler-to-runqueue",
            "Input": json.dumps({"job_id": "nightly"}),
        },
    )
    listed = Api()("GET", "/jobs/nightly/external-triggers").json()
    assert listed == [
        {"kind": "scheduler-schedule", "name": "nightly-report", "expression": "cron(0 2 * * ? *)", "state": "ENABLED"}
    ]
