"""The least-privilege check (jobdeck_local.iam): each request's IAM action and resource as the Service
Authorization Reference defines them, IAM's evaluation, the roles as the SAM transform writes them, the
report `make iam` prints, and the denial the local stack answers, as AWS would."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from samtranslator.yaml_helper import yaml_parse

from jobdeck import clients, jobs
from jobdeck_local import template
from jobdeck_local.iam import authorization, guard, report, roles
from jobdeck_local.iam.attribution import acting_as, acting_function
from jobdeck_local.iam.authorization import Need, Place, UnmappedOperation
from jobdeck_local.iam.policy import Effect, Statement, evaluate
from jobdeck_local.iam.records import Record
from jobdeck_local.stack import LocalStack, free_port
from tests.support import Api, make_job

ACCOUNT = "123456789012"
HERE = Place("us-east-1")
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table"
QUEUE_URL = f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/jobdeck-runqueue"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobdeck-runqueue"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:jobdeck-notificationstopic"


def listing_prefix(value: str) -> tuple[tuple[str, str], ...]:
    return (("s3:prefix", value),)


# (service, operation, parameters) -> what IAM checks, each from the reference's page of that service
# ("Actions, resources, and condition keys for Amazon DynamoDB" ...): action and resource type.
MAPPINGS = [
    ("dynamodb", "GetItem", {"TableName": "t"}, [("dynamodb:GetItem", f"{TABLE}/t")]),
    ("dynamodb", "PutItem", {"TableName": "t"}, [("dynamodb:PutItem", f"{TABLE}/t")]),
    ("dynamodb", "UpdateItem", {"TableName": "t"}, [("dynamodb:UpdateItem", f"{TABLE}/t")]),
    ("dynamodb", "DeleteItem", {"TableName": "t"}, [("dynamodb:DeleteItem", f"{TABLE}/t")]),
    ("dynamodb", "Query", {"TableName": "t"}, [("dynamodb:Query", f"{TABLE}/t")]),
    ("dynamodb", "Query", {"TableName": "t", "IndexName": "i"}, [("dynamodb:Query", f"{TABLE}/t/index/i")]),
    ("dynamodb", "Scan", {"TableName": "t", "IndexName": "i"}, [("dynamodb:Scan", f"{TABLE}/t/index/i")]),
    (
        "dynamodb",
        "BatchGetItem",
        {"RequestItems": {"a": {}, "b": {}}},
        [("dynamodb:BatchGetItem", f"{TABLE}/a"), ("dynamodb:BatchGetItem", f"{TABLE}/b")],
    ),
    ("dynamodb", "BatchWriteItem", {"RequestItems": {"a": []}}, [("dynamodb:BatchWriteItem", f"{TABLE}/a")]),
    (
        "dynamodb",
        "TransactWriteItems",
        {
            "TransactItems": [
                {"ConditionCheck": {"TableName": "jobs"}},
                {"Put": {"TableName": "tasks"}},
                {"Update": {"TableName": "jobs"}},
                {"Delete": {"TableName": "subs"}},
            ]
        },
        [
            ("dynamodb:ConditionCheckItem", f"{TABLE}/jobs"),
            ("dynamodb:PutItem", f"{TABLE}/tasks"),
            ("dynamodb:UpdateItem", f"{TABLE}/jobs"),
            ("dynamodb:DeleteItem", f"{TABLE}/subs"),
        ],
    ),
    (
        "dynamodb",
        "TransactGetItems",
        {"TransactItems": [{"Get": {"TableName": "t"}}]},
        [("dynamodb:GetItem", f"{TABLE}/t")],
    ),
    ("s3", "GetObject", {"Bucket": "b", "Key": "k/x"}, [("s3:GetObject", "arn:aws:s3:::b/k/x")]),
    ("s3", "HeadObject", {"Bucket": "b", "Key": "k"}, [("s3:GetObject", "arn:aws:s3:::b/k")]),
    ("s3", "PutObject", {"Bucket": "b", "Key": "k"}, [("s3:PutObject", "arn:aws:s3:::b/k")]),
    # A listing carries the s3:prefix condition key when it asks for a prefix, and none otherwise.
    (
        "s3",
        "ListObjectsV2",
        {"Bucket": "b", "Prefix": "p/"},
        [("s3:ListBucket", "arn:aws:s3:::b", listing_prefix("p/"))],
    ),
    ("s3", "ListObjectsV2", {"Bucket": "b"}, [("s3:ListBucket", "arn:aws:s3:::b")]),
    ("s3", "ListObjects", {"Bucket": "b", "Prefix": ""}, [("s3:ListBucket", "arn:aws:s3:::b", listing_prefix(""))]),
    ("s3", "HeadBucket", {"Bucket": "b"}, [("s3:ListBucket", "arn:aws:s3:::b")]),
    ("s3", "GetBucketNotificationConfiguration", {"Bucket": "b"}, [("s3:GetBucketNotification", "arn:aws:s3:::b")]),
    (
        "s3",
        "PutBucketNotificationConfiguration",
        {"Bucket": "b", "NotificationConfiguration": {}},
        [("s3:PutBucketNotification", "arn:aws:s3:::b")],
    ),
    (
        "s3",
        "CopyObject",
        {"Bucket": "b", "Key": "to", "CopySource": "b/from%20here?versionId=3"},
        [("s3:GetObject", "arn:aws:s3:::b/from here"), ("s3:PutObject", "arn:aws:s3:::b/to")],
    ),
    (
        "s3",
        "UploadPartCopy",
        {"Bucket": "b", "Key": "to", "CopySource": {"Bucket": "a", "Key": "from"}},
        [("s3:GetObject", "arn:aws:s3:::a/from"), ("s3:PutObject", "arn:aws:s3:::b/to")],
    ),
    ("s3", "CreateMultipartUpload", {"Bucket": "b", "Key": "k"}, [("s3:PutObject", "arn:aws:s3:::b/k")]),
    ("s3", "UploadPart", {"Bucket": "b", "Key": "k"}, [("s3:PutObject", "arn:aws:s3:::b/k")]),
    ("s3", "CompleteMultipartUpload", {"Bucket": "b", "Key": "k"}, [("s3:PutObject", "arn:aws:s3:::b/k")]),
    ("s3", "AbortMultipartUpload", {"Bucket": "b", "Key": "k"}, [("s3:AbortMultipartUpload", "arn:aws:s3:::b/k")]),
    ("s3", "DeleteObject", {"Bucket": "b", "Key": "k"}, [("s3:DeleteObject", "arn:aws:s3:::b/k")]),
    (
        "s3",
        "DeleteObjects",
        {"Bucket": "b", "Delete": {"Objects": [{"Key": "x"}, {"Key": "y"}]}},
        [("s3:DeleteObject", "arn:aws:s3:::b/x"), ("s3:DeleteObject", "arn:aws:s3:::b/y")],
    ),
    ("sqs", "SendMessage", {"QueueUrl": QUEUE_URL}, [("sqs:SendMessage", QUEUE)]),
    ("sqs", "SendMessageBatch", {"QueueUrl": QUEUE_URL}, [("sqs:SendMessage", QUEUE)]),
    ("sqs", "ReceiveMessage", {"QueueUrl": QUEUE_URL}, [("sqs:ReceiveMessage", QUEUE)]),
    ("sqs", "DeleteMessageBatch", {"QueueUrl": QUEUE_URL}, [("sqs:DeleteMessage", QUEUE)]),
    ("sqs", "ChangeMessageVisibilityBatch", {"QueueUrl": QUEUE_URL}, [("sqs:ChangeMessageVisibility", QUEUE)]),
    ("sns", "Publish", {"TopicArn": TOPIC}, [("sns:Publish", TOPIC)]),
    (
        "events",
        "PutEvents",
        {"Entries": [{"Source": "x"}, {"EventBusName": "orders"}]},
        [
            ("events:PutEvents", f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"),
            ("events:PutEvents", f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/orders"),
        ],
    ),
    (
        "events",
        "ListRuleNamesByTarget",
        {"TargetArn": QUEUE},
        [("events:ListRuleNamesByTarget", f"arn:aws:events:us-east-1:{ACCOUNT}:rule/*")],
    ),
    ("events", "DescribeRule", {"Name": "r"}, [("events:DescribeRule", f"arn:aws:events:us-east-1:{ACCOUNT}:rule/r")]),
    (
        "events",
        "ListTargetsByRule",
        {"Rule": "r", "EventBusName": "orders"},
        [("events:ListTargetsByRule", f"arn:aws:events:us-east-1:{ACCOUNT}:rule/orders/r")],
    ),
    ("scheduler", "ListSchedules", {}, [("scheduler:ListSchedules", "*")]),
    (
        "scheduler",
        "GetSchedule",
        {"Name": "n"},
        [("scheduler:GetSchedule", f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule/default/n")],
    ),
]


@pytest.mark.parametrize(("service", "operation", "params", "expected"), MAPPINGS, ids=lambda v: str(v)[:40])
def test_each_operation_needs_its_reference_action_on_its_reference_resource(service, operation, params, expected):
    assert authorization.needs(service, operation, params, HERE) == [Need(*e) for e in expected]


def test_every_mapped_operation_is_one_botocore_knows():
    session = botocore.session.get_session()
    unknown = [
        f"{service}:{operation}"
        for service, operation in authorization.OPERATIONS
        if operation not in session.get_service_model(service).operation_names
    ]
    assert unknown == []


def test_an_operation_missing_from_the_mapping_fails_loudly_naming_it():
    with pytest.raises(UnmappedOperation, match=r"s3:PutBucketPolicy is not in .*OPERATIONS"):
        authorization.needs("s3", "PutBucketPolicy", {"Bucket": "b"}, HERE)


def test_a_customer_managed_key_adds_the_key_actions_encryption_needs():
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k1"
    place = Place("us-east-1", keys={"arn:aws:s3:::b": key, QUEUE: key, TOPIC: key})
    assert authorization.needs("s3", "PutObject", {"Bucket": "b", "Key": "k"}, place) == [
        Need("s3:PutObject", "arn:aws:s3:::b/k"),
        Need("kms:GenerateDataKey", key),
    ]
    assert Need("kms:Decrypt", key) in authorization.needs("s3", "GetObject", {"Bucket": "b", "Key": "k"}, place)
    assert Need("kms:GenerateDataKey", key) in authorization.needs("sqs", "SendMessage", {"QueueUrl": QUEUE_URL}, place)
    assert {n.action for n in authorization.needs("sns", "Publish", {"TopicArn": TOPIC}, place)} == {
        "sns:Publish",
        "kms:GenerateDataKey",
        "kms:Decrypt",
    }


def test_the_template_encrypts_with_no_key_its_callers_must_be_granted():
    # SSE-S3, SSE-SQS and the AWS managed alias/aws/sns: no KMS statement is needed in any role.
    assert roles.customer_keys() == {}


# ------------------------------------------------------------------ IAM's evaluation


def _statement(effect: Effect = Effect.ALLOW, **fields) -> Statement:
    return Statement("p", 0, effect, **fields)


def test_an_explicit_deny_wins_over_any_allow():
    allow = _statement(actions=("s3:*",), resources=("*",))
    deny = _statement(Effect.DENY, actions=("s3:DeleteObject",), resources=("arn:aws:s3:::b/*",))
    assert evaluate((allow,), "s3:DeleteObject", "arn:aws:s3:::b/k").allowed
    verdict = evaluate((allow, deny), "s3:DeleteObject", "arn:aws:s3:::b/k")
    assert not verdict.allowed and verdict.denied_by == deny


def test_wildcards_match_actions_without_case_and_resources_with_it():
    statement = _statement(actions=("dynamodb:get*",), resources=(f"{TABLE}/jobs/index/*",))
    assert evaluate((statement,), "dynamodb:GetItem", f"{TABLE}/jobs/index/due-index").allowed
    assert not evaluate((statement,), "dynamodb:GetItem", f"{TABLE}/jobs").allowed  # the table is no index
    assert not evaluate((statement,), "dynamodb:GetItem", f"{TABLE}/JOBS/index/x").allowed


def test_not_action_and_not_resource_allow_what_they_do_not_name():
    statement = _statement(not_actions=("s3:Delete*",), not_resources=("arn:aws:s3:::private/*",))
    assert evaluate((statement,), "s3:GetObject", "arn:aws:s3:::b/k").allowed
    assert not evaluate((statement,), "s3:DeleteObject", "arn:aws:s3:::b/k").allowed
    assert not evaluate((statement,), "s3:GetObject", "arn:aws:s3:::private/k").allowed


def test_an_allow_with_a_condition_the_check_cannot_evaluate_is_not_relied_on():
    condition = ("ArnEquals", "aws:SourceArn", ("arn:aws:events:us-east-1:123456789012:rule/r",))
    statement = _statement(actions=("sqs:SendMessage",), resources=("*",), conditions=(condition,))
    verdict = evaluate((statement,), "sqs:SendMessage", QUEUE)
    assert not verdict.allowed
    assert verdict.reason("sqs:SendMessage") == "because no identity-based policy allows the sqs:SendMessage action"
    deny = _statement(Effect.DENY, actions=("sqs:*",), resources=("*",), conditions=(condition,))
    allow = _statement(actions=("sqs:SendMessage",), resources=("*",))
    assert not evaluate((allow, deny), "sqs:SendMessage", QUEUE).allowed  # a Deny as if it held


def test_a_string_like_prefix_condition_allows_a_listing_in_its_prefixes_only():
    statement = _statement(
        actions=("s3:ListBucket",),
        resources=("arn:aws:s3:::archive",),
        conditions=(("StringLike", "s3:prefix", ("2024/*", "2025/0?/*")),),
    )
    bucket = "arn:aws:s3:::archive"
    assert evaluate((statement,), "s3:ListBucket", bucket, listing_prefix("2024/")).allowed
    assert evaluate((statement,), "s3:ListBucket", bucket, listing_prefix("2024/a/b.jpg")).allowed
    assert evaluate((statement,), "s3:ListBucket", bucket, listing_prefix("2025/07/x")).allowed  # either value
    assert not evaluate((statement,), "s3:ListBucket", bucket, listing_prefix("2023/")).allowed
    assert not evaluate((statement,), "s3:ListBucket", bucket, listing_prefix("2024")).allowed  # not under 2024/
    assert not evaluate((statement,), "s3:ListBucket", bucket, listing_prefix("")).allowed
    assert not evaluate((statement,), "s3:ListBucket", bucket).allowed  # no prefix asked: no key, no match
    assert not evaluate((statement,), "s3:ListBucket", "arn:aws:s3:::other", listing_prefix("2024/")).allowed
    equals = _statement(
        actions=("s3:ListBucket",), resources=("*",), conditions=(("StringEquals", "s3:prefix", ("a/",)),)
    )
    assert evaluate((equals,), "s3:ListBucket", bucket, listing_prefix("a/")).allowed
    assert not evaluate((equals,), "s3:ListBucket", bucket, listing_prefix("a/b")).allowed


# ------------------------------------------------------------------ the roles, as SAM writes them


def test_roles_hold_what_sam_adds_for_events_dead_letters_and_tracing():
    found = roles.roles()
    assert set(found) == set(template.resources("AWS::Serverless::Function"))
    runner = {s.policy for s in found["RunnerFunction"].statements}
    assert "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole" in runner  # its SQS event
    assert "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess" in runner  # Tracing may be Active
    tick = found["TickFunction"]
    assert evaluate(tick.statements, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobdeck-tickdeadletterqueue")
    assert tick.session_arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/jobdeck-tickfunctionrole/jobdeck-tickfunction"


def _variant(tmp_path: Path, function: str, change) -> Path:
    """template.yaml with `change` applied to one function's properties, written as JSON (which the
    transform reads as well)."""
    doc = yaml_parse(template.TEMPLATE.read_text())
    change(doc["Resources"][function]["Properties"])
    path = tmp_path / "template.json"
    path.write_text(json.dumps(doc))
    return path


def _without(tmp_path: Path, function: str, action: str) -> Path:
    def drop(props) -> None:
        for policy in props["Policies"]:
            for statement in policy.get("Statement", []):
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                statement["Action"] = [a for a in actions if a != action]
            policy["Statement"] = [s for s in policy.get("Statement", []) if s["Action"]]

    return _variant(tmp_path, function, drop)


def test_a_sam_policy_template_counts_as_the_transform_expands_it(tmp_path):
    path = _variant(
        tmp_path, "EventsFunction", lambda props: props["Policies"].append({"SQSPollerPolicy": {"QueueName": "x"}})
    )
    events = roles.roles(path)["EventsFunction"]
    queue = f"arn:aws:sqs:us-east-1:{ACCOUNT}:x"
    assert evaluate(events.statements, "sqs:ChangeMessageVisibility", queue).allowed
    assert not evaluate(roles.roles()["EventsFunction"].statements, "sqs:ChangeMessageVisibility", queue).allowed


# ------------------------------------------------------------------ the check, end to end


def test_a_template_without_a_permission_the_code_needs_fails_naming_function_action_and_resource(aws, tmp_path):
    """The Show of issue 17: one needed permission removed, and the report fails naming it."""
    jobs.create(make_job("nightly", None))
    recorder = guard.Guard(enforce=False)
    with guard.using(recorder):
        assert Api()("POST", "/jobs/nightly/run", {}).status == 202  # Run Now sends the task to RunQueue
    seen = recorder.ledger.counts()
    text_real, _ = report.report(seen)
    assert "DENIED" not in text_real  # the real template allows what the API did (other grants go unused here)

    text, passed = report.report(seen, _without(tmp_path, "ApiFunction", "sqs:SendMessage"))
    assert not passed
    assert f"  DENIED   ApiFunction: sqs:SendMessage on {QUEUE} (sqs:SendMessageBatch at jobdeck/run_queue.py:" in text


def test_the_check_refuses_as_aws_does_naming_role_action_and_resource(aws, tmp_path):
    refusing = guard.Guard(_without(tmp_path, "ApiFunction", "sqs:SendMessage"))
    with guard.using(refusing), acting_as("ApiFunction"), pytest.raises(ClientError) as refused:
        clients.sqs().send_message(QueueUrl=aws.queues["RunQueue"], MessageBody="{}")
    error = refused.value.response["Error"]
    assert error["Code"] == "AccessDenied" and refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["Message"] == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/jobdeck-apifunctionrole/jobdeck-apifunction is not authorized "
        f"to perform: sqs:SendMessage on resource: {QUEUE} "
        "because no identity-based policy allows the sqs:SendMessage action"
    )
    assert (
        boto3.client("sqs").get_queue_attributes(  # nothing was sent
            QueueUrl=aws.queues["RunQueue"], AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]
        == "0"
    )


def test_an_unused_grant_fails_the_report_unless_explained(tmp_path):
    seen = Counter({Record("TickFunction", "sqs:SendMessage", "sqs:SendMessage", QUEUE): 1})
    text, passed = report.report(seen)
    assert not passed
    assert f"UNUSED, NOT EXPLAINED dynamodb:UpdateItem on {TABLE}/jobdeck-jobstable" in text
    assert (
        "unused   logs:CreateLogGroup on * [arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole#0]: "
        in text
    )
    assert f"used     sqs:SendMessage on {QUEUE} (1)" in text


def test_requests_are_attributed_to_the_outermost_entry_point_or_to_no_function(aws):
    from jobdeck import system_jobs

    assert acting_function() is None  # a test's own request is no function's
    seen = guard.Guard(enforce=False)
    with guard.using(seen):
        system_jobs.ensure()  # calls jobs.create (the API's), inside the setup function's entry point
    functions = {r.function for r in seen.ledger.counts()}
    assert functions == {"SetupFunction"}


def test_a_lifecycle_verb_one_function_alone_uses_is_its_own_and_a_shared_one_its_callers(aws):
    from jobdeck import lifecycle
    from jobdeck.tick import tick

    now = datetime.now(UTC)
    held = guard.Guard(enforce=False)
    with guard.using(held), lifecycle.enqueue(now) as queue:
        queue.send_held(now)  # only the tick sends the held retries
    assert {r.function for r in held.ledger.counts()} == {"TickFunction"}

    redelivered = guard.Guard(enforce=False)
    with guard.using(redelivered):
        lifecycle.redeliver([("nightly", "a-task")])  # the tick's and the runner's: called alone, no function's
    assert {r.function for r in redelivered.ledger.counts()} == {None}

    ticked = guard.Guard(enforce=False)
    with guard.using(ticked):
        tick(now)
    assert {r.function for r in ticked.ledger.counts()} == {"TickFunction"}


@pytest.mark.slow
def test_the_local_stack_answers_access_denied_to_a_handler_its_role_refuses(tmp_path):
    """EventsFunction without Query on Subscriptions: an upload's event reaches its handler through
    S3, EventBridge and EventsQueue, and the routing's Query is refused as AWS would refuse it."""
    refusing = guard.Guard(_without(tmp_path, "EventsFunction", "dynamodb:Query"))
    stack = LocalStack(port=free_port(), api_port=0, run_api=False, run_clock=False)
    with guard.using(refusing):
        stack.start()
        try:
            bucket = next(iter(stack.resources.buckets.values()))
            boto3.client("s3").put_object(Bucket=bucket, Key="inbox/a.txt", Body=b"a")
            deadline = time.monotonic() + 30
            denied: list[Record] = []
            while not denied and time.monotonic() < deadline:
                denied = [r for r in refusing.ledger.counts() if r.function == "EventsFunction" and not r.allowed]
                time.sleep(0.2)
        finally:
            stack.stop()
    assert [(r.operation, r.action, r.resource) for r in denied] == [
        ("dynamodb:Query", "dynamodb:Query", f"{TABLE}/jobdeck-subscriptionstable")
    ]
    assert denied[0].caller.startswith("jobdeck/store/jobs.py:")
