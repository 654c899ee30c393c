from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from jobdeck import store
from jobdeck.actions.registry import ActionContext, Node, action


@action(
    "nodes.index",
    "Keep the datasource's node index: an object created (the event's, or the input) is recorded with "
    "its key, size, etag and content type; an object removed is forgotten.",
    {"properties": {}},
)
def nodes_index(ctx: ActionContext, params: dict[str, Any], nodes: list[Node]) -> list[Node]:
    event = ctx.task.trigger.detail.get("event", {})
    bucket = event.get("bucket", ctx.bucket)
    if event.get("source") == "s3" and event.get("type") == "ObjectRemoved":
        store.forget_node(bucket, event["key"])
        ctx.log(f"forgot {event['key']}")
        return nodes
    for node in nodes:
        try:
            head = ctx.s3.head_object(Bucket=bucket, Key=node.key)
        except ClientError:
            ctx.log(f"{node.key} is gone already: not indexed", "WARNING")
            continue
        store.index_node(
            bucket,
            node.key,
            head["ContentLength"],
            head["ETag"].strip('"'),
            head.get("ContentType"),
            head["LastModified"],
        )
        ctx.log(f"indexed {node.key} ({head['ContentLength']} bytes, {head.get('ContentType')})")
    return nodes
