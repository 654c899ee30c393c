"""tree.move: copy then delete, so that a move lands in the destination and leaves nothing behind;
refused where it would lose data or never end; resumable across hand-overs."""

from __future__ import annotations

import itertools

import pytest

from jobdeck import actions, jobs, runner, store, tasks
from jobdeck.actions import ActionError, Node
from jobdeck.domain import WRITER_METADATA, ActionStep, TaskStatus
from tests.support import action_context, make_job


def _keys(s3, bucket: str) -> set[str]:
    return {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def _move(settings, params, nodes=()):
    ctx, lines = action_context(settings)
    return actions.get("tree.move").run(ctx, actions.get("tree.move").validate(params), list(nodes)), lines


def test_a_prefix_moves_into_the_destination_and_nothing_stays_behind(aws, settings, s3, bucket):
    for key in ["inbox/a.txt", "inbox/sub/b.txt", "inboxes/other.txt", "keep.txt"]:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode(), ContentType="text/plain")

    moved, lines = _move(settings, {"prefix": "inbox/", "destination": "archive/2026/"})

    assert _keys(s3, bucket) == {"archive/2026/a.txt", "archive/2026/sub/b.txt", "inboxes/other.txt", "keep.txt"}
    assert [n.key for n in moved] == ["archive/2026/a.txt", "archive/2026/sub/b.txt"]
    assert [n.size for n in moved] == [len("inbox/a.txt"), len("inbox/sub/b.txt")]
    copy = s3.get_object(Bucket=bucket, Key="archive/2026/sub/b.txt")
    assert copy["Body"].read() == b"inbox/sub/b.txt" and copy["ContentType"] == "text/plain"
    assert copy["Metadata"][WRITER_METADATA] == "hooked"  # the loop guard sees who wrote it
    assert lines[-1] == ("INFO", "moved 2 objects from inbox/ to archive/2026/")


def test_an_object_past_the_multipart_threshold_moves_in_parts_whole(aws, settings, s3, bucket):
    # 9 MiB: past the transfer manager's 8 MiB threshold, so the copy goes as UploadPartCopy parts
    # (the path that carries objects past CopyObject's 5 GB), not one CopyObject.
    body = bytes(range(256)) * (9 * 4096)
    s3.put_object(Bucket=bucket, Key="videos/big.mp4", Body=body, ContentType="video/mp4")

    _move(settings, {"prefix": "videos/", "destination": "archive/"})

    copy = s3.get_object(Bucket=bucket, Key="archive/big.mp4")
    assert copy["Body"].read() == body
    assert copy["ETag"].strip('"').endswith("-2")  # two parts: an object made by a multipart copy
    assert copy["ContentType"] == "video/mp4" and copy["Metadata"][WRITER_METADATA] == "hooked"
    assert _keys(s3, bucket) == {"archive/big.mp4"}


def test_input_nodes_move_into_the_destination(aws, settings, s3, bucket):
    s3.put_object(Bucket=bucket, Key="uploads/photo.jpg", Body=b"jpeg")
    moved, _ = _move(settings, {"destination": "photos/"}, [Node("uploads/photo.jpg", 4)])
    assert _keys(s3, bucket) == {"photos/photo.jpg"}
    assert moved == [Node("photos/photo.jpg", 4, None)]


@pytest.mark.parametrize(
    ("params", "nodes", "problem"),
    [
        ({"prefix": "docs/", "destination": "docs/old/"}, [], "the destination docs/old/ is inside the source docs/"),
        ({"prefix": "docs", "destination": "docs-2025/"}, [], "is inside the source docs"),
        ({"prefix": "a/b/", "destination": "a/"}, [], "would overwrite objects still to be moved"),
        ({"destination": "docs/"}, [Node("docs/x.txt")], "docs/x.txt would be moved onto itself"),
        ({"destination": "all/"}, [Node("a/x"), Node("b/x")], "a/x and b/x would both be moved to all/x"),
        ({"prefix": "/", "destination": "x/"}, [], "refusing to move the whole datasource"),
    ],
)
def test_a_move_that_would_lose_data_or_never_end_is_refused_before_anything_moves(
    aws, settings, s3, bucket, params, nodes, problem
):
    before = {"docs/x.txt", "a/x", "b/x", "a/b/b/y", "a/b/y"}
    for key in before:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    with pytest.raises(ActionError) as refused:
        _move(settings, params, nodes)
    assert problem in str(refused.value)
    assert _keys(s3, bucket) == before


def test_a_long_move_hands_over_and_finishes_with_everything_moved_once(aws, run_queue, s3, bucket, monkeypatch):
    for i in range(12):
        s3.put_object(Bucket=bucket, Key=f"in/{i:02}.txt", Body=f"object {i}".encode())
    jobs.create(
        make_job(
            "mover",
            None,
            actions=[
                ActionStep("tree.move", {"prefix": "in/", "destination": "out/"}),
                ActionStep("tree.copy", {"destination": "copies/"}),  # gets the moved objects as its input
            ],
        )
    )
    monkeypatch.setattr("jobdeck.actions.tree.MOVE_BATCH", 2)  # deletes as it goes, not only at the end
    task = tasks.run_now("mover")
    invocations = 0
    while messages := run_queue.receive():
        for message in messages:
            invocations += 1
            checkpoints = itertools.count()  # a few items an invocation, then 10 s are left
            runner.run_message(message["Body"], time_left=lambda c=checkpoints: 1000.0 if next(c) < 5 else 10.0)

    done = store.get_task("mover", task.id)
    assert done.status is TaskStatus.FINISHED, done.message
    handovers = [line.message for line in done.logs if line.message == "continues in a new invocation"]
    assert invocations >= 3 and len(handovers) == invocations - 1
    expected = {f"{i:02}.txt" for i in range(12)}
    assert _keys(s3, bucket) == {f"out/{k}" for k in expected} | {f"copies/{k}" for k in expected}
    assert s3.get_object(Bucket=bucket, Key="out/07.txt")["Body"].read() == b"object 7"
    assert any(line.message == "moved 12 objects from in/ to out/" for line in done.logs)
