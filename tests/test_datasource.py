"""datasource.sync: the node index brought in line with the bucket by a merge-join of the listing and
the index, reporting what changed since the last sync, and going on through hand-overs."""

from __future__ import annotations

import hashlib
import itertools
import re

import pytest
import time_machine

from jobdeck import actions, execution, jobs, runner, store, tasks
from jobdeck.domain import ActionStep, TaskStatus
from jobdeck.store import nodes as node_index
from tests.support import action_context, at, make_job

COUNTS = re.compile(r"synced \S+ \(s3://\S+\): (\d+) objects, (\d+) created, (\d+) changed, (\d+) deleted")


@pytest.fixture
def quiet_bucket(s3, bucket):
    """The datasource without its EventBridge notifications: moto routes each put through EventBridge
    and SQS otherwise, eight times slower, and no test here wants those events."""
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    return bucket


def _sync(settings, prefix: str = ""):
    ctx, lines = action_context(settings)
    sync = actions.get("datasource.sync")
    assert sync is not None
    output = sync.run(ctx, {"prefix": prefix}, [])
    return output, [message for _, message in lines]


def _counts(lines: list[str]) -> tuple[int, ...]:
    [found] = [m for line in lines if (m := COUNTS.search(line))]
    return tuple(int(n) for n in found.groups())


def _index(datasource: str, prefix: str = "") -> dict[str, tuple]:
    return {
        n.key[len(prefix) :]: (n.size, n.etag, n.content_type) for n in node_index.indexed_nodes(datasource, prefix)
    }


def test_two_syncs_report_what_was_created_then_what_changed_and_what_went(aws, settings, s3, quiet_bucket):
    bucket = quiet_bucket
    with time_machine.travel(at("2026-11-25T10:00:00Z"), tick=False):
        s3.put_object(Bucket=bucket, Key="docs/a.txt", Body=b"a", ContentType="text/plain")
        s3.put_object(Bucket=bucket, Key="docs/b.txt", Body=b"b", ContentType="text/plain")
        s3.put_object(Bucket=bucket, Key="photos/c.jpg", Body=b"c", ContentType="image/jpeg")
        output, lines = _sync(settings)

    assert _counts(lines) == (3, 3, 0, 0)
    assert "(first sync)" in lines[0]
    assert {n.key for n in output} == {"docs/a.txt", "docs/b.txt", "photos/c.jpg"}
    assert node_index.node("default", "photos/c.jpg") == {
        "key": "photos/c.jpg",
        "size": 1,
        "etag": s3.head_object(Bucket=bucket, Key="photos/c.jpg")["ETag"].strip('"'),
        "content_type": "image/jpeg",
    }

    with time_machine.travel(at("2026-11-25T11:00:00Z"), tick=False):
        s3.put_object(Bucket=bucket, Key="docs/b.txt", Body=b"bigger b", ContentType="text/markdown")
        s3.delete_object(Bucket=bucket, Key="photos/c.jpg")
        s3.put_object(Bucket=bucket, Key="docs/d.txt", Body=b"d")
        s3.put_object(Bucket=bucket, Key="docs/e.txt", Body=b"e")  # gone before the sync: not an object
        s3.delete_object(Bucket=bucket, Key="docs/e.txt")
        # Same bytes (same etag and size), newer modification: the content type changed.
        s3.copy_object(
            Bucket=bucket,
            Key="docs/a.txt",
            CopySource={"Bucket": bucket, "Key": "docs/a.txt"},
            ContentType="text/x-rst",
            MetadataDirective="REPLACE",
        )
        output, lines = _sync(settings)

    assert _counts(lines) == (3, 1, 2, 1)  # 3 objects; d created, a and b changed, c deleted
    assert "since the last sync (2026-11-25T10:00:00+00:00)" in lines[0]
    assert "created: docs/d.txt" in lines and "deleted: photos/c.jpg" in lines
    assert "changed: docs/a.txt, docs/b.txt" in lines
    assert [n.key for n in output] == ["docs/a.txt", "docs/b.txt", "docs/d.txt"]
    assert node_index.node("default", "docs/a.txt")["content_type"] == "text/x-rst"
    assert node_index.node("default", "photos/c.jpg") is None
    assert node_index.node("default", "docs/b.txt")["content_type"] == "text/markdown"
    assert node_index.node("default", "docs/b.txt")["size"] == 8

    _, lines = _sync(settings)
    assert _counts(lines) == (3, 0, 0, 0)  # nothing changed since


