"""images.thumbnail: real images made with Pillow, thumbnails read back from moto's S3."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import UTC, datetime

import pytest
from PIL import Image

from jobdeck import actions, jobs, routing, runner, store
from jobdeck.actions import ActionError, Node
from jobdeck.domain import WRITER_METADATA, ActionStep, EventFilter, EventSource, EventTrigger, TaskStatus
from tests.support import action_context, make_job


def _image(width: int, height: int, mode: str = "RGB", fmt: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    color = (200, 30, 30, 128) if mode == "RGBA" else (200, 30, 30)
    Image.new(mode, (width, height), color).save(buffer, fmt)
    return buffer.getvalue()


def _thumbnail(settings, nodes, **params):
    action = actions.get("images.thumbnail")
    ctx, lines = action_context(settings)
    return action.run(ctx, action.validate(params), nodes), [message for _, message in lines]


def _open(s3, bucket: str, key: str) -> tuple[Image.Image, dict]:
    got = s3.get_object(Bucket=bucket, Key=key)
    return Image.open(io.BytesIO(got["Body"].read())), got


def test_a_jpeg_gets_each_size_by_its_longest_side_with_the_writer_in_its_metadata(aws, settings, s3, bucket):
    s3.put_object(Bucket=bucket, Key="photos/cat.jpg", Body=_image(4000, 3000), ContentType="image/jpeg")

    made, lines = _thumbnail(settings, [Node("photos/cat.jpg")])

    assert [n.key for n in made] == [".thumbnails/photos/cat.jpg/md.jpg", ".thumbnails/photos/cat.jpg/sm.jpg"]
    md, got = _open(s3, bucket, ".thumbnails/photos/cat.jpg/md.jpg")
    assert (md.format, md.size) == ("JPEG", (1024, 768))
    assert got["ContentType"] == "image/jpeg"
    assert got["Metadata"][WRITER_METADATA] == "hooked"  # the job that wrote it: routing's loop guard
    sm, _ = _open(s3, bucket, ".thumbnails/photos/cat.jpg/sm.jpg")
    assert sm.size == (300, 225)
    assert sm.getpixel((150, 110))[0] > 150  # still the red it was
    assert "made 2 thumbnails of 1 images (0 objects skipped)" in lines[-1]


def test_a_small_image_is_never_upscaled_and_transparency_keeps_it_png(aws, settings, s3, bucket):
    s3.put_object(Bucket=bucket, Key="icons/logo.png", Body=_image(200, 120, "RGBA", "PNG"), ContentType="image/png")

    _thumbnail(settings, [Node("icons/logo.png")], sizes={"sm": 100, "md": 1024}, prefix="thumbs/")

    md, got = _open(s3, bucket, "thumbs/icons/logo.png/md.png")
    assert (md.format, md.mode, md.size) == ("PNG", "RGBA", (200, 120))  # not 1024 wide: never upscaled
    assert got["ContentType"] == "image/png"
    sm, _ = _open(s3, bucket, "thumbs/icons/logo.png/sm.png")
    assert sm.size == (100, 60) and sm.getpixel((50, 30))[3] == 128


def test_objects_that_are_not_images_are_skipped_with_a_line_saying_so(aws, settings, s3, bucket):
    s3.put_object(Bucket=bucket, Key="docs/report.pdf", Body=b"%PDF-1.7", ContentType="application/pdf")
    s3.put_object(Bucket=bucket, Key="docs/fake.png", Body=b"not a png at all", ContentType="image/png")
    s3.put_object(Bucket=bucket, Key=".thumbnails/a.jpg/sm.jpg", Body=_image(10, 10), ContentType="image/jpeg")

    made, lines = _thumbnail(
        settings, [Node("docs/report.pdf"), Node("docs/fake.png"), Node(".thumbnails/a.jpg/sm.jpg")]
    )

    assert made == []
    assert "docs/report.pdf is not an image (application/pdf): skipped" in lines
    assert "docs/fake.png is not an image Pillow can read (image/png): skipped" in lines
    assert ".thumbnails/a.jpg/sm.jpg is a thumbnail itself: skipped" in lines
    assert {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]} == {
        "docs/report.pdf",
        "docs/fake.png",
        ".thumbnails/a.jpg/sm.jpg",
    }


def _png_claiming(width: int, height: int) -> bytes:
    """A small real PNG whose header claims another size: what a decompression bomb looks like
    before it is decoded (its pixels would not fit in memory)."""
    png = bytearray(_image(8, 8, "RGB", "PNG"))
    header = struct.pack(">II", width, height) + bytes(png[24:29])
    png[16:29] = header
    png[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + header))
    return bytes(png)


@pytest.mark.parametrize(
    ("body", "params", "problem"),
    [
        (_png_claiming(100_000, 100_000), {}, "exceeds limit"),  # Pillow's own bomb check, at open
        (_png_claiming(10_000, 10_000), {}, "10000x10000 = 100,000,000 pixels, over the limit of 89,478,485"),
        (_image(200, 100, "RGB", "PNG"), {"max_pixels": 10_000}, "200x100 = 20,000 pixels, over the limit of 10,000"),
    ],
)
def test_an_image_over_the_pixel_limit_is_refused_before_it_is_decoded(
    aws, settings, s3, bucket, body, params, problem
):
    s3.put_object(Bucket=bucket, Key="bomb.png", Body=body, ContentType="image/png")
    with pytest.raises(ActionError) as refused:
        _thumbnail(settings, [Node("bomb.png")], **params)
    assert "bomb.png is refused" in str(refused.value) and problem in str(refused.value)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["bomb.png"]


def test_a_corrupt_image_is_skipped_with_a_warning_and_the_others_are_made(aws, settings, s3, bucket):
    s3.put_object(Bucket=bucket, Key="good.jpg", Body=_image(600, 400), ContentType="image/jpeg")
    s3.put_object(Bucket=bucket, Key="broken.jpg", Body=_image(600, 400)[:400], ContentType="image/jpeg")

    made, lines = _thumbnail(settings, [Node("broken.jpg"), Node("good.jpg")])

    assert sorted(n.key for n in made) == [".thumbnails/good.jpg/md.jpg", ".thumbnails/good.jpg/sm.jpg"]
    assert any(line.startswith("broken.jpg cannot be decoded") for line in lines), lines
    assert lines[-1] == "made 2 thumbnails of 1 images (0 objects skipped, 1 images failed)"
    with pytest.raises(ActionError, match=r"broken\.jpg cannot be decoded"):  # alone, it fails the step
        _thumbnail(settings, [Node("broken.jpg")])


def test_an_upload_event_makes_thumbnails_once_and_their_own_events_start_nothing(aws, run_queue, s3, bucket):
    jobs.create(
        make_job(
            "thumbs",
            None,
            events=[EventTrigger(EventSource.S3, "ObjectCreated", "default", EventFilter(content_type="image/*"))],
            actions=[ActionStep("images.thumbnail", {"sizes": {"sm": 64}})],
        )
    )
    run_queue.receive()
    s3.put_object(Bucket=bucket, Key="up/p.jpg", Body=_image(640, 480), ContentType="image/jpeg")
    event = {"source": "s3", "type": "ObjectCreated", "datasource": "default", "key": "up/p.jpg", "size": 1, "id": "e1"}
    upload = routing.Incoming("s3:ObjectCreated:default", "e1", datetime.now(UTC), event, (bucket, "up/p.jpg"))
    [task] = routing.route(upload)
    for message in run_queue.receive():
        runner.run_message(message["Body"])
    assert store.get_task("thumbs", task.id).status is TaskStatus.FINISHED
    thumb, _ = _open(s3, bucket, ".thumbnails/up/p.jpg/sm.jpg")
    assert thumb.size == (64, 48)

    key = ".thumbnails/up/p.jpg/sm.jpg"
    written = {**event, "key": key, "id": "e2"}
    assert (
        routing.route(routing.Incoming("s3:ObjectCreated:default", "e2", datetime.now(UTC), written, (bucket, key)))
        == []
    )


def test_an_image_replaced_between_its_head_and_its_read_is_skipped_not_misrecorded(aws, settings, s3, bucket):
    """The thumbnails record the ETag the HEAD saw: a newer version read in its place would be filed
    under the old one. The newer version has an upload event of its own."""
    from jobdeck import clients

    s3.put_object(Bucket=bucket, Key="photos/cat.jpg", Body=_image(400, 300), ContentType="image/jpeg")

    def replace_it(**_):
        s3.put_object(Bucket=bucket, Key="photos/cat.jpg", Body=_image(800, 600), ContentType="image/jpeg")

    clients.s3().meta.events.register_first("before-call.s3.GetObject", replace_it)
    made, lines = _thumbnail(settings, [Node("photos/cat.jpg")])

    assert made == []
    assert "photos/cat.jpg changed or went while it was read: skipped" in lines
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix=".thumbnails/")
