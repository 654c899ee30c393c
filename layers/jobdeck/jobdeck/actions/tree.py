from __future__ import annotations

from typing import Any

from jobdeck.actions.objects import copy_node, delete_nodes, list_nodes
from jobdeck.actions.registry import ActionContext, ActionError, Node, action


@action(
    "tree.delete",
    "Delete the objects under a prefix: into the recycle bin (kept under the same key there) unless "
    "`permanent` is set. Objects already in the recycle bin are deleted permanently.",
    {
        "properties": {
            "prefix": {"type": "string", "minLength": 1, "description": "key prefix, e.g. home/alice/tmp/"},
            "permanent": {"type": "boolean", "default": False},
        },
        "required": ["prefix"],
    },
)
def tree_delete(ctx: ActionContext, params: dict[str, Any], nodes: list[Node]) -> list[Node]:
    prefix = params["prefix"].lstrip("/")
    if not prefix:
        raise ActionError("refusing to delete the whole datasource: give a prefix below its root")
    targets = list(list_nodes(ctx.s3, ctx.bucket, prefix))
    recycle = ctx.settings.recycle_prefix
    permanent = params["permanent"] or prefix.startswith(recycle)
    if not permanent:
        for node in ctx.each(targets):
            copy_node(ctx, node.key, recycle + node.key)
    deleted = delete_nodes(ctx.s3, ctx.bucket, targets)
    ctx.report_progress(1.0)
    where = "permanently" if permanent else f"to {recycle}"
    ctx.log(f"deleted {deleted} objects under {prefix} {where}")
    return targets


@action(
    "tree.copy",
    "Copy objects into a destination prefix: those under `prefix`, or else the action's input (the "
    "event's object, or what the previous step produced). Outputs the copies.",
    {
        "properties": {
            "destination": {"type": "string", "minLength": 1, "description": "e.g. archive/2026/"},
            "prefix": {"type": "string", "minLength": 1, "description": "copy what is under it"},
        },
        "required": ["destination"],
    },
)
def tree_copy(ctx: ActionContext, params: dict[str, Any], nodes: list[Node]) -> list[Node]:
    destination = params["destination"].lstrip("/")
    if "prefix" in params:
        prefix = params["prefix"].lstrip("/")
        sources = [(n, n.key[len(prefix) :]) for n in list_nodes(ctx.s3, ctx.bucket, prefix)]
    else:
        sources = [(n, n.key.rsplit("/", 1)[-1]) for n in nodes]
    for node, relative in ctx.each(sources):
        if destination + relative == node.key:
            raise ActionError(f"{node.key} would be copied onto itself")
        copy_node(ctx, node.key, destination + relative)
    copies = [Node(destination + relative, node.size, node.etag) for node, relative in sources]
    ctx.log(f"copied {len(copies)} objects to {destination}")
    return copies
