from __future__ import annotations

from typing import Any

from jobdeck.actions.objects import delete_nodes, list_nodes
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
        for done, node in enumerate(targets, 1):
            ctx.checkpoint()
            ctx.s3.copy({"Bucket": ctx.bucket, "Key": node.key}, ctx.bucket, recycle + node.key)
            ctx.report_progress(done / (2 * len(targets)))
    deleted = delete_nodes(ctx.s3, ctx.bucket, targets)
    ctx.report_progress(1.0)
    where = "permanently" if permanent else f"to {recycle}"
    ctx.log(f"deleted {deleted} objects under {prefix} {where}")
    return targets
