"""What IAM authorizes for each AWS request Jobdeck makes: its action(s) and resource ARN(s), as the
Service Authorization Reference defines them (docs.aws.amazon.com/service-authorization/latest/
reference/, the page "Actions, resources, and condition keys for <service>" of each service).

OPERATIONS maps a botocore operation to a rule; a rule reads the request's parameters and says
which actions it needs on which resources. An operation Jobdeck starts to use is one line here,
built from the helpers below (`on(action, resource)` for most):

    ("events", "PutEvents"): on("events:PutEvents", each_bus),

An operation that is not listed fails the check (UnmappedOperation), naming itself and this file.

KMS: an encrypted resource asks its caller for key permissions only when a customer managed key
encrypts it (`with_key`): S3 with SSE-S3, SQS with SSE-SQS and SNS or SQS with their AWS managed
keys (alias/aws/sns, alias/aws/sqs; the key policy admits every principal of the account that
calls through the service) ask for none, so with today's template no request needs a KMS action.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlparse

from jobdeck_local.iam.roles import ACCOUNT, PARTITION


class UnmappedOperation(LookupError):
    def __init__(self, service: str, operation: str) -> None:
        super().__init__(
            f"{service}:{operation} is not in jobdeck_local/iam/authorization.py's OPERATIONS: add its IAM "
            "action(s) and resource(s) from the Service Authorization Reference (one line) before Jobdeck uses it"
        )


@dataclass(frozen=True)
class Need:
    """One action on one resource that a request needs allowed, with the condition keys of the
    request that the roles' conditions read (policy.OPERATORS): (key, value) pairs."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Place:
    """Where a request goes: its region, the account, and which resources a customer managed key encrypts."""

    region: str
    account: str = ACCOUNT
    partition: str = PARTITION
    keys: Mapping[str, str] = field(default_factory=dict)

    def arn(self, service: str, resource: str, *, regional: bool = True, account: bool = True) -> str:
        return (
            f"arn:{self.partition}:{service}:{self.region if regional else ''}:{self.account if account else ''}:"
            f"{resource}"
        )


Params = Mapping[str, Any]
Resources = Callable[[Params, Place], list[str]]
Rule = Callable[[Params, Place], list[Need]]


# ------------------------------------------------------------------ resources, by service


def table(p: Params, at: Place) -> list[str]:
    return [_table(p["TableName"], at)]


def table_or_index(p: Params, at: Place) -> list[str]:
    """Query and Scan: an index has an ARN of its own, under its table's."""
    arn = _table(p["TableName"], at)
    return [f"{arn}/index/{p['IndexName']}" if p.get("IndexName") else arn]


def each_table(p: Params, at: Place) -> list[str]:
    """BatchGetItem, BatchWriteItem: every table of RequestItems."""
    return [_table(name, at) for name in p["RequestItems"]]


def _table(name: str, at: Place) -> str:
    return name if name.startswith("arn:") else at.arn("dynamodb", f"table/{name}")


def stream(p: Params, at: Place) -> list[str]:
    return [p["StreamArn"]]


def shard_iterator(p: Params, at: Place) -> list[str]:
    """GetRecords names no stream: the resource is the stream its iterator reads, which IAM knows
    from the iterator and the check from the stream ARN the iterator begins with (moto's do)."""
    iterator = str(p["ShardIterator"])
    found = iterator.split("|")[0] if iterator.startswith("arn:") else ""
    return [found or at.arn("dynamodb", "table/*/stream/*")]


def bucket(p: Params, at: Place) -> list[str]:
    return [f"arn:{at.partition}:s3:::{p['Bucket']}"]


def obj(p: Params, at: Place) -> list[str]:
    return [f"arn:{at.partition}:s3:::{p['Bucket']}/{p['Key']}"]


def each_key(p: Params, at: Place) -> list[str]:
    """DeleteObjects: each key asks for DeleteObject."""
    return [f"arn:{at.partition}:s3:::{p['Bucket']}/{o['Key']}" for o in p["Delete"]["Objects"]]


def copy_source(p: Params, at: Place) -> list[str]:
    """CopyObject and UploadPartCopy read their source: "bucket/key[?versionId=]" or {"Bucket", "Key"}."""
    source = p["CopySource"]
    if isinstance(source, Mapping):
        return [f"arn:{at.partition}:s3:::{source['Bucket']}/{source['Key']}"]
    path = unquote(str(source).lstrip("/").split("?versionId=", 1)[0])
    return [f"arn:{at.partition}:s3:::{path}"]


def queue(p: Params, at: Place) -> list[str]:
    """A queue's ARN from its URL (https://sqs.<region>.amazonaws.com/<account>/<name>, or moto's)."""
    account, name = urlparse(p["QueueUrl"]).path.strip("/").split("/")[-2:]
    return [f"arn:{at.partition}:sqs:{at.region}:{account}:{name}"]


def topic(p: Params, at: Place) -> list[str]:
    return [p.get("TopicArn") or p["TargetArn"]]


