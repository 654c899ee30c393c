"""share.create and share.expire: presigned download links to datasource objects, recorded in the
Shares table, and their removal once expired.

A presigned URL carries the signer's authority: it works until `expires_in` passes **and** only while
the credentials that signed it are valid. The runner signs with its role's session, which AWS
rotates within hours; a link meant to last days needs long-term credentials behind it (SigV4 caps
any link at 7 days).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from jobdeck import clients
from jobdeck.actions.registry import ActionContext, ActionError, Node, action
from jobdeck.domain import new_task_id
from jobdeck.store import shares as share_store

MAX_EXPIRES_IN = 7 * 24 * 3600  # SigV4: a presigned URL lives at most 7 days


@action(
    "share.create",
    "Make a presigned download link (GET, SigV4) to `key`, or else to each input object, valid "
    "`expires_in` seconds (at most 7 days); record it in the Shares table and log it. Outputs the "
    "shared objects.",
    {
        "properties": {
            "key": {"type": "string", "minLength": 1, "description": "the object to share; empty: the input"},
            "expires_in": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_EXPIRES_IN,
                "default": 86_400,
                "description": "seconds the link works (at most 604800, 7 days)",
            },
        },
    },
)
def share_create(ctx: ActionContext, params: dict[str, Any], nodes: list[Node]) -> list[Node]:
    targets = [Node(params["key"].lstrip("/"), datasource=ctx.datasource.name)] if "key" in params else nodes
    if not targets:
        raise ActionError("nothing to share: give a key, or run after a step (or event) that yields objects")
    expires_in = int(params["expires_in"])
    signer = clients.presigner()
    for node in ctx.each(targets):
        where = ctx.datasource_of(node)
        try:
            ctx.s3.head_object(Bucket=where.bucket, Key=where.object_key(node.key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise ActionError(f"cannot share {node.key}: no such object in the datasource {where.name}") from None
            raise
        created = datetime.now(UTC).replace(microsecond=0)  # SigV4 signs to the second
        url = signer.generate_presigned_url(
            "get_object", Params={"Bucket": where.bucket, "Key": where.object_key(node.key)}, ExpiresIn=expires_in
        )
        share = share_store.Share(
            id=new_task_id(created),
            datasource=where.name,
            key=node.key,
            url=url,
            created_by=ctx.task.trigger.by,
            created_at=created,
            expires_at=created + timedelta(seconds=expires_in),
            job_id=ctx.job.id,
            task_id=ctx.task.id,
        )
        share_store.record_share(share)
        ctx.log(f"share {share.id}: {node.key} until {share.expires_at.isoformat()}, by {share.created_by}")
        ctx.log(url)  # a line of its own: a link with a session token is long
    ctx.log(f"shared {len(targets)} objects for {expires_in} s")
    return targets


@action(
    "share.expire",
    "Remove the shares whose link has expired from the Shares table (DynamoDB's TTL would, within days).",
    {"properties": {}},
    datasource=False,
)
def share_expire(ctx: ActionContext, params: dict[str, Any], nodes: list[Node]) -> list[Node]:
    ctx.checkpoint()
    removed = share_store.expire_shares(ctx.now)
    ctx.report_progress(1.0)
    ctx.log(f"removed {removed} expired shares")
    return nodes
