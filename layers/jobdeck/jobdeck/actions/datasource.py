"""datasource.sync: bring a datasource's node index in line with its bucket, and say what changed.

A merge-join of two streams in the same key order: the datasource's listing (S3 lists keys in UTF-8
byte order; the datasource's prefix is the same on every key, so relative keys keep that order) and
the index's Query of the datasource's partition (DynamoDB orders string range keys by
their UTF-8 bytes; Python compares str by code point, which is the same order). Neither is held in
memory: a page of each at a time. A key only listed is created, only indexed is deleted, in both
with another etag, size or modification time is changed.

Its place between invocations (a hand-over 30 s before Lambda's end, a pause) is the last key done
and the counts so far: a continuation lists from that key (StartAfter) and queries past it, so a
sync of any size goes on through as many invocations as it needs. Index writes go in batches; a
key becomes "done" once its batch is written, and whatever ends the walk (a checkpoint's
hand-over, stop or pause) writes the batch in hand first.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from jobdeck.actions.registry import (
    ActionContext,
    ActionError,
    Node,
    OutOfTime,
    TaskPaused,
    TaskStopped,
    TaskTimedOut,
    action,
)
from jobdeck.datasources import Datasource
from jobdeck.store import nodes as node_index
from jobdeck.workers import ContextThreadPool

OUTPUT_LIMIT = 1000  # created and changed objects passed on to the next step, at most
EXAMPLES = 5  # keys named per kind in the log
WRITE_BATCH = 25  # index writes per BatchWriteItem request (DynamoDB's most)
HEAD_THREADS = 8  # HEADs under way at once (botocore's pool keeps 10 connections)
CHECKPOINT_EXCEPTIONS = (OutOfTime, TaskPaused, TaskStopped, TaskTimedOut)
KEYS_IN_HAND = 1000  # keys looked at before the place moves on, when none of them needs a write


@action(
    "datasource.sync",
    "Walk the datasource (or what is under `prefix`) and bring the node index up to date: record new "
    "and changed objects (key, size, etag, modification time, content type), forget those gone. Reports "
    "how many were created, changed and deleted since the last sync, and outputs the created and "
    f"changed objects (the first {OUTPUT_LIMIT}).",
    {
        "properties": {
            "prefix": {"type": "string", "default": "", "description": "only what is under it; empty: everything"},
        },
    },
)
def datasource_sync(ctx: ActionContext, params: dict[str, Any], nodes: list[Node]) -> list[Node]:
    prefix = params["prefix"].lstrip("/")
    where = ctx.datasource
    state = ctx.state
    if "counts" not in state:
        previous = node_index.last_sync(where.name, prefix)
        state.update(
            after=None,
            counts={"created": 0, "changed": 0, "deleted": 0, "unchanged": 0},
            examples={"created": [], "changed": [], "deleted": []},
            output=[],
            estimate=previous.objects if previous else None,
            since=previous.at.isoformat() if previous else None,
        )
    _check_bucket(ctx, where, prefix)
    writer = _Writer(ctx, where)
    with writer:
        listed = _listing(ctx, where, prefix, state["after"])
        indexed = node_index.indexed_nodes(where.name, prefix, state["after"])
        for key, obj, entry in _merge(listed, indexed):
            ctx.checkpoint()
            writer.handle(key, obj, entry)
    counts = state["counts"]
    objects = counts["created"] + counts["changed"] + counts["unchanged"]
    changes = {kind: counts[kind] for kind in ("created", "changed", "deleted")}
    record = node_index.SyncRecord(ctx.now, objects, changes, ctx.task.id, ctx.job.id)
    node_index.record_sync(where.name, prefix, record)
    since = f"since the last sync ({state['since']})" if state["since"] else "(first sync)"
    ctx.log(
        f"synced {where.name} ({where.location}{prefix}): {objects} objects, {counts['created']} created, "
        f"{counts['changed']} changed, {counts['deleted']} deleted {since}"
    )
    for kind, keys in state["examples"].items():
        if keys:
            more = counts[kind] - len(keys)
            ctx.log(f"{kind}: {', '.join(keys)}" + (f" and {more} more" if more > 0 else ""))
    changes = counts["created"] + counts["changed"]
    if changes > OUTPUT_LIMIT:
        ctx.log(f"the output holds the first {OUTPUT_LIMIT} of {changes} created and changed objects", "WARNING")
    ctx.report_progress(1.0)
    return [Node(key, size, etag, datasource=where.name) for key, size, etag in state["output"]]


def _check_bucket(ctx: ActionContext, where: Datasource, prefix: str) -> None:
    """A listing of one key: what the sync's listing needs (not HeadBucket, which asks for a listing
    of the whole bucket, which a datasource's grant limited to its prefix does not give)."""
    try:
        ctx.s3.list_objects_v2(Bucket=where.bucket, Prefix=where.object_key(prefix), MaxKeys=1)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("404", "NoSuchBucket", "403", "AccessDenied", "Forbidden"):
            raise ActionError(f"cannot read the datasource {where.name} ({where.location}): {code}") from None
        raise


Listed = tuple[str, int, str, datetime]  # key, size, etag, last modified