def each_bus(p: Params, at: Place) -> list[str]:
    """PutEvents: the event bus of each entry (the default bus unless named)."""
    names = {entry.get("EventBusName") or "default" for entry in p["Entries"]}
    return [name if name.startswith("arn:") else at.arn("events", f"event-bus/{name}") for name in sorted(names)]


def rule(p: Params, at: Place) -> list[str]:
    """A rule: rule/<name> on the default bus, rule/<bus>/<name> on another."""
    bus = p.get("EventBusName")
    name = p.get("Rule") or p["Name"]
    return [at.arn("events", f"rule/{bus}/{name}" if bus and bus != "default" else f"rule/{name}")]


def rules(p: Params, at: Place) -> list[str]:
    """The list operations of rules ask for their action on every rule of the bus."""
    return rule({**p, "Rule": "*"}, at)


def schedule(p: Params, at: Place) -> list[str]:
    return [at.arn("scheduler", f"schedule/{p.get('GroupName') or 'default'}/{p['Name']}")]


def user_pool(p: Params, at: Place) -> list[str]:
    return [at.arn("cognito-idp", f"userpool/{p['UserPoolId']}")]


def anything(p: Params, at: Place) -> list[str]:
    """An action that names no resource type in the reference: IAM evaluates it on "*"."""
    return ["*"]


# ------------------------------------------------------------------ rules


def on(action: str, resources: Resources) -> Rule:
    """`action` on each resource `resources` names."""

    def needs(p: Params, at: Place) -> list[Need]:
        return [Need(action, arn) for arn in resources(p, at)]

    return needs


def both(*rules: Rule) -> Rule:
    """What each of `rules` needs (CopyObject: GetObject on the source and PutObject on the target)."""

    def needs(p: Params, at: Place) -> list[Need]:
        return [need for one in rules for need in one(p, at)]

    return needs


def listing(p: Params, at: Place) -> list[Need]:
    """ListObjects(V2): s3:ListBucket on the bucket, with the `s3:prefix` it asks for (no such key
    when it asks for none, as in IAM: a condition on it then holds for nothing)."""
    context = (("s3:prefix", str(p["Prefix"])),) if "Prefix" in p else ()
    return [Need("s3:ListBucket", arn, context) for arn in bucket(p, at)]


def with_key(inner: Rule, *key_actions: str, of: Resources | None = None) -> Rule:
    """`inner`, and `key_actions` on the customer managed key of the resource (`of`, by default the
    resources `inner` names, with an object's bucket for S3)."""

    def needs(p: Params, at: Place) -> list[Need]:
        found = inner(p, at)
        encrypted = of(p, at) if of else [_container(n.resource) for n in found]
        keys = sorted({at.keys[arn] for arn in encrypted if arn in at.keys})
        return found + [Need(action, key) for key in keys for action in key_actions]

    return needs


def _container(arn: str) -> str:
    """The resource whose encryption settings apply: an S3 object's bucket, otherwise itself."""
    if arn.startswith("arn:aws:s3:::") and "/" in arn:
        return arn.split("/", 1)[0]
    return arn


def transact_write(p: Params, at: Place) -> list[Need]:
    """TransactWriteItems is no IAM action: each item asks for its own on its table."""
    actions = {"ConditionCheck": "dynamodb:ConditionCheckItem", "Put": "dynamodb:PutItem"}
    actions |= {"Update": "dynamodb:UpdateItem", "Delete": "dynamodb:DeleteItem"}
    found = []
    for item in p["TransactItems"]:
        [(kind, body)] = item.items()
        found.append(Need(actions[kind], _table(body["TableName"], at)))
    return list(dict.fromkeys(found))


def transact_get(p: Params, at: Place) -> list[Need]:
    """TransactGetItems: GetItem on each item's table."""
    return list(dict.fromkeys(Need("dynamodb:GetItem", _table(i["Get"]["TableName"], at)) for i in p["TransactItems"]))


def none(p: Params, at: Place) -> list[Need]:
    """Asks for no permission at all (sts:GetCallerIdentity)."""
    return []


_WRITE_KEY = ("kms:GenerateDataKey",)
_READ_KEY = ("kms:Decrypt",)

# A copy reads its source and writes its target, each with its own bucket's key.
_COPY = both(with_key(on("s3:GetObject", copy_source), *_READ_KEY), with_key(on("s3:PutObject", obj), *_WRITE_KEY))
# A multipart upload under a KMS key also decrypts the parts it assembles.
_PART = with_key(on("s3:PutObject", obj), *_WRITE_KEY, *_READ_KEY)

