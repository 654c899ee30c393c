"""Build the events Lambda's triggers send, from the samples in events/, so that the handlers see
locally exactly the shapes they see in AWS (tests/test_event_shapes.py checks both against
Powertools' models of those AWS events)."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from jobdeck_local.template import ROOT


@cache
def sample(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "events" / f"{name}.json").read_text())


def scheduled_event(at: datetime | None = None) -> dict[str, Any]:
    event = copy.deepcopy(sample("tick"))
    event["id"] = str(uuid.uuid4())
    event["time"] = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return event


def sqs_event(messages: Sequence[Mapping[str, Any]], queue_arn: str) -> dict[str, Any]:
    """An SQS event for messages as ReceiveMessage returns them (with all attributes)."""
    shape = sample("runner-sqs")["Records"][0]
    records = []
    for m in messages:
        record = copy.deepcopy(shape)
        record.update(
            messageId=m["MessageId"],
            receiptHandle=m["ReceiptHandle"],
            body=m["Body"],
            attributes=m.get("Attributes", {}),
            messageAttributes={name: _attribute(value) for name, value in m.get("MessageAttributes", {}).items()},
            md5OfBody=m.get("MD5OfBody") or hashlib.md5(m["Body"].encode()).hexdigest(),
            eventSourceARN=queue_arn,
            awsRegion=queue_arn.split(":")[3],
        )
        if m.get("MD5OfMessageAttributes"):
            record["md5OfMessageAttributes"] = m["MD5OfMessageAttributes"]
        records.append(record)
    return {"Records": records}


def _attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    """A message attribute as Lambda writes it: ReceiveMessage's `StringValue`, `BinaryValue`
    (bytes), ... become `stringValue`, `binaryValue` (base64), ..., the two lists always there."""
    out: dict[str, Any] = {"dataType": value["DataType"]}
    if "StringValue" in value:
        out["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        out["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
    out["stringListValues"] = list(value.get("StringListValues", []))
    out["binaryListValues"] = [base64.b64encode(b).decode() for b in value.get("BinaryListValues", [])]
    return out


def custom_resource_request(request_type: str, response_url: str, **fields: Any) -> dict[str, Any]:
    """The request CloudFormation sends the setup function for the SystemJobs custom resource:
    Create, Update or Delete (events/setup-<type>.json), answered at `response_url`, with `fields`
    replacing the sample's (`ResourceProperties=...`)."""
    event = copy.deepcopy(sample(f"setup-{request_type.lower()}"))
    event.update(RequestId=str(uuid.uuid4()), ResponseURL=response_url, **fields)
    return event


def dynamodb_stream_event(records: Sequence[Mapping[str, Any]], stream_arn: str) -> dict[str, Any]:
    """A DynamoDB stream event for records as GetRecords returns them: Lambda hands the function
    the creation time as epoch seconds (botocore parsed it), and the stream's ARN on each record."""
    shaped = []
    for record in records:
        stream = dict(record["dynamodb"])
        created = stream.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            stream["ApproximateCreationDateTime"] = int(created.timestamp())
        shaped.append(
            {**{k: v for k, v in record.items() if k != "dynamodb"}, "dynamodb": stream, "eventSourceARN": stream_arn}
        )
    return {"Records": shaped}
