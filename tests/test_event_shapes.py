"""Every event a handler gets has the shape AWS documents: each file of events/ and each event the
local stack builds (the scheduled event, SQS records, the S3 and custom events moto delivers through
EventBridge, API Gateway's requests with JWT claims, CloudFormation's custom resource requests)
validates against Powertools' parser model of that AWS event, and holds no key the model does not
name: the models ignore unknown keys, so moto's `eTag` for `etag` passed them. The handlers then
take AWS's own samples."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
import time_machine
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayProxyEventV2Model,
    CloudFormationCustomResourceCreateModel,
    CloudFormationCustomResourceDeleteModel,
    CloudFormationCustomResourceUpdateModel,
    DynamoDBStreamModel,
    EventBridgeModel,
    S3EventNotificationEventBridgeModel,
    SqsModel,
)
from pydantic import BaseModel

from jobdeck import jobs, store, system_jobs
from jobdeck.domain import EventFilter, EventSource, EventTrigger
from jobdeck_local.events import custom_resource_request, sample, scheduled_event, sqs_event
from jobdeck_local.http_front import HttpFront, Request, Route
from jobdeck_local.lambda_runtime import LambdaContext, load_handler
from jobdeck_local.template import ROOT
from tests.support import RunQueue, make_job

# Each sample's model; for an SQS event, also the model of its records' bodies.
SAMPLES: dict[str, tuple[type[BaseModel], type[BaseModel] | None]] = {
    "tick": (EventBridgeModel, None),
    "runner-sqs": (SqsModel, None),
    "events-s3-object-created": (SqsModel, S3EventNotificationEventBridgeModel),
    "events-s3-object-deleted": (SqsModel, S3EventNotificationEventBridgeModel),
    "events-custom": (SqsModel, EventBridgeModel),
    "api-get-jobs": (APIGatewayProxyEventV2Model, None),
    "api-post-run": (APIGatewayProxyEventV2Model, None),
    "setup-create": (CloudFormationCustomResourceCreateModel, None),
    "setup-update": (CloudFormationCustomResourceUpdateModel, None),
    "setup-delete": (CloudFormationCustomResourceDeleteModel, None),
    "task-events-stream": (DynamoDBStreamModel, None),
}


# A DynamoDB stream record's item images, which the model turns from DynamoDB's JSON into values:
# their keys are the item's attributes, no field of the event's to check.
ITEM_IMAGES = {"Keys", "NewImage", "OldImage"}


def unknown_keys(data: Any, known: Any, path: str = "") -> list[str]:
    """The keys of `data` that `known` (the model's dump of it) lacks: what the model did not read."""
    if isinstance(data, dict) and isinstance(known, dict):
        return [
            found
            for key, value in data.items()
            if key not in ITEM_IMAGES or not path.endswith("dynamodb.")
            for found in ([f"{path}{key}"] if key not in known else unknown_keys(value, known[key], f"{path}{key}."))
        ]
    if isinstance(data, list) and isinstance(known, list):
        pairs = enumerate(zip(data, known, strict=False))
        return [found for i, (a, b) in pairs for found in unknown_keys(a, b, f"{path}{i}.")]
    return []


def conforms(event: dict[str, Any], model: type[BaseModel], body: type[BaseModel] | None = None) -> None:
    """`event` validates against `model` with nothing the model does not name; so does each SQS
    record's body against `body`."""
    parsed = model.model_validate(event)
    assert unknown_keys(event, parsed.model_dump(by_alias=True, exclude_unset=True)) == [], model.__name__
    if body is not None:
        for record in event["Records"]:
            conforms(json.loads(record["body"]), body)


# ------------------------------------------------------------------ events/


def test_every_sample_has_its_model():
    assert {path.stem for path in (ROOT / "events").glob("*.json")} == set(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_sample_is_the_aws_event_it_stands_for(name):
    conforms(sample(name), *SAMPLES[name])


def test_the_checks_catch_a_key_the_model_does_not_name():
    event = sample("events-s3-object-created")
    body = json.loads(event["Records"][0]["body"])
    body["detail"]["object"]["eTag"] = body["detail"]["object"].pop("etag")  # moto's spelling
    altered = {"Records": [{**event["Records"][0], "body": json.dumps(body)}]}
    with pytest.raises(AssertionError):
        conforms(altered, SqsModel, S3EventNotificationEventBridgeModel)


# ------------------------------------------------------------------ what the local stack builds


def test_the_scheduled_event_is_eventbridges():
    event = scheduled_event()
    conforms(event, EventBridgeModel)
    assert (event["source"], event["detail-type"], event["detail"]) == ("aws.events", "Scheduled Event", {})


def test_sqs_records_are_lambdas_with_message_attributes_in_its_spelling(aws):
    sqs, queue = boto3.client("sqs"), aws.queues["RunQueue"]
    sqs.send_message(
        QueueUrl=queue,
        MessageBody='{"job_id": "x"}',
        MessageAttributes={
            "origin": {"DataType": "String", "StringValue": "console"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    messages = sqs.receive_message(QueueUrl=queue, AttributeNames=["All"], MessageAttributeNames=["All"])["Messages"]
    event = sqs_event(messages, aws.queue_arns["RunQueue"])
    conforms(event, SqsModel)
    [record] = event["Records"]
    assert record["messageAttributes"] == {
        "origin": {"dataType": "String", "stringValue": "console", "stringListValues": [], "binaryListValues": []},
        "blob": {"dataType": "Binary", "binaryValue": "AAE=", "stringListValues": [], "binaryListValues": []},
    }
    assert record["md5OfMessageAttributes"] == messages[0]["MD5OfMessageAttributes"]


def test_the_s3_and_custom_events_moto_delivers_are_awss(aws, s3, bucket):
    s3.put_object(Bucket=bucket, Key="inbox/a.txt", Body=b"hello")
    s3.put_object(Bucket=bucket, Key="inbox/a.txt", Body=b"hello again")
    s3.delete_object(Bucket=bucket, Key="inbox/a.txt")
    boto3.client("events").put_events(
        Entries=[{"Source": "jobdeck.custom", "DetailType": "OrderPlaced", "Detail": '{"order": {"id": "o-1"}}'}]
    )
    messages = RunQueue(aws.queues["EventsQueue"]).receive()
    event = sqs_event(messages, aws.queue_arns["EventsQueue"])
    conforms(event, SqsModel)
    bodies = [json.loads(record["body"]) for record in event["Records"]]
    s3_events = [b for b in bodies if b["source"] == "aws.s3"]
    for body in s3_events:
        conforms(body, S3EventNotificationEventBridgeModel)
    [custom] = [b for b in bodies if b["source"] == "jobdeck.custom"]
    conforms(custom, EventBridgeModel)

    first, second, deleted = sorted(s3_events, key=lambda b: b["detail"]["object"]["sequencer"])
    assert len({b["id"] for b in s3_events}) == 3  # one id per event, not the documentation's example's
    assert [b["detail"]["reason"] for b in (first, second, deleted)] == ["PutObject", "PutObject", "DeleteObject"]
    assert first["detail"]["object"]["etag"] == hashlib.md5(b"hello").hexdigest()  # S3's ETag of a plain put
    assert second["detail"]["object"]["size"] == len(b"hello again")
    assert deleted["detail"]["object"].keys() == {"key", "sequencer"}  # S3 says nothing of a gone object's size
    assert deleted["detail"]["deletion-type"] == "Permanently Deleted"
    assert custom["account"] == first["account"] == "123456789012"


def _front() -> HttpFront:
    return HttpFront(handler=lambda event, context: None, port=0, routes=[Route("ANY", "/{proxy+}")])


@pytest.mark.parametrize(
    "request_",
    [
        Request("GET", "/jobs?limit=5&kind=custom&kind=user", [("Cookie", "a=1; b=2")]),
        Request("POST", "/jobs/x/run", [("Content-Type", "application/json")], b'{"parameters": {}}'),
        Request("PUT", "/files/x", [("Content-Type", "image/png")], b"\x89PNG\r\n"),
        Request("DELETE", "/jobs/x%20y"),
    ],
    ids=["query-and-cookies", "json-body", "binary-body", "encoded-path"],
)
def test_the_local_api_gateways_events_are_http_api_v2_with_jwt_claims(request_):
    front = _front()
    try:
        route = front.routes[0]
        claims = front.tokens.verify(front.tokens.mint("admin", groups=["admins", "ops"]))
        event = front.event(request_, "req-1", route, route.match(request_.method, request_.path) or {}, claims)
    finally:
        front.stop()
    conforms(event, APIGatewayProxyEventV2Model)
    jwt = event["requestContext"]["authorizer"]["jwt"]
    assert all(isinstance(value, str) for value in jwt["claims"].values())  # API Gateway's flattening
    assert jwt["claims"]["cognito:groups"] == "[admins ops]"


@pytest.mark.parametrize(
    ("request_type", "model"),
    [
        ("Create", CloudFormationCustomResourceCreateModel),
        ("Update", CloudFormationCustomResourceUpdateModel),
        ("Delete", CloudFormationCustomResourceDeleteModel),
    ],
)
def test_custom_resource_requests_are_cloudformations(request_type, model):
    conforms(custom_resource_request(request_type, "http://127.0.0.1:9/response"), model)


# ------------------------------------------------------------------ the handlers take AWS's samples


def test_the_events_function_routes_the_aws_samples(aws):
    system_jobs.ensure()
    on_upload = EventTrigger(EventSource.S3, "ObjectCreated", filter=EventFilter(prefix="inbox/"))
    jobs.create(make_job("uploads", None, events=[on_upload]))
    jobs.create(make_job("removals", None, events=[EventTrigger(EventSource.S3, "ObjectRemoved")]))
    jobs.create(make_job("orders", None, events=[EventTrigger(EventSource.CUSTOM, "OrderPlaced")]))
    handler = load_handler("EventsFunction")

    for name in ("events-s3-object-created", "events-s3-object-deleted", "events-custom"):
        reply = handler(sample(name), LambdaContext.for_function("EventsFunction"))
        assert reply == {"batchItemFailures": []}, name

    [created] = store.list_tasks("uploads")
    assert {k: created.trigger.detail["event"][k] for k in ("key", "size", "etag")} == {
        "key": "inbox/photo.jpg",
        "size": 5,
        "etag": "b1946ac92492d2347c6235b4d2611184",
    }
    [removed] = store.list_tasks("removals")
    assert removed.trigger.detail["event"]["type"] == "ObjectRemoved"
    [order] = store.list_tasks("orders")
    assert order.trigger.detail["event"]["detail"] == {"order": {"id": "o-1001", "country": "FR"}}


def test_a_second_upload_of_a_key_within_a_second_is_an_event_of_its_own(aws, s3, bucket):
    # moto gave every S3 event the same id and sequencer: within one second (an event's time is to the
    # second), the second upload was a redelivery of the first to routing, and ran nothing.
    jobs.create(make_job("uploads", None, events=[EventTrigger(EventSource.S3, "ObjectCreated")]))
    handler = load_handler("EventsFunction")
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=UTC), tick=False):
        s3.put_object(Bucket=bucket, Key="report.csv", Body=b"draft")
        s3.put_object(Bucket=bucket, Key="report.csv", Body=b"final")
        messages = RunQueue(aws.queues["EventsQueue"]).receive()
        handler(sqs_event(messages, aws.queue_arns["EventsQueue"]), LambdaContext.for_function("EventsFunction"))
    assert sorted(t.trigger.detail["event"]["size"] for t in store.list_tasks("uploads")) == [5, 5]
    assert len({t.trigger.detail["event"]["etag"] for t in store.list_tasks("uploads")}) == 2
