"""Datasources in the stack (issue 20): what the roles may touch of them (the DatasourceGrants custom
resource), their buckets' EventBridge notifications (DatasourceEvents), the IAM check with attached
buckets, and the local stack that attaches them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from jobdeck import bucket_events, clients
from jobdeck_local import template
from jobdeck_local.__main__ import given_datasources
from jobdeck_local.events import custom_resource_request
from jobdeck_local.iam import guard, report
from jobdeck_local.iam.attribution import acting_as
from jobdeck_local.iam.records import Record
from jobdeck_local.lambda_runtime import LambdaContext, load_handler
from jobdeck_local.stack import LocalStack
from jobdeck_local.state_dir import StateDir
from tests.support import HookServer

SPEC = "photos=photos-bucket,archive=archive-bucket/2024/"
DEFAULT = "jobdeck-datasourcebucket"


def _answer(function_id: str, request_type: str, logical_id: str, kind: str, **properties: Any) -> dict[str, Any]:
    """What the function answers CloudFormation for one request of a custom resource."""
    with HookServer(status=200) as cloudformation:
        event = custom_resource_request(
            request_type,
            cloudformation.url("/response"),
            ResourceType=kind,
            LogicalResourceId=logical_id,
            ResourceProperties={"ServiceToken": "arn:aws:lambda:::function:x", **properties},
        )
        load_handler(function_id)(event, LambdaContext.for_function(function_id))
    answer: dict[str, Any] = cloudformation.json()
    return answer


def _grants(request_type: str, spec: str) -> dict[str, Any]:
    return _answer(
        "SetupFunction",
        request_type,
        "DatasourceGrants",
        "Custom::Datasources",
        DefaultBucket=DEFAULT,
        Datasources=spec,
    )


# ------------------------------------------------------------------ DatasourceGrants


def test_the_template_serves_the_grants_from_the_setup_function_with_the_parameter():
    grants = template.load()["Resources"]["DatasourceGrants"]
    assert grants["Type"] == "Custom::Datasources"
    assert grants["Properties"]["ServiceToken"] == {"Fn::GetAtt": ["SetupFunction", "Arn"]}
    assert grants["Properties"]["Datasources"] == {"Ref": "Datasources"}
    assert template.load()["Globals"]["Function"]["Environment"]["Variables"]["JOBDECK_DATASOURCES"] == {
        "Ref": "Datasources"
    }


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (  # none attached: the stack's own bucket stands in where a list would be empty
            "",
            {
                "ObjectArns": f"arn:aws:s3:::{DEFAULT}/*",
                "BucketArns": f"arn:aws:s3:::{DEFAULT}",
                "WholeBucketArns": f"arn:aws:s3:::{DEFAULT}",
                "PrefixedBucketArns": f"arn:aws:s3:::{DEFAULT}",
                "PrefixPatterns": "*",
                "BucketNames": DEFAULT,
                "ExtraBucketNames": DEFAULT,
                "ExtraBucketArns": f"arn:aws:s3:::{DEFAULT}",
            },
        ),
        (  # a whole bucket
            "photos=photos-bucket",
            {
                "ObjectArns": f"arn:aws:s3:::{DEFAULT}/*,arn:aws:s3:::photos-bucket/*",
                "WholeBucketArns": f"arn:aws:s3:::{DEFAULT},arn:aws:s3:::photos-bucket",
                "PrefixedBucketArns": f"arn:aws:s3:::{DEFAULT}",
                "PrefixPatterns": "*",
                "BucketNames": f"{DEFAULT},photos-bucket",
                "ExtraBucketNames": "photos-bucket",
            },
        ),
        (  # a prefix, written without its trailing slash
            "archive=archive-bucket/2024",
            {
                "ObjectArns": f"arn:aws:s3:::{DEFAULT}/*,arn:aws:s3:::archive-bucket/2024/*",
                "WholeBucketArns": f"arn:aws:s3:::{DEFAULT}",
                "PrefixedBucketArns": "arn:aws:s3:::archive-bucket",
                "PrefixPatterns": "2024/*",
                "ExtraBucketArns": "arn:aws:s3:::archive-bucket",
            },
        ),
        (  # nested prefixes, two in one bucket, and that bucket's name once
            "jan=archive-bucket/2024/01/,feb=archive-bucket/2024/02/, photos = photos-bucket",
            {
                "ObjectArns": (
                    f"arn:aws:s3:::{DEFAULT}/*,arn:aws:s3:::archive-bucket/2024/01/*,"
                    "arn:aws:s3:::archive-bucket/2024/02/*,arn:aws:s3:::photos-bucket/*"
                ),
                "PrefixedBucketArns": "arn:aws:s3:::archive-bucket",
                "PrefixPatterns": "2024/01/*,2024/02/*",
                "BucketNames": f"{DEFAULT},archive-bucket,photos-bucket",
                "ExtraBucketNames": "archive-bucket,photos-bucket",
            },
        ),
    ],
    ids=["none", "whole-bucket", "prefix", "nested-prefixes"],
)
def test_the_grants_answer_each_datasource_s_arns_prefixes_and_buckets(spec, expected):
    answer = _grants("Create", spec)
    assert answer["Status"] == "SUCCESS", answer
    assert answer["PhysicalResourceId"] == "DatasourceGrants"
    assert {name: answer["Data"][name] for name in expected} == expected


def test_a_bucket_attached_whole_is_not_listed_under_a_prefix_too():
    data = _grants("Update", "all=shared-bucket,some=shared-bucket/inbox/")["Data"]
    assert data["WholeBucketArns"] == f"arn:aws:s3:::{DEFAULT},arn:aws:s3:::shared-bucket"
    assert (data["PrefixedBucketArns"], data["PrefixPatterns"]) == (f"arn:aws:s3:::{DEFAULT}", "*")


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("Photos=photos-bucket", "the name 'Photos' must be 1-32 lowercase letters"),
        ("photos", "write name=bucket or name=bucket/prefix"),
        ("default=other-bucket", "'default' is the stack's own bucket"),
        ("a=Not_A_Bucket", "is not a valid S3 bucket name"),
    ],
)
def test_a_bad_entry_fails_the_deploy_with_the_parser_s_message(spec, says):
    answer = _grants("Create", spec)
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("InvalidDatasources: ") and says in answer["Reason"]


def test_a_delete_succeeds_whatever_the_value_so_a_failed_create_rolls_back():
    answer = _grants("Delete", "Photos=photos-bucket")
    assert answer["Status"] == "SUCCESS" and answer["Data"] == {}


# ------------------------------------------------------------------ DatasourceEvents


@pytest.fixture
def photos_bucket(aws, monkeypatch: pytest.MonkeyPatch) -> str:
    """An operator's bucket with notifications of its own (a queue and a topic), EventBridge off,
    attached to a stack that may turn EventBridge on."""
    monkeypatch.setenv("JOBDECK_DATASOURCES", "photos=photos-bucket")
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="photos-bucket")
    queue = boto3.client("sqs").create_queue(QueueName="audit")["QueueUrl"]
    queue_arn = boto3.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
    topic = boto3.client("sns").create_topic(Name="uploads")["TopicArn"]
    s3.put_bucket_notification_configuration(
        Bucket="photos-bucket",
        NotificationConfiguration={
            "QueueConfigurations": [
                {"Id": "audit", "QueueArn": queue_arn["QueueArn"], "Events": ["s3:ObjectCreated:*"]}
            ],
            "TopicConfigurations": [{"Id": "uploads", "TopicArn": topic, "Events": ["s3:ObjectRemoved:*"]}],
        },
    )
    return "photos-bucket"


def _notifications(bucket: str) -> dict[str, Any]:
    found = boto3.client("s3").get_bucket_notification_configuration(Bucket=bucket)
    return {key: value for key, value in found.items() if key != "ResponseMetadata"}


def _events(request_type: str, buckets: str) -> dict[str, Any]:
    return _answer(
        "DatasourceEventsFunction", request_type, "DatasourceEvents", "Custom::DatasourceEvents", BucketNames=buckets
    )


def test_eventbridge_is_turned_on_with_the_bucket_s_other_notifications_kept(photos_bucket):
    before = _notifications(photos_bucket)
    answer = _events("Create", photos_bucket)
    assert answer["Status"] == "SUCCESS", answer
    assert answer["Data"] == {"TurnedOn": photos_bucket}
    after = _notifications(photos_bucket)
    assert "EventBridgeConfiguration" in after
    assert {k: v for k, v in after.items() if k != "EventBridgeConfiguration"} == before

    again = _events("Update", photos_bucket)  # on already: nothing written
    assert (again["Status"], again["Data"]) == ("SUCCESS", {"TurnedOn": ""})
    assert _events("Delete", photos_bucket)["Status"] == "SUCCESS"
    assert _notifications(photos_bucket) == after  # left on (bucket_events says why)


def test_the_events_function_may_touch_the_attached_buckets_only(photos_bucket):
    boto3.client("s3").create_bucket(Bucket="someone-elses-bucket")
    with guard.using(guard.Guard()):  # a denial provoked on purpose: not one for make iam's report
        answer = _events("Create", "someone-elses-bucket")
    assert answer["Status"] == "FAILED"
    assert "s3:GetBucketNotification on resource: arn:aws:s3:::someone-elses-bucket" in answer["Reason"]
    assert "EventBridgeConfiguration" not in _notifications("someone-elses-bucket")


def test_turn_on_writes_nothing_when_eventbridge_is_on_already(aws):
    s3 = clients.s3()
    assert not bucket_events.turn_on(s3, DEFAULT)  # the template's bucket has it from the start


# ------------------------------------------------------------------ the IAM check with datasources


def _refused(call) -> bool:
    """Whether the role refuses the call. Checked by a guard of its own: the denials provoked here on
    purpose stay out of make iam's report, which fails on any."""
    with guard.using(guard.Guard()):
        try:
            call()
        except ClientError as error:
            assert error.response["Error"]["Code"] == "AccessDenied", error
            return True
        return False


