from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from jobdeck.actions.objects import list_nodes
from jobdeck.actions.registry import ActionContext, Node, action
from jobdeck.datasources import DEFAULT
from jobdeck.store import nodes as node_index


@action(
    "nodes.list",
    "Output the objects under a prefix (key, size, etag, last modified), for the next steps to "
    "work on; give those steps a filter to pick among them.",
    {
        "properties": {"prefix": {"type": "string", "minLength": 1, "description": "e.g. inbox/"}},
        "required": ["prefix"],
    },
)
def nodes_list(ctx: ActionContext, params: dict[str, Any], nodes: list[Node]) -> list[Node]:
    listed = list(list_nodes(ctx.s3, ctx.datasource, params["prefix"].lstrip("/")))
    ctx.log(f"listed {len(listed)} objects under {params['prefix']}")
    return listed


@action(
    "nodes.index",
    "Keep the datasource's node index: an object created (the event's, or the input) is recorded with "
    "its key, size, etag and content type; an object removed is forgotten.",
    {"properties": {}},
    datasource=False,
)
def nodes_index(ctx: ActionContext, params: dict[str, Any], nodes: list[Node]) -> list[Node]:
    event = ctx.task.trigger.detail.get("event", {})
    if event.get("source") == "s3" and event.get("type") == "ObjectRemoved":
        where = ctx.datasource_named(event.get("datasource", DEFAULT))
        node_index.forget_node(where.name, event["key"])
        ctx.log(f"forgot {event['key']} in {where.name}")
        return nodes
    for node in nodes:
        where = ctx.datasource_of(node)
        try:
            head = ctx.s3.head_object(Bucket=where.bucket, Key=where.object_key(node.key))
        except ClientError:
            ctx.log(f"{node.key} is gone already: not indexed", "WARNING")
            continue
        node_index.index_node(
            where.name,
            node.key,
            head["ContentLength"],
            head["ETag"].strip('"'),
            head.get("ContentType"),
            head["LastModified"],
        )
        ctx.log(f"indexed {node.key} in {where.name} ({head['ContentLength']} bytes, {head.get('ContentType')})")
    return nodes
