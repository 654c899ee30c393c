"""Create what template.yaml declares (tables, queues, bucket, topic) against any endpoint, with the
same keys, indexes and redrive settings, and give the functions the environment it gives them.

The datasources attached (the template's Datasources parameter, given to `provision`) stand for
buckets that exist before the stack: they are created when missing, and their EventBridge
notifications turned on as the DatasourceEvents custom resource does (jobdeck.bucket_events), so
that their uploads reach EventsQueue through ObjectEventsRule as the stack's own bucket's do."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import ClientError

from jobdeck import bucket_events
from jobdeck.datasources import parse
from jobdeck_local import custom_resources, template


def physical_name(logical_id: str) -> str:
    return f"jobdeck-{logical_id.lower()}"


@dataclass
class Resources:
    tables: dict[str, str] = field(default_factory=dict)  # logical id -> table name
    queues: dict[str, str] = field(default_factory=dict)  # logical id -> queue URL
    queue_arns: dict[str, str] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)
    topics: dict[str, str] = field(default_factory=dict)  # logical id -> topic ARN (what !Ref gives)
    # Parameters given other values than their defaults: Datasources, the local stack's
    parameters: dict[str, str] = field(default_factory=dict)

    def ref(self, logical_id: str) -> str:
        for names in (self.tables, self.queues, self.buckets, self.topics, self.parameters):
            if logical_id in names:
                return names[logical_id]
        if logical_id == "AWS::Partition":
            return "aws"
        parameter = template.load()["Parameters"].get(logical_id)
        if parameter is not None:
            return str(parameter["Default"])
        raise KeyError(f"the local stack cannot resolve !Ref {logical_id}")

    def resolve(self, value: Any) -> str:
        if isinstance(value, dict) and "Fn::If" in value:
            # Conditions guard what exists only in AWS (Cognito): locally, the "else" branch.
            return self.resolve(value["Fn::If"][2])
        if isinstance(value, dict) and "Ref" in value:
            return self.ref(value["Ref"])
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            logical_id, attribute = value["Fn::GetAtt"]
            resource = template.load()["Resources"][logical_id]
            if resource["Type"].startswith("Custom::"):
                properties = {k: self.resolve(v) for k, v in resource["Properties"].items() if k != "ServiceToken"}
                return custom_resources.attribute(resource["Type"], properties, attribute, logical_id)
            if attribute == "Arn":
                return self.queue_arns[logical_id]
        if isinstance(value, str | int | float | bool):
            return str(value)
        raise ValueError(f"the local stack cannot resolve {value!r}")

    def resolve_all(self, value: Any) -> Any:
        """`resolve` through lists and maps (an event pattern), leaving plain values as they are."""
        if isinstance(value, dict) and ("Ref" in value or "Fn::GetAtt" in value):
            return self.resolve(value)
        if isinstance(value, dict) and "Fn::Split" in value:
            separator, text = value["Fn::Split"]
            return self.resolve(text).split(separator)
        if isinstance(value, dict):
            return {k: self.resolve_all(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve_all(v) for v in value]
        return value

    def environment(self, function_id: str) -> dict[str, str]:
        """The environment variables template.yaml gives one function (Globals, then its own)."""
        doc = template.load()
        variables = dict(doc["Globals"]["Function"].get("Environment", {}).get("Variables", {}))
        own = doc["Resources"][function_id]["Properties"].get("Environment", {})
        variables.update(own.get("Variables", {}))
        return {name: self.resolve(value) for name, value in variables.items()}


def provision(region: str = "us-east-1", datasources: str = "") -> Resources:
    """Idempotent: on an endpoint that holds them already (a state restored), what exists is kept
    with its content, and what the template added since is created. `datasources`: the Datasources
    parameter (a bad entry raises jobdeck.datasources.InvalidDatasources, before anything is made)."""
    attached = parse(datasources)
    created = Resources(parameters={"Datasources": datasources} if datasources else {})
    dynamodb = boto3.client("dynamodb", region_name=region)
    for logical_id, props in template.resources("AWS::DynamoDB::Table").items():
        name = physical_name(logical_id)
        _table(dynamodb, name, props)
        if (ttl := props.get("TimeToLiveSpecification")) and dynamodb.describe_time_to_live(TableName=name)[
            "TimeToLiveDescription"
        ].get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        created.tables[logical_id] = name

    sqs = boto3.client("sqs", region_name=region)
    queues = template.resources("AWS::SQS::Queue")
    for logical_id, props in queues.items():
        attributes: dict[str, str] = {
            k: str(props[k]) for k in ("VisibilityTimeout", "MessageRetentionPeriod") if k in props
        }
        url = sqs.create_queue(QueueName=physical_name(logical_id), Attributes=attributes)["QueueUrl"]  # type: ignore[arg-type]
        created.queues[logical_id] = url
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        created.queue_arns[logical_id] = arn
    for logical_id, props in queues.items():  # dead-letter queues exist now: wire the redrives
        if redrive := props.get("RedrivePolicy"):
            policy = {
                "deadLetterTargetArn": created.resolve(redrive["deadLetterTargetArn"]),
                "maxReceiveCount": str(redrive["maxReceiveCount"]),
            }
            sqs.set_queue_attributes(
                QueueUrl=created.queues[logical_id], Attributes={"RedrivePolicy": json.dumps(policy)}
            )

    s3 = boto3.client("s3", region_name=region)
    for logical_id, props in template.resources("AWS::S3::Bucket").items():
        name = physical_name(logical_id)
        _bucket(s3, name, region)
        created.buckets[logical_id] = name
        if props.get("NotificationConfiguration", {}).get("EventBridgeConfiguration", {}).get("EventBridgeEnabled"):
            s3.put_bucket_notification_configuration(
                Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}}
            )
    for bucket in dict.fromkeys(ds.bucket for ds in attached):  # the operator's buckets, made if missing
        try:
            s3.head_bucket(Bucket=bucket)
        except ClientError:
            _bucket(s3, bucket, region)
        bucket_events.turn_on(s3, bucket)

    sns = boto3.client("sns", region_name=region)
    for logical_id, props in template.resources("AWS::SNS::Topic").items():
        attributes = {k: str(props[k]) for k in ("DisplayName", "KmsMasterKeyId") if k in props}
        created.topics[logical_id] = sns.create_topic(Name=physical_name(logical_id), Attributes=attributes)["TopicArn"]

    # Event rules with queue targets (the default bus); S3 sends its events there as in AWS.
    events = boto3.client("events", region_name=region)
    for logical_id, props in template.resources("AWS::Events::Rule").items():
        name = physical_name(logical_id)
        pattern = created.resolve_all(props["EventPattern"])
        events.put_rule(Name=name, EventPattern=json.dumps(pattern), State="ENABLED")
        targets = props.get("Targets", [])
        events.put_targets(Rule=name, Targets=[{"Id": t["Id"], "Arn": created.resolve(t["Arn"])} for t in targets])
    return created


def _bucket(s3: Any, name: str, region: str) -> None:
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})


class StaleTable(Exception):
    """A table kept from an earlier run whose keys are not the template's any more."""