def _allowed(call) -> None:
    """The call, checked by the suite's guard: an allowed request counts as a use of its grant."""
    call()


@pytest.mark.datasources(SPEC)
def test_the_runner_may_act_in_each_datasource_s_prefix_and_nowhere_else(aws):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="elsewhere-bucket")
    for bucket, key in [("photos-bucket", "a.jpg"), ("archive-bucket", "2024/a.txt"), ("archive-bucket", "2023/a.txt")]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")  # the test's own: no function's, unchecked
    runner = clients.s3()
    with acting_as("RunnerFunction"):
        # in a datasource
        _allowed(lambda: runner.get_object(Bucket="archive-bucket", Key="2024/a.txt"))
        _allowed(lambda: runner.put_object(Bucket="archive-bucket", Key="2024/b/c.txt", Body=b"x"))
        _allowed(lambda: runner.delete_object(Bucket="photos-bucket", Key="a.jpg"))
        _allowed(lambda: runner.list_objects_v2(Bucket="archive-bucket", Prefix="2024/"))
        _allowed(lambda: runner.list_objects_v2(Bucket="photos-bucket"))
        _allowed(lambda: runner.list_objects_v2(Bucket=DEFAULT, Prefix="photos/"))
        # the same bucket outside the prefix, another bucket, a listing outside the prefix or of it all
        assert _refused(lambda: runner.get_object(Bucket="archive-bucket", Key="2023/a.txt"))
        assert _refused(lambda: runner.put_object(Bucket="archive-bucket", Key="2024", Body=b"x"))
        assert _refused(lambda: runner.put_object(Bucket="elsewhere-bucket", Key="a.txt", Body=b"x"))
        assert _refused(lambda: runner.list_objects_v2(Bucket="archive-bucket", Prefix="2023/"))
        assert _refused(lambda: runner.list_objects_v2(Bucket="archive-bucket"))
        assert _refused(lambda: runner.list_objects_v2(Bucket="elsewhere-bucket", Prefix="2024/"))
    with acting_as("EventsFunction"):  # the HEAD of an upload's event
        _allowed(lambda: runner.head_object(Bucket="archive-bucket", Key="2024/a.txt"))
        assert _refused(lambda: runner.head_object(Bucket="archive-bucket", Key="2023/a.txt"))
        assert _refused(lambda: runner.put_object(Bucket="photos-bucket", Key="b.jpg", Body=b"x"))