def _listing(ctx: ActionContext, where: Datasource, prefix: str, after: str | None) -> Iterator[Listed]:
    """Keys relative to the datasource."""
    paginator = ctx.s3.get_paginator("list_objects_v2")
    arguments: dict[str, Any] = {"Bucket": where.bucket, "Prefix": where.object_key(prefix)}
    if after is not None:
        arguments["StartAfter"] = where.object_key(after)
    cut = len(where.prefix)
    for page in paginator.paginate(**arguments):
        for obj in page.get("Contents", []):
            yield obj["Key"][cut:], obj["Size"], obj["ETag"].strip('"'), obj["LastModified"]


def _merge(
    listed: Iterator[Listed], indexed: Iterator[node_index.IndexedNode]
) -> Iterator[tuple[str, Listed | None, node_index.IndexedNode | None]]:
    """Each key of either stream once, in order, with what each stream says of it (None: absent)."""
    obj, entry = next(listed, None), next(indexed, None)
    while obj is not None or entry is not None:
        if entry is None or (obj is not None and obj[0] < entry.key):
            assert obj is not None
            yield obj[0], obj, None
            obj = next(listed, None)
        elif obj is None or entry.key < obj[0]:
            yield entry.key, None, entry
            entry = next(indexed, None)
        else:
            yield obj[0], obj, entry
            obj, entry = next(listed, None), next(indexed, None)


def _seconds(moment: datetime | None) -> datetime | None:
    """S3 keeps modification times to the second (HEAD says so; listings may show milliseconds)."""
    return moment.replace(microsecond=0) if moment else None


class _Writer:
    """Decides per key, writes the index in batches, and moves the place kept in `ctx.state` on when a
    batch is written (never before: a continuation redoes what was not written). The HEADs a batch
    needs (new and changed objects: their content type) go out together, HEAD_THREADS at a time."""

    def __init__(self, ctx: ActionContext, where: Datasource) -> None:
        self.ctx, self.where = ctx, where
        self.put: list[node_index.IndexedNode] = []
        self.delete: list[str] = []
        self.heads: list[tuple[str, bool]] = []  # key, indexed already (changed) or not (created)
        self.counts = {"created": 0, "changed": 0, "deleted": 0, "unchanged": 0}
        self.examples: dict[str, list[str]] = {"created": [], "changed": [], "deleted": []}
        self.output: list[list[Any]] = []
        self.last: str | None = None
        self.in_hand = 0
        self.pool = ContextThreadPool(HEAD_THREADS, thread_name_prefix="sync-head")

    def handle(self, key: str, obj: Listed | None, entry: node_index.IndexedNode | None) -> None:
        if obj is None:
            self._deleted(key)
        else:
            _, size, etag, modified = obj
            same = entry is not None and (entry.etag, entry.size) == (etag, size)
            if same and entry is not None and entry.modified is not None:
                same = _seconds(entry.modified) == _seconds(modified)
            if same:
                self.counts["unchanged"] += 1
            else:
                self.heads.append((key, entry is not None))
        self.last = key
        self.in_hand += 1
        if len(self.heads) + len(self.delete) >= WRITE_BATCH or self.in_hand >= KEYS_IN_HAND:
            self.flush()

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            return dict(self.ctx.s3.head_object(Bucket=self.where.bucket, Key=self.where.object_key(key)))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
                raise
            return None  # removed since the listing

    def _record_heads(self) -> None:
        for (key, known), head in zip(self.heads, self.pool.map(self._head, [k for k, _ in self.heads]), strict=True):
            if head is None:
                if known:
                    self._deleted(key)
                continue
            etag = head["ETag"].strip('"')  # the HEAD is newer than the listing
            size = head["ContentLength"]
            node = node_index.IndexedNode(key, size, etag, head.get("ContentType"), _seconds(head["LastModified"]))
            self.put.append(node)
            self._count("changed" if known else "created", key)
            self.output.append([key, size, etag])
        self.heads = []

    def _deleted(self, key: str) -> None:
        self.delete.append(key)
        self._count("deleted", key)

    def _count(self, kind: str, key: str) -> None:
        self.counts[kind] += 1
        self.examples[kind].append(key)

    def flush(self) -> None:
        self._record_heads()
        if self.put or self.delete:
            node_index.write_nodes(self.where.name, self.put, self.delete, self.ctx.now)
        state = self.ctx.state
        for kind, count in self.counts.items():
            state["counts"][kind] += count
        for kind, keys in self.examples.items():
            state["examples"][kind].extend(keys[: max(0, EXAMPLES - len(state["examples"][kind]))])
        state["output"].extend(self.output[: max(0, OUTPUT_LIMIT - len(state["output"]))])
        if self.last is not None:
            state["after"] = self.last
        self.put, self.delete, self.output = [], [], []
        self.counts = dict.fromkeys(self.counts, 0)
        self.examples = {kind: [] for kind in self.examples}
        self.last, self.in_hand = None, 0
        counts = state["counts"]
        done = counts["created"] + counts["changed"] + counts["unchanged"] + counts["deleted"]
        # Against the object count of the last sync; none known (a first sync): no fraction, but the
        # call still saves the task now and then, which is how a Stop or Pause asked for is seen.
        self.ctx.report_progress(min(0.99, done / state["estimate"]) if state["estimate"] else 0.0)

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        try:
            if kind is None or issubclass(kind, CHECKPOINT_EXCEPTIONS):
                self.flush()  # the walk ends here (or continues elsewhere): what is in hand is written
        finally:
            self.pool.shutdown()
