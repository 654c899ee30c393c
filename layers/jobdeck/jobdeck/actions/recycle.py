from __future__ import annotations

from datetime import timedelta
from typing import Any

from jobdeck.actions.objects import delete_nodes, list_nodes
from jobdeck.actions.registry import ActionContext, Node, action


@action(
    "recycle.purge",
    "Permanently delete objects that have been in the recycle bin for more than N days.",
    {
        "properties": {
            "older_than_days": {"type": "integer", "minimum": 0, "default": 30},
        },
    },
)
def recycle_purge(ctx: ActionContext, params: dict[str, Any], nodes: list[Node]) -> list[Node]:
    # An object's LastModified in the bin is when it was moved there (the move is a copy).
    cutoff = ctx.now - timedelta(days=params["older_than_days"])
    binned = list_nodes(ctx.s3, ctx.datasource, ctx.settings.recycle_prefix)
    expired = [n for n in binned if n.last_modified is not None and n.last_modified < cutoff]
    deleted = delete_nodes(ctx.s3, ctx.datasource, expired)
    ctx.report_progress(1.0)
    days = params["older_than_days"]
    ctx.log(f"purged {deleted} objects older than {days} days from the recycle bin of {ctx.datasource.name}")
    return expired