def test_without_datasources_the_roles_grant_the_stack_s_bucket_only(aws):
    boto3.client("s3").create_bucket(Bucket="photos-bucket")
    with acting_as("RunnerFunction"):
        assert _refused(lambda: clients.s3().put_object(Bucket="photos-bucket", Key="a.jpg", Body=b"x"))
        _allowed(lambda: clients.s3().put_object(Bucket=DEFAULT, Key="a.jpg", Body=b"x"))


def test_the_report_evaluates_each_record_with_the_datasources_it_was_checked_with():
    listing = Record(
        "RunnerFunction",
        "s3:ListObjectsV2",
        "s3:ListBucket",
        "arn:aws:s3:::archive-bucket",
        context=(("s3:prefix", "2024/"),),
        datasources=SPEC,
    )
    text, _ = report.report(Counter({listing: 1}))
    assert "DENIED" not in text
    assert "used     s3:ListBucket on arn:aws:s3:::archive-bucket (1)" in text
    for other in (Record(**{**listing.__dict__, "datasources": ""}), Record(**{**listing.__dict__, "context": ()})):
        text, passed = report.report(Counter({other: 1}))
        assert not passed and "DENIED   RunnerFunction: s3:ListBucket on arn:aws:s3:::archive-bucket" in text


# ------------------------------------------------------------------ the local stack


def test_datasource_options_repeat_or_list_and_an_empty_one_detaches_all():
    assert given_datasources(None) is None
    assert given_datasources(["photos=photos-bucket", "archive=archive-bucket/2024/,x=x-bucket"]) == (
        "photos=photos-bucket,archive=archive-bucket/2024/,x=x-bucket"
    )
    assert given_datasources([""]) == ""
    with pytest.raises(ValueError, match="'Photos'"):
        given_datasources(["Photos=photos-bucket"])


def test_the_state_remembers_the_datasources_of_the_last_start(tmp_path: Path):
    state = tmp_path / "state"
    assert LocalStack(state=state)._attached() == ""  # a new state: none
    StateDir(state).remember_datasources(SPEC)
    assert LocalStack(state=state)._attached() == SPEC  # not given: the state's
    assert LocalStack(state=state, datasources="p=p-bucket")._attached() == "p=p-bucket"  # given: those
    assert LocalStack(state=state, datasources="")._attached() == ""
    assert LocalStack(datasources=None)._attached() == ""  # no state folder: nothing to remember
    with pytest.raises(ValueError, match="'Photos'"):
        LocalStack(state=state, datasources="Photos=photos-bucket")._attached()
