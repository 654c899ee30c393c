"""Build the events Lambda's triggers send, from the samples in events/, so that the handlers see
locally exactly the shapes they see in AWS."""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
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


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
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
            messageAttributes=m.get("MessageAttributes", {}),
            md5OfBody=m.get("MD5OfBody") or hashlib.md5(m["Body"].encode()).hexdigest(),
            eventSourceARN=queue_arn,
            awsRegion=queue_arn.split(":")[3],
        )
        records.append(record)
    return {"Records": records}
