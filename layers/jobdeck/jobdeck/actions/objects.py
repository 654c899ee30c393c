"""S3 objects of a datasource, listed and removed in the pages and batches S3 allows. Keys in and
out are relative to the datasource (its prefix is added and taken off here)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from s3transfer.manager import TransferManager

from jobdeck.actions.registry import ActionContext, ActionError, Node
from jobdeck.datasources import Datasource
from jobdeck.domain import WRITER_METADATA
from jobdeck.workers import ContextThreadPool

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

DELETE_BATCH = 1000  # DeleteObjects takes at most this many keys


def list_nodes(s3: S3Client, where: Datasource, prefix: str, after: str | None = None) -> Iterator[Node]:
    """The objects under `prefix` of the datasource, in key order, from the first after `after`."""
    paginator = s3.get_paginator("list_objects_v2")
    arguments = {"Bucket": where.bucket, "Prefix": where.object_key(prefix)}
    if after:
        arguments["StartAfter"] = where.object_key(after)
    for page in paginator.paginate(**arguments):  # type: ignore[arg-type]
        for obj in page.get("Contents", []):
            key = obj["Key"][len(where.prefix) :]
            yield Node(key, obj["Size"], obj["ETag"].strip('"'), obj["LastModified"], where.name)


def any_under(s3: S3Client, where: Datasource, prefix: str) -> bool:
    listed = s3.list_objects_v2(Bucket=where.bucket, Prefix=where.object_key(prefix), MaxKeys=1)
    return bool(listed.get("KeyCount", 0))


def delete_nodes(s3: S3Client, where: Datasource, nodes: Iterable[Node]) -> int:
    """Delete permanently; raises on the first key S3 refuses, after trying the whole batch."""
    batch: list[Node] = []
    deleted = 0
    for node in nodes:
        batch.append(node)
        if len(batch) == DELETE_BATCH:
            deleted += _delete_batch(s3, where, batch)
            batch = []
    if batch:
        deleted += _delete_batch(s3, where, batch)
    return deleted


def _delete_batch(s3: S3Client, where: Datasource, batch: list[Node]) -> int:
    objects = [{"Key": where.object_key(n.key)} for n in batch]
    response = s3.delete_objects(Bucket=where.bucket, Delete={"Objects": objects, "Quiet": True})  # type: ignore[typeddict-item]
    errors = response.get("Errors", [])
    if errors:
        first = errors[0]
        raise ActionError(f"S3 refused to delete {len(errors)} objects, first {first['Key']}: {first['Message']}")
    return len(batch)


def copy_node(ctx: ActionContext, source: Node, destination: str, into: Datasource | None = None) -> None:
    """Copy `source` to `destination` in `into` (the step's datasource unless given), keeping the
    content type, and sign the copy with the job that wrote it so that its own event does not start
    the same job again (routing's loop guard)."""
    origin, into = ctx.datasource_of(source), into or ctx.datasource
    head = ctx.s3.head_object(Bucket=origin.bucket, Key=origin.object_key(source.key))
    metadata = {**head.get("Metadata", {}), WRITER_METADATA: ctx.job.id}
    # The transfer manager (boto3's `copy`, without boto3) copies past CopyObject's 5 GB in parts.
    with TransferManager(ctx.s3, executor_cls=ContextThreadPool) as transfers:
        transfers.copy(
            {"Bucket": origin.bucket, "Key": origin.object_key(source.key)},
            into.bucket,
            into.object_key(destination),
            extra_args={
                "Metadata": metadata,
                "MetadataDirective": "REPLACE",
                "ContentType": head.get("ContentType", "binary/octet-stream"),
            },
        ).result()
