"""S3 objects of a datasource, listed and removed in the pages and batches S3 allows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from s3transfer.manager import TransferManager

from jobdeck.actions.registry import ActionContext, ActionError, Node
from jobdeck.domain import WRITER_METADATA
from jobdeck.workers import ContextThreadPool

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

DELETE_BATCH = 1000  # DeleteObjects takes at most this many keys


def list_nodes(s3: S3Client, bucket: str, prefix: str) -> Iterator[Node]:
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            yield Node(obj["Key"], obj["Size"], obj["ETag"].strip('"'), obj["LastModified"])


def delete_nodes(s3: S3Client, bucket: str, nodes: Iterable[Node]) -> int:
    """Delete permanently; raises on the first key S3 refuses, after trying the whole batch."""
    batch: list[Node] = []
    deleted = 0
    for node in nodes:
        batch.append(node)
        if len(batch) == DELETE_BATCH:
            deleted += _delete_batch(s3, bucket, batch)
            batch = []
    if batch:
        deleted += _delete_batch(s3, bucket, batch)
    return deleted


def _delete_batch(s3: S3Client, bucket: str, batch: list[Node]) -> int:
    response = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": n.key} for n in batch], "Quiet": True})
    errors = response.get("Errors", [])
    if errors:
        first = errors[0]
        raise ActionError(f"S3 refused to delete {len(errors)} objects, first {first['Key']}: {first['Message']}")
    return len(batch)


def copy_node(ctx: ActionContext, source: str, destination: str) -> None:
    """Copy within the datasource, keeping the content type, and sign the copy with the job that
    wrote it so that its own event does not start the same job again (routing's loop guard)."""
    head = ctx.s3.head_object(Bucket=ctx.bucket, Key=source)
    metadata = {**head.get("Metadata", {}), WRITER_METADATA: ctx.job.id}
    # The transfer manager (boto3's `copy`, without boto3) copies past CopyObject's 5 GB in parts.
    with TransferManager(ctx.s3, executor_cls=ContextThreadPool) as transfers:
        transfers.copy(
            {"Bucket": ctx.bucket, "Key": source},
            ctx.bucket,
            destination,
            extra_args={
                "Metadata": metadata,
                "MetadataDirective": "REPLACE",
                "ContentType": head.get("ContentType", "binary/octet-stream"),
            },
        ).result()
