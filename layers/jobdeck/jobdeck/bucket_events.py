"""EventBridge notifications of the attached buckets (CloudFormation custom resource
`Custom::DatasourceEvents`, run by DatasourceEventsFunction when the operator allows it with the
`EnableDatasourceEvents` parameter; the local stack calls `turn_on` for its buckets too).

A bucket's notification configuration is one document: PutBucketNotificationConfiguration replaces
it whole. So the bucket's other destinations (SNS topics, SQS queues, Lambda functions someone set
up before Jobdeck) are read first and sent back with EventBridge added.

On Delete, and for a bucket an Update no longer lists, EventBridge stays on: Jobdeck cannot tell
whether it was on before, nor whether anything else (another stack, a rule made in the console)
has come to rely on it since; while no rule matches them, the events cost nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger

from jobdeck import clients

logger = Logger()

KIND = "Custom::DatasourceEvents"
# What GetBucketNotificationConfiguration answers that PutBucketNotificationConfiguration takes back.
_KEPT = ("TopicConfigurations", "QueueConfigurations", "LambdaFunctionConfigurations")


def turn_on(s3: Any, bucket: str) -> bool:
    """EventBridge notifications on for `bucket`, its other notifications kept; whether it changed
    anything (False: they were on already)."""
    current = s3.get_bucket_notification_configuration(Bucket=bucket)
    if "EventBridgeConfiguration" in current:
        return False
    merged = {name: current[name] for name in _KEPT if current.get(name)}
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={**merged, "EventBridgeConfiguration": {}},
        # The destinations sent back are not ours to test: one whose permissions changed since it was
        # set up would otherwise fail the deploy, for a destination this does not touch.
        SkipDestinationValidation=True,
    )
    logger.info("EventBridge notifications turned on", extra={"bucket": bucket, "kept": sorted(merged)})
    return True


def handle(event: Mapping[str, Any]) -> dict[str, str]:
    """Create and Update: EventBridge on for each of `BucketNames` (comma-separated). Delete: nothing
    (see the module's docstring)."""
    if event["RequestType"] == "Delete":
        return {}
    names = [name for name in str(event["ResourceProperties"]["BucketNames"]).split(",") if name]
    s3 = clients.s3()
    changed = [name for name in names if turn_on(s3, name)]
    return {"TurnedOn": ",".join(changed)}
