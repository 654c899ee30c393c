"""Shares: presigned links to datasource objects (see ShareModel)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jobdeck.store.models import EXPIRING, ShareModel


@dataclass(frozen=True)
class Share:
    id: str
    datasource: str
    key: str  # relative to the datasource
    url: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    job_id: str | None = None
    task_id: str | None = None


def record_share(share: Share) -> None:
    ShareModel(
        share.id,
        datasource=share.datasource,
        key=share.key,
        url=share.url,
        created_by=share.created_by,
        created_at=share.created_at,
        expires_at=share.expires_at,
        job_id=share.job_id,
        task_id=share.task_id,
    ).save(condition=ShareModel.id.does_not_exist())


def get_share(share_id: str) -> Share | None:
    try:
        item = ShareModel.get(share_id, consistent_read=True)
    except ShareModel.DoesNotExist:
        return None
    return Share(
        item.id,
        item.datasource,
        item.key,
        item.url,
        item.created_by,
        item.created_at,
        item.expires_at,
        item.job_id,
        item.task_id,
    )


def expire_shares(now: datetime) -> int:
    """Remove the shares whose expiry is before `now`: one Query of the expiry index (those only),
    deletes in BatchWriteItem requests of 25. How many were removed."""
    removed = 0
    with ShareModel.batch_write() as batch:
        for item in ShareModel.expiry_index.query(EXPIRING, ShareModel.expires_at < now):
            batch.delete(ShareModel(item.id))
            removed += 1
    return removed
