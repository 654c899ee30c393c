"""The node index of each datasource (see NodeModel): one partition per datasource, keys relative to
its prefix. Beside the entries, per datasource: the last sync (what it found) and the count of
objects indexed, which a whole sync sets and each upload or removal indexed in between moves."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pynamodb.exceptions import DeleteError, PutError
from pynamodb.expressions.condition import Condition

from jobdeck.store.models import NodeModel

COUNT_PARTITION = "#count:"  # the objects indexed in a datasource: not a datasource name (those have no '#')
COUNT_KEY = "objects"


def index_node(
    datasource: str, key: str, size: int, etag: str | None, content_type: str | None, modified: datetime | None
) -> None:
    item = NodeModel(
        datasource,
        key,
        size=size,
        etag=etag,
        content_type=content_type,
        modified=modified,
        indexed_at=datetime.now(UTC),
    )
    try:
        item.save(condition=NodeModel.key.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        item.save()  # indexed already (a new version of the object): the count stays
        return
    _count(datasource, 1)


def forget_node(datasource: str, key: str) -> None:
    try:
        NodeModel(datasource, key).delete(condition=NodeModel.key.exists())
    except DeleteError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return  # not indexed: nothing to count
    _count(datasource, -1)


def _count(datasource: str, more: int) -> None:
    NodeModel(COUNT_PARTITION + datasource, COUNT_KEY).update(
        [NodeModel.size.add(more), NodeModel.indexed_at.set(datetime.now(UTC))]
    )


def node(datasource: str, key: str) -> dict[str, object] | None:
    try:
        item = NodeModel.get(datasource, key, consistent_read=True)
    except NodeModel.DoesNotExist:
        return None
    return {"key": item.key, "size": int(item.size), "etag": item.etag, "content_type": item.content_type}


# ------------------------------------------------------------------ datasource.sync
# The index of one datasource is one partition, its items in key order (DynamoDB orders string range
# keys by their UTF-8 bytes, as S3 lists keys): a sync walks it beside the datasource's listing.

SYNC_PARTITION = "#sync:"  # where the last sync of a datasource (and prefix) is remembered


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
    """What the last sync of a datasource (and prefix) found: when it ended, how many objects it saw,
    what changed (created, changed, deleted) and which task it was."""

    at: datetime
    objects: int
    counts: dict[str, int] = field(default_factory=dict)
    task_id: str | None = None
    job_id: str | None = None


@dataclass(frozen=True)
class DatasourceIndex:
    """What the index holds of one datasource: objects indexed (None: never counted) and its last
    whole sync (None: none yet)."""

    objects: int | None
    last_sync: SyncRecord | None


def indexed_nodes(
    datasource: str, prefix: str = "", after: str | None = None, page_size: int = 1000
) -> Iterator[IndexedNode]:
    """The index entries of `datasource` under `prefix`, in key order, from the first key after `after`.
    One Query, read page by page as the caller goes: never the whole index in memory."""
    condition: Condition | None
    if after is not None:
        condition = NodeModel.key > after
    elif prefix:
        condition = NodeModel.key.startswith(prefix)
    else:
        condition = None
    for item in NodeModel.query(datasource, condition, page_size=page_size):
        if not item.key.startswith(prefix):
            return  # keys after `after` but past the prefix's range: done
        yield IndexedNode(item.key, int(item.size), item.etag, item.content_type, item.modified)


def write_nodes(datasource: str, put: Sequence[IndexedNode], delete: Sequence[str], at: datetime | None = None) -> None:
    """Record and forget index entries in BatchWriteItem requests of 25 (PynamoDB resends what
    DynamoDB leaves unprocessed). A key must not be in both lists."""
    at = at or datetime.now(UTC)
    with NodeModel.batch_write() as batch:
        for node in put:
            batch.save(
                NodeModel(
                    datasource,
                    node.key,
                    size=node.size,
                    etag=node.etag,
                    content_type=node.content_type,
                    modified=node.modified,
                    indexed_at=at,
                )
            )
        for key in delete:
            batch.delete(NodeModel(datasource, key))


def last_sync(datasource: str, prefix: str = "") -> SyncRecord | None:
    try:
        item = NodeModel.get(SYNC_PARTITION + datasource, _sync_key(prefix))
    except NodeModel.DoesNotExist:
        return None
    return _sync_record(item)


def record_sync(datasource: str, prefix: str, record: SyncRecord) -> None:
    """Remember a sync; a whole datasource's sets its count of objects indexed, a prefix's moves it
    by what it created and deleted."""
    sync = {"counts": record.counts, "task_id": record.task_id, "job_id": record.job_id}
    NodeModel(
        SYNC_PARTITION + datasource, _sync_key(prefix), size=record.objects, indexed_at=record.at, sync=sync
    ).save()
    if not prefix:
        NodeModel(COUNT_PARTITION + datasource, COUNT_KEY, size=record.objects, indexed_at=record.at).save()
    elif more := record.counts.get("created", 0) - record.counts.get("deleted", 0):
        _count(datasource, more)


def datasource_indexes(datasources: Iterable[str]) -> dict[str, DatasourceIndex]:
    """Each datasource's count and last whole sync, in one BatchGetItem."""
    names = list(datasources)
    keys = [(SYNC_PARTITION + n, _sync_key("")) for n in names] + [(COUNT_PARTITION + n, COUNT_KEY) for n in names]
    found = {(item.datasource, item.key): item for item in NodeModel.batch_get(keys)}
    result = {}
    for name in names:
        synced, counted = (
            found.get((SYNC_PARTITION + name, _sync_key(""))),
            found.get((COUNT_PARTITION + name, COUNT_KEY)),
        )
        objects = int(counted.size) if counted is not None else None
        result[name] = DatasourceIndex(objects, _sync_record(synced) if synced is not None else None)
    return result


def _sync_record(item: NodeModel) -> SyncRecord:
    sync = item.sync.as_dict() if item.sync is not None else {}
    counts = {k: int(v) for k, v in (sync.get("counts") or {}).items()}
    return SyncRecord(item.indexed_at, int(item.size), counts, sync.get("task_id"), sync.get("job_id"))


def _sync_key(prefix: str) -> str:
    return "prefix:" + prefix  # a range key may not be empty