# (botocore service name, operation) -> what it needs. Keep in the services' alphabetical order.
OPERATIONS: dict[tuple[str, str], Rule] = {
    ("cognito-idp", "AdminAddUserToGroup"): on("cognito-idp:AdminAddUserToGroup", user_pool),
    ("cognito-idp", "AdminCreateUser"): on("cognito-idp:AdminCreateUser", user_pool),
    ("cognito-idp", "AdminGetUser"): on("cognito-idp:AdminGetUser", user_pool),
    ("cognito-idp", "DescribeUserPoolClient"): on("cognito-idp:DescribeUserPoolClient", user_pool),
    ("cognito-idp", "UpdateUserPoolClient"): on("cognito-idp:UpdateUserPoolClient", user_pool),
    ("dynamodb", "BatchGetItem"): on("dynamodb:BatchGetItem", each_table),
    ("dynamodb", "BatchWriteItem"): on("dynamodb:BatchWriteItem", each_table),
    ("dynamodb", "DeleteItem"): on("dynamodb:DeleteItem", table),
    ("dynamodb", "DescribeTable"): on("dynamodb:DescribeTable", table),
    ("dynamodb", "GetItem"): on("dynamodb:GetItem", table),
    ("dynamodb", "PutItem"): on("dynamodb:PutItem", table),
    ("dynamodb", "Query"): on("dynamodb:Query", table_or_index),
    ("dynamodb", "Scan"): on("dynamodb:Scan", table_or_index),
    ("dynamodb", "TransactGetItems"): transact_get,
    ("dynamodb", "TransactWriteItems"): transact_write,
    ("dynamodb", "UpdateItem"): on("dynamodb:UpdateItem", table),
    # A stream's own ARN (table/<name>/stream/<label>), as DescribeTable's LatestStreamArn gives it.
    ("dynamodbstreams", "DescribeStream"): on("dynamodb:DescribeStream", stream),
    ("dynamodbstreams", "GetShardIterator"): on("dynamodb:GetShardIterator", stream),
    ("dynamodbstreams", "GetRecords"): on("dynamodb:GetRecords", shard_iterator),
    ("events", "DescribeRule"): on("events:DescribeRule", rule),
    ("events", "ListRuleNamesByTarget"): on("events:ListRuleNamesByTarget", rules),
    ("events", "ListRules"): on("events:ListRules", rules),
    ("events", "ListTargetsByRule"): on("events:ListTargetsByRule", rule),
    ("events", "PutEvents"): on("events:PutEvents", each_bus),
    ("s3", "AbortMultipartUpload"): on("s3:AbortMultipartUpload", obj),
    ("s3", "CompleteMultipartUpload"): on("s3:PutObject", obj),
    ("s3", "CopyObject"): _COPY,
    ("s3", "CreateMultipartUpload"): _PART,
    ("s3", "DeleteObject"): on("s3:DeleteObject", obj),
    ("s3", "DeleteObjects"): on("s3:DeleteObject", each_key),
    ("s3", "GetBucketNotificationConfiguration"): on("s3:GetBucketNotification", bucket),
    ("s3", "GetObject"): with_key(on("s3:GetObject", obj), *_READ_KEY),
    ("s3", "HeadBucket"): on("s3:ListBucket", bucket),
    ("s3", "HeadObject"): on("s3:GetObject", obj),
    ("s3", "ListMultipartUploads"): on("s3:ListBucketMultipartUploads", bucket),
    ("s3", "ListObjects"): listing,
    ("s3", "ListObjectsV2"): listing,
    ("s3", "ListParts"): on("s3:ListMultipartUploadParts", obj),
    ("s3", "PutBucketNotificationConfiguration"): on("s3:PutBucketNotification", bucket),
    ("s3", "PutObject"): with_key(on("s3:PutObject", obj), *_WRITE_KEY),
    ("s3", "UploadPart"): _PART,
    ("s3", "UploadPartCopy"): _COPY,
    ("scheduler", "GetSchedule"): on("scheduler:GetSchedule", schedule),
    ("scheduler", "ListSchedules"): on("scheduler:ListSchedules", anything),
    ("sns", "Publish"): with_key(on("sns:Publish", topic), *_WRITE_KEY, *_READ_KEY),
    ("sns", "PublishBatch"): with_key(on("sns:Publish", topic), *_WRITE_KEY, *_READ_KEY),
    ("sqs", "ChangeMessageVisibility"): on("sqs:ChangeMessageVisibility", queue),
    ("sqs", "ChangeMessageVisibilityBatch"): on("sqs:ChangeMessageVisibility", queue),
    ("sqs", "DeleteMessage"): on("sqs:DeleteMessage", queue),
    ("sqs", "DeleteMessageBatch"): on("sqs:DeleteMessage", queue),
    ("sqs", "GetQueueAttributes"): on("sqs:GetQueueAttributes", queue),
    ("sqs", "ReceiveMessage"): with_key(on("sqs:ReceiveMessage", queue), *_READ_KEY),
    ("sqs", "SendMessage"): with_key(on("sqs:SendMessage", queue), *_WRITE_KEY),
    ("sqs", "SendMessageBatch"): with_key(on("sqs:SendMessage", queue), *_WRITE_KEY),
    ("sts", "GetCallerIdentity"): none,
}


def needs(service: str, operation: str, params: Params, at: Place) -> list[Need]:
    rule_of = OPERATIONS.get((service, operation))
    if rule_of is None:
        raise UnmappedOperation(service, operation)
    return rule_of(params, at)
