"""The node index of a datasource (see NodeModel)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pynamodb.expressions.condition import Condition

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


# ------------------------------------------------------------------ datasource.sync
# The index of one bucket is one partition, its items in key order (DynamoDB orders string range
# keys by their UTF-8 bytes, as S3 lists keys): a sync walks it beside the bucket's listing.

SYNC_PARTITION = "#sync:"  # where the last sync of a bucket (and prefix) is remembered: not a bucket name


@dataclass(frozen=True)
class IndexedNode:
    """An object as the node index knows it."""

    key: str
    size: int
    etag: str | None = None
    content_type: str | None = None
    modified: datetime | None = None


@dataclass(frozen=True)
class SyncRecord:
    """What the last sync of a bucket (and prefix) found: when it ended, how many objects it saw."""

    at: datetime
    objects: int


def indexed_nodes(
    bucket: str, prefix: str = "", after: str | None = None, page_size: int = 1000
) -> Iterator[IndexedNode]:
    """The index entries of `bucket` under `prefix`, in key order, from the first key after `after`.
    One Query, read page by page as the caller goes: never the whole index in memory."""
    condition: Condition | None
    if after is not None:
        condition = NodeModel.key > after
    elif prefix:
        condition = NodeModel.key.startswith(prefix)
    else:
        condition = None
    for item in NodeModel.query(bucket, condition, page_size=page_size):
        if not item.key.startswith(prefix):
            return  # keys after `after` but past the prefix's range: done
        yield IndexedNode(item.key, int(item.size), item.etag, item.content_type, item.modified)


def write_nodes(bucket: str, put: Sequence[IndexedNode], delete: Sequence[str], at: datetime | None = None) -> None:
    """Record and forget index entries in BatchWriteItem requests of 25 (PynamoDB resends what
    DynamoDB leaves unprocessed). A key must not be in both lists."""
    at = at or datetime.now(UTC)
    with NodeModel.batch_write() as batch:
        for node in put:
            batch.save(
                NodeModel(
                    bucket,
                    node.key,
                    size=node.size,
                    etag=node.etag,
                    content_type=node.content_type,
                    modified=node.modified,
                    indexed_at=at,
                )
            )
        for key in delete:
            batch.delete(NodeModel(bucket, key))


def last_sync(bucket: str, prefix: str = "") -> SyncRecord | None:
    try:
        item = NodeModel.get(SYNC_PARTITION + bucket, _sync_key(prefix))
    except NodeModel.DoesNotExist:
        return None
    return SyncRecord(item.indexed_at, int(item.size))


def record_sync(bucket: str, prefix: str, objects: int, at: datetime) -> None:
    NodeModel(SYNC_PARTITION + bucket, _sync_key(prefix), size=objects, indexed_at=at).save()


def _sync_key(prefix: str) -> str:
    return "prefix:" + prefix  # a range key may not be empty