def test_a_sync_of_a_prefix_leaves_the_rest_of_the_index_alone(aws, settings, s3, quiet_bucket):
    bucket = quiet_bucket
    for key in ["a/1", "a/2", "b/1"]:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    _sync(settings)
    for key in ["a/1", "b/1"]:
        s3.delete_object(Bucket=bucket, Key=key)

    _, lines = _sync(settings, "a/")

    assert _counts(lines) == (1, 0, 0, 1)
    assert set(_index("default")) == {"a/2", "b/1"}  # b/1 is gone from the bucket, but not under a/


def test_keys_beyond_ascii_are_merged_in_the_order_both_services_use(aws, settings, s3, bucket):
    # UTF-8 byte order: "z" < "é" < "\uff01" < "😀" (UTF-16 would put the emoji before "\uff01").
    keys = ["u/z", "u/é", "u/\uff01", "u/😀", "u/😀/x", "u/日本語.txt"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    _, lines = _sync(settings)
    assert _counts(lines) == (len(keys), len(keys), 0, 0)
    _, lines = _sync(settings)
    assert _counts(lines) == (len(keys), 0, 0, 0)  # an order mismatch would show as created and deleted


def test_a_missing_bucket_fails_the_task_saying_so(aws, run_queue, s3, bucket):
    s3.delete_bucket(Bucket=bucket)  # the runner's own (a bucket outside its role would be AccessDenied)
    jobs.create(make_job("sync", None, actions=[ActionStep("datasource.sync", {})]))
    task = tasks.run_now("sync")
    for message in run_queue.receive():
        runner.run_message(message["Body"])
    done = store.get_task("sync", task.id)
    assert done.status is TaskStatus.ERROR
    assert f"cannot read the datasource default (s3://{bucket}/)" in done.message


def _dataset(s3, bucket: str, prefix: str) -> None:
    """1,000 objects, of which 100 changed and 100 new since an index that also lists 100 gone."""
    for i in range(1000):
        s3.put_object(Bucket=bucket, Key=f"{prefix}{i:04}.txt", Body=f"object {i}".encode(), ContentType="text/plain")
    known = [
        node_index.IndexedNode(
            f"{prefix}{i:04}.txt",
            len(f"object {i}"),
            "0" * 32 if i % 9 == 0 else hashlib.md5(f"object {i}".encode()).hexdigest(),  # S3's etag of a put
            "text/plain",
        )
        for i in range(900)
    ]
    gone = [node_index.IndexedNode(f"{prefix}{i:04}.gone", 1, "f" * 32) for i in range(0, 1000, 10)]
    node_index.write_nodes("default", known + gone, [])


def test_a_sync_through_hand_overs_ends_with_the_counts_of_one_uninterrupted_run(
    aws, run_queue, s3, quiet_bucket, monkeypatch
):
    bucket = quiet_bucket
    _dataset(s3, bucket, "once/")
    _dataset(s3, bucket, "handed/")
    for prefix in ("once/", "handed/"):
        jobs.create(make_job(prefix.strip("/"), None, actions=[ActionStep("datasource.sync", {"prefix": prefix})]))

    once = tasks.run_now("once")
    [message] = run_queue.receive()
    assert runner.run_message(message["Body"]) is TaskStatus.FINISHED

    monkeypatch.setattr(execution, "PROGRESS_EVERY_SECONDS", 0.0)
    handed = tasks.run_now("handed")
    invocations = 0
    while messages := run_queue.receive():
        for message in messages:
            invocations += 1
            # 138 checkpoints pass in each invocation (137 asking the clock), then 10 s are left: it hands over.
            checkpoints = itertools.count()
            runner.run_message(message["Body"], time_left=lambda c=checkpoints: 1000.0 if next(c) < 137 else 10.0)

    first, second = store.get_task("once", once.id), store.get_task("handed", handed.id)
    assert second.status is TaskStatus.FINISHED and second.attempt == 1, second.message
    assert invocations >= 1200 // 137
    assert sum("continues in a new invocation" in line.message for line in second.logs) == invocations - 1
    counts = _counts([line.message for line in first.logs])
    assert counts == (1000, 100, 100, 100)
    assert _counts([line.message for line in second.logs]) == counts
    assert _index("default", "handed/") == _index("default", "once/")
    assert len(_index("default", "handed/")) == 1000