def _table(dynamodb: Any, name: str, props: dict[str, Any]) -> None:
    """The table as the template declares it: created, or, when it exists, given the indexes the
    template added since (its keys cannot change: that needs a fresh state)."""
    spec = {k: props[k] for k in ("AttributeDefinitions", "KeySchema", "BillingMode")}
    wanted = {index["IndexName"]: index for index in props.get("GlobalSecondaryIndexes", [])}
    stream = props.get("StreamSpecification")
    try:
        table = dynamodb.describe_table(TableName=name)["Table"]
    except dynamodb.exceptions.ResourceNotFoundException:
        dynamodb.create_table(
            TableName=name,
            **spec,
            **({"GlobalSecondaryIndexes": [*wanted.values()]} if wanted else {}),
            **({"StreamSpecification": {"StreamEnabled": True, **stream}} if stream else {}),
        )
        return
    if stream and not table.get("StreamSpecification", {}).get("StreamEnabled"):
        dynamodb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True, **stream})
    if table["KeySchema"] != props["KeySchema"]:
        raise StaleTable(f"the table {name} kept from an earlier run has other keys than template.yaml declares")
    have = {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])}
    for index_name in wanted.keys() - have:
        dynamodb.update_table(
            TableName=name,
            AttributeDefinitions=props["AttributeDefinitions"],
            GlobalSecondaryIndexUpdates=[{"Create": wanted[index_name]}],
        )
