"""The node index of a datasource (see NodeModel)."""

from __future__ import annotations

from datetime import UTC, datetime

from jobdeck.store.models import NodeModel


def index_node(
    bucket: str, key: str, size: int, etag: str | None, content_type: str | None, modified: datetime | None
) -> None:
    NodeModel(
        bucket,
        key,
        size=size,
        etag=etag,
        content_type=content_type,
        modified=modified,
        indexed_at=datetime.now(UTC),
    ).save()


def forget_node(bucket: str, key: str) -> None:
    NodeModel(bucket, key).delete()


def node(bucket: str, key: str) -> dict[str, object] | None:
    try:
        item = NodeModel.get(bucket, key, consistent_read=True)
    except NodeModel.DoesNotExist:
        return None
    return {"key": item.key, "size": int(item.size), "etag": item.etag, "content_type": item.content_type}
