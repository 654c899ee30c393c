"""moto's EventBridge events in the shapes AWS documents, so that the events function sees locally
what it sees in AWS. Written for moto 5.2.6; `install()` checks that what it replaces is there and
stops with a message naming the part and the installed version otherwise.

S3 object events (`s3_object_event`, after
https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html). moto copies the page's
example rather than the event: every event has the example's `id` and `sequencer`, so a second
upload of a key within the same second was the same event to Jobdeck and ran nothing; the object's
ETag comes as `eTag` (AWS: `etag`), so a task's event and its first input node had no etag locally;
`reason` is moto's event name (`ObjectCreated`) instead of the S3 API (`PutObject`, `CopyObject`,
`CompleteMultipartUpload`, `DeleteObject`); a deleted object keeps its size and ETag and has no
`deletion-type`; an unversioned object has `"version-id": "null"`; and the event reaches the rules
of every event bus, not the default one only.

Custom events (`PutEvents`): moto hands a rule's targets its default input template, which leaves
out `account`, a field of every EventBridge event.

A bucket's notification configuration (`GetBucketNotificationConfiguration`): moto keeps the
EventBridge setting but leaves it out of its answer, where S3 answers `<EventBridgeConfiguration/>`.
Without it, turning EventBridge on for an attached bucket (jobdeck.bucket_events) could never see it
on, and would write the configuration again at every deploy and every start of the local stack.
"""

from __future__ import annotations

import inspect
import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import moto
from aws_lambda_powertools import Logger
from moto.core.utils import unix_time
from moto.events.models import events_backends
from moto.events.utils import EventMessageType, EventTemplateParser
from moto.s3 import notifications
from moto.s3.responses import S3Response

from jobdeck_local import reaches

logger = Logger(service="jobdeck-local")

WRITTEN_FOR = "5.2.6"
# moto's default input template, as 5.2.6 has it, and the same with `account` (see the module).
_MOTO_TEMPLATE = (
    '{"id": "<id>", "time": <time>, "version": "0", "detail-type": "<detail-type>", "source": "<source>", '
    '"region": "<region>", "resources": <resources>, "detail": <detail>}'
)
_TEMPLATE = _MOTO_TEMPLATE.replace('"version": "0", ', '"version": "0", "account": "<account>", ')

_CREATED_BY = {"Put": "PutObject", "Post": "POST Object", "Copy": "CopyObject"}
_sequence_lock = threading.Lock()
_last_sequencer = 0


def install() -> None:
    """Idempotent: S3's events to EventBridge and PutEvents' events to targets as AWS shapes them."""
    _check()
    notifications._send_event_bridge_message = _send_event_bridge_message
    EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = _TEMPLATE
    reaches.install(S3Response, "get_bucket_notification", _with_eventbridge)


def _check() -> None:
    problems = []
    original = getattr(notifications, "_send_event_bridge_message", None)
    parameters = ["account_id", "bucket", "event_name", "key"]
    if original is None or list(inspect.signature(original).parameters) != parameters:
        problems.append("moto.s3.notifications._send_event_bridge_message(account_id, bucket, event_name, key)")
    if not callable(getattr(notifications, "_detail_type", None)):
        problems.append("moto.s3.notifications._detail_type")
    if EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE not in (_MOTO_TEMPLATE, _TEMPLATE):
        problems.append("moto.events.utils.EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE as 5.2.6 has it")
    for reach in _NOTIFICATION_READS:
        if problem := reach.problem():
            problems.append(problem)
    if problems:
        raise RuntimeError(
            f"jobdeck_local.moto_event_shapes was written for moto {WRITTEN_FOR}; moto {moto.__version__} is "
            f"installed and lacks: {'; '.join(problems)}. Install moto {WRITTEN_FOR}."
        )


def _send_event_bridge_message(account_id: str, bucket: Any, event_name: str, key: Any) -> None:
    """What S3 sends to the default event bus of the bucket's account and region."""
    event_name = getattr(event_name, "value", event_name)  # moto passes its enum's members
    try:
        event = s3_object_event(account_id, bucket, event_name, key)
        bus = events_backends[account_id][bucket.region_name].event_buses.get("default")
        for rule in list(bus.rules.values()) if bus else []:
            rule.send_to_targets(event, transform_input=False)
    except Exception:  # S3 sends its events after the request: their failure never fails it
        logger.exception("could not send an S3 event to EventBridge", bucket=bucket.name, event=event_name)


def s3_object_event(account_id: str, bucket: Any, event_name: str, key: Any) -> EventMessageType:
    """The EventBridge event of an S3 notification (`s3:ObjectCreated:Put`, ...) for `key`."""
    detail_type = notifications._detail_type(event_name)
    action = event_name.rsplit(":", 1)[-1]
    obj: dict[str, Any] = {"key": key.name}
    if detail_type != "Object Deleted":
        obj.update(size=key.size, etag=key.etag.strip('"'))
    if key.version_id not in (None, "null"):  # S3 names a version in versioned buckets only
        obj["version-id"] = key.version_id
    obj["sequencer"] = _sequencer()
    detail: dict[str, Any] = {
        "version": "0",
        "bucket": {"name": bucket.name},
        "object": obj,
        "request-id": "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16)),
        "requester": account_id,
        "source-ip-address": "127.0.0.1",
    }
    if detail_type == "Object Created":
        detail["reason"] = _CREATED_BY.get(action, action)
    elif detail_type == "Object Deleted":
        if "LifecycleExpiration" in event_name:  # S3 deleted it, not a request
            detail.update(requester="s3.amazonaws.com", reason="Lifecycle Expiration")
            del detail["source-ip-address"]
        else:
            detail["reason"] = "DeleteObject"
        marker = action == "DeleteMarkerCreated"
        detail["deletion-type"] = "Delete Marker Created" if marker else "Permanently Deleted"
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "aws.s3",
        "account": account_id,
        # Epoch seconds, as moto's own events carry it: its SQS target writes them as ISO 8601.
        "time": unix_time(),
        "region": bucket.region_name,
        "resources": [bucket.arn],
        "detail": detail,
    }


_NOTIFICATION_READS = (
    reaches.Reach("moto.s3.responses.S3Response.get_bucket_notification", params=("self",)),
    reaches.Reach("moto.s3.models.S3Backend.get_bucket_notification_configuration", params=("self", "bucket_name")),
)


def _with_eventbridge(original: Callable[[S3Response], Any]) -> Callable[[S3Response], Any]:
    """GetBucketNotificationConfiguration's answer with `<EventBridgeConfiguration/>` when it is on."""

    def get_bucket_notification(self: S3Response) -> Any:
        status, headers, body = original(self)
        config = self.backend.get_bucket_notification_configuration(self.bucket_name)
        if config is None or getattr(config, "event_bridge", None) is None:
            return status, headers, body
        text = body.decode() if isinstance(body, bytes) else str(body)
        closing = "</NotificationConfiguration>"
        if closing not in text:  # nothing else configured: moto answered an empty element
            text = text.rstrip().removesuffix("/>") + ">" + closing
        text = text.replace(closing, "<EventBridgeConfiguration/>" + closing)
        for name in [name for name in headers if name.lower() == "content-length"]:
            headers[name] = str(len(text.encode()))
        return status, headers, text

    return get_bucket_notification


def _sequencer() -> str:
    """S3's sequencer: hexadecimal, greater for each later event of a key (here: of any key)."""
    global _last_sequencer
    with _sequence_lock:
        _last_sequencer = max(_last_sequencer + 1, time.time_ns())
        return f"{_last_sequencer:016x}"
