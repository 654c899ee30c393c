"""archive.compress and archive.extract against moto's S3: round trips, continuation over many
invocations (hand-over and pause), aborts that leave no parts, zip-slip and zip bombs refused."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from jobdeck import actions, execution, jobs, runner, store, tasks
from jobdeck.actions import archive, archive_tar
from jobdeck.actions.registry import ActionError, InvalidParameters
from jobdeck.domain import ActionStep, TaskStatus
from jobdeck.errors import InvalidJob
from tests.support import Api, action_context, make_job

MiB = 1024 * 1024
JAN_1 = datetime(2026, 1, 1, tzinfo=UTC)
ROUND_TRIP = {
    "src/empty.txt": b"",
    "src/notes.txt": b"plain text\n" * 100,
    "src/a/b/c/nested.bin": os.urandom(300_000),
    "src/été/ñandú 日本.txt": "non-ASCII names keep their bytes: ü".encode(),
    "src/big.bin": os.urandom(9 * MiB),  # over one part: the archive goes up in several
}


@pytest.fixture(autouse=True)
def _no_object_events(request) -> None:
    """moto's S3 sends each object event to EventBridge synchronously (~50 ms a write); nothing here
    is about routing, so the datasource bucket sends none."""
    if "bucket" in request.fixturenames:
        s3, bucket = request.getfixturevalue("s3"), request.getfixturevalue("bucket")
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})


def _put(s3, bucket, objects: dict[str, bytes]) -> None:
    for key, body in objects.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)


def _seed(bucket, objects: dict[str, bytes]) -> None:
    """Many objects at once, straight into moto's S3 (a PutObject through boto3 costs ~3 ms of
    moto's request handling each); the actions still read them through boto3."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    backend = s3_backends[DEFAULT_ACCOUNT_ID]["global"]
    for key, body in objects.items():
        backend.put_object(bucket, key, body)


def _keys(s3, bucket, prefix: str = "") -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def _body(s3, bucket, key: str) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def _uploads(s3, bucket) -> list[dict]:
    return s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])


def _run_all(run_queue, time_left: Callable[[], Callable[[], float]] | None = None) -> int:
    """Deliver RunQueue messages until none is left, each delivery with a fresh time budget; the
    number of invocations."""
    invocations = 0
    while messages := run_queue.receive():
        for message in messages:
            invocations += 1
            assert invocations <= 100, "still running after 100 invocations: does it move on?"
            runner.run_message(message["Body"], time_left=time_left() if time_left else None)
    return invocations


def _budget(items: int) -> Callable[[], Callable[[], float]]:
    """Each invocation has time for `items` items: plenty at the first checkpoints, then 10 s left
    (under the runner's 30 s hand-over margin). The runner asks only from the second checkpoint on."""

    def new_invocation() -> Callable[[], float]:
        asked = 0

        def time_left() -> float:
            nonlocal asked
            asked += 1
            return 900.0 if asked < items else 10.0

        return time_left

    return new_invocation


def _zip_members(blob: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        assert z.testzip() is None
        return {info.filename: z.read(info) for info in z.infolist()}


def _tar_members(blob: bytes) -> dict[str, bytes]:
    # 'r|gz' (stream mode) on purpose: it reads only the first gzip member, so this proves the
    # archive is one gzip member even when several invocations wrote it.
    out = {}
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r|gz") as t:
        for member in t:
            assert member.isreg()
            content = t.extractfile(member)  # None for no regular file: the assert above
            assert content is not None
            out[member.name] = content.read()
    return out


def _members(blob: bytes, fmt: str) -> dict[str, bytes]:
    return _zip_members(blob) if fmt == "zip" else _tar_members(blob)


# ------------------------------------------------------------------ round trip


@pytest.mark.parametrize("fmt", ["zip", "tar.gz"])
def test_compress_then_extract_gives_back_the_same_objects(aws, s3, bucket, run_queue, fmt):
    _put(s3, bucket, ROUND_TRIP)
    steps = [
        ActionStep("archive.compress", {"prefix": "src/", "destination": f"out/all.{fmt}", "format": fmt}),
        ActionStep("archive.extract", {"destination": "back/"}),  # its input: the archive, the step before's output
    ]
    jobs.create(make_job("roundtrip", None, actions=steps))
    task = tasks.run_now("roundtrip")
    _run_all(run_queue)

    done = store.get_task("roundtrip", task.id)
    assert done.status is TaskStatus.FINISHED, done.message
    archive_blob = _body(s3, bucket, f"out/all.{fmt}")
    assert _members(archive_blob, fmt) == {key[len("src/") :]: body for key, body in ROUND_TRIP.items()}
    assert sorted(_keys(s3, bucket, "back/")) == sorted("back/" + k[len("src/") :] for k in ROUND_TRIP)
    for key, body in ROUND_TRIP.items():
        copy = s3.get_object(Bucket=bucket, Key="back/" + key[len("src/") :])
        assert copy["Body"].read() == body, key
        assert copy["Metadata"] == {"jobdeck-job": "roundtrip"}  # routing's loop guard
    head = s3.head_object(Bucket=bucket, Key=f"out/all.{fmt}")
    assert head["Metadata"] == {"jobdeck-job": "roundtrip"}
    assert head["ContentType"] == ("application/zip" if fmt == "zip" else "application/gzip")
    assert _uploads(s3, bucket) == [] and _keys(s3, bucket, archive.PARTIAL_PREFIX) == []
    assert any(f"extracted {len(ROUND_TRIP)} objects" in line.message for line in done.logs)


def test_compress_names_members_from_the_prefix_folder_or_full_keys(aws, s3, bucket, settings):
    _put(s3, bucket, {"home/alice/docs/a.txt": b"a", "home/alice/docs/sub/b.txt": b"b", "home/alice/docsx": b"x"})
    compress = actions.get("archive.compress")

    def names(**params) -> list[str]:
        ctx, _ = action_context(settings)
        [node] = compress.run(ctx, compress.validate({"destination": "out/x.zip", **params}), [])
        return sorted(_zip_members(_body(s3, bucket, node.key)))

    assert names(prefix="home/alice/docs/") == ["a.txt", "sub/b.txt"]
    assert names(prefix="home/alice/docs") == ["docs/a.txt", "docs/sub/b.txt", "docsx"]
    full = names(prefix="home/alice/docs/", strip_prefix=False)
    assert full == ["home/alice/docs/a.txt", "home/alice/docs/sub/b.txt"]


def test_compress_of_the_input_nodes_names_them_from_their_common_folder(aws, s3, bucket, settings):
    _put(s3, bucket, {"in/x/1.txt": b"1", "in/y/2.txt": b"2"})
    compress = actions.get("archive.compress")
    ctx, _ = action_context(settings)
    nodes = [actions.Node("in/y/2.txt"), actions.Node("in/x/1.txt"), actions.Node("in/x/1.txt")]
    [node] = compress.run(ctx, compress.validate({"destination": "out/in.tar.gz", "format": "tar.gz"}), nodes)
    assert _tar_members(_body(s3, bucket, node.key)) == {"x/1.txt": b"1", "y/2.txt": b"2"}
    assert node.size == len(_body(s3, bucket, node.key))


# ------------------------------------------------------------------ continuation


@pytest.mark.parametrize(("fmt", "count"), [("zip", 2000), ("tar.gz", 600)])
def test_a_compress_of_2000_objects_continues_over_invocations_as_the_same_task(aws, s3, bucket, run_queue, fmt, count):
    sources = {f"many/{i:04}.bin": os.urandom(1500 + i % 700) for i in range(count)}
    for i in (150, 151, 410):  # bigger ones: some hand-overs hold over 5 MiB not uploaded yet
        sources[f"many/{i:04}.bin"] = os.urandom(3 * MiB)
    _seed(bucket, sources)
    destination = f"exports/many.{fmt}"
    steps = [ActionStep("archive.compress", {"prefix": "many/", "destination": destination, "format": fmt})]
    jobs.create(make_job("big-compress", None, actions=steps))
    task = tasks.run_now("big-compress")

    invocations = _run_all(run_queue, _budget(100))

    done = store.get_task("big-compress", task.id)
    assert done.status is TaskStatus.FINISHED and done.attempt == 1, done.message
    assert invocations == count // 100 and [t.id for t in store.list_tasks("big-compress")] == [task.id]
    assert sum("continuing exports/many" in line.message for line in done.logs) == count // 100 - 1
    members = _members(_body(s3, bucket, destination), fmt)
    assert len(members) == count
    assert {name: hashlib.sha256(body).digest() for name, body in members.items()} == {
        key[len("many/") :]: hashlib.sha256(body).digest() for key, body in sources.items()
    }
    assert _uploads(s3, bucket) == [] and _keys(s3, bucket, archive.PARTIAL_PREFIX) == []
    assert store.get_job("big-compress").running == 0


def test_a_paused_compress_keeps_its_upload_and_resume_finishes_the_same_archive(aws, s3, bucket, run_queue):
    sources = {"p/00-big.bin": os.urandom(6 * MiB)} | {f"p/{i:02}.txt": f"object {i}".encode() for i in range(1, 30)}
    _put(s3, bucket, sources)
    steps = [ActionStep("archive.compress", {"prefix": "p/", "destination": "out/p.zip", "compression_level": 0})]
    jobs.create(make_job("pausable", None, actions=steps))
    api = Api()
    task = tasks.run_now("pausable")
    [message] = run_queue.receive()
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(execution, "PROGRESS_EVERY_SECONDS", 0.0)  # the pause request is read after the first item
    original = store.start_task

    def start_then_pause(task, at, job, *saw):
        started = original(task, at, job, *saw)
        assert api("POST", f"/jobs/pausable/tasks/{task.id}/pause").status == 202
        return started

    monkeypatch.setattr(store, "start_task", start_then_pause)
    try:
        assert runner.run_message(message["Body"]) is TaskStatus.PAUSED
    finally:
        monkeypatch.undo()

    paused = store.get_task("pausable", task.id)
    state = paused.resume["state"]
    assert state["done"] == 1 and state["sidecar"] == f"{archive.PARTIAL_PREFIX}pausable/{task.id}"
    assert [u["UploadId"] for u in _uploads(s3, bucket)] == [state["upload_id"]]  # the 6 MiB went up as a part
    assert _keys(s3, bucket, archive.PARTIAL_PREFIX) == [state["sidecar"]]
    assert _keys(s3, bucket, "out/") == []

    assert api("POST", f"/jobs/pausable/tasks/{task.id}/resume").status == 202
    _run_all(run_queue)
    done = store.get_task("pausable", task.id)
    assert done.status is TaskStatus.FINISHED, done.message
    assert _zip_members(_body(s3, bucket, "out/p.zip")) == {k[len("p/") :]: v for k, v in sources.items()}
    assert _uploads(s3, bucket) == [] and _keys(s3, bucket, archive.PARTIAL_PREFIX) == []


def test_a_compress_failing_after_a_hand_over_aborts_its_upload_and_leaves_nothing(aws, s3, bucket, run_queue):
    _seed(bucket, {f"f/{i:03}.bin": os.urandom(40_000) for i in range(300)} | {"f/000-big.bin": os.urandom(6 * MiB)})
    steps = [ActionStep("archive.compress", {"prefix": "f/", "destination": "out/f.zip", "compression_level": 0})]
    jobs.create(make_job("doomed-compress", None, actions=steps))
    task = tasks.run_now("doomed-compress")
    [message] = run_queue.receive()
    runner.run_message(message["Body"], time_left=_budget(100)())  # the first hundred, then a hand-over
    assert len(_uploads(s3, bucket)) == 1 and len(_keys(s3, bucket, archive.PARTIAL_PREFIX)) == 1
    s3.delete_object(Bucket=bucket, Key="f/250.bin")  # gone before its turn comes

    _run_all(run_queue, _budget(100))

    failed = store.get_task("doomed-compress", task.id)
    assert failed.status is TaskStatus.ERROR and "NoSuchKey" in failed.message, failed.message
    assert _uploads(s3, bucket) == [] and _keys(s3, bucket, archive.PARTIAL_PREFIX) == []
    assert _keys(s3, bucket, "out/") == []


def test_compress_of_a_prefix_with_nothing_under_it_fails_saying_so(aws, s3, bucket, run_queue):
    s3.put_object(Bucket=bucket, Key="elsewhere/x", Body=b"x")
    steps = [ActionStep("archive.compress", {"prefix": "nothing/here/", "destination": "out/none.zip"})]
    jobs.create(make_job("empty-compress", None, actions=steps))
    task = tasks.run_now("empty-compress")
    _run_all(run_queue)
    failed = store.get_task("empty-compress", task.id)
    assert failed.status is TaskStatus.ERROR
    assert failed.message == "step 1 (archive.compress): nothing to compress: no objects under 'nothing/here/'"
    assert _keys(s3, bucket, "out/") == [] and _uploads(s3, bucket) == []


# ------------------------------------------------------------------ parameters


def test_parameters_are_checked_naming_the_field():
    compress, extract = actions.get("archive.compress"), actions.get("archive.extract")
    with pytest.raises(InvalidParameters, match=r"parameters\.format must be one of \['zip', 'tar\.gz'\]"):
        compress.validate({"destination": "out/a.rar", "format": "rar"})
    with pytest.raises(InvalidParameters, match=r"parameters\.format must be one of"):
        extract.validate({"destination": "back/", "format": "7z"})
    with pytest.raises(InvalidParameters, match=r"must contain \['destination'\]"):
        compress.validate({"prefix": "a/"})
    with pytest.raises(InvalidParameters, match=r"parameters\.destination must match pattern"):
        compress.validate({"destination": "out/"})  # a folder is not an archive's key
    with pytest.raises(InvalidParameters, match=r"parameters\.max_expanded_bytes must be bigger than or equal to 1"):
        extract.validate({"destination": "back/", "max_expanded_bytes": 0})
    assert compress.validate({"destination": "o.zip"}) == {
        "datasource": "default",
        "destination": "o.zip",
        "format": "zip",
        "strip_prefix": True,
        "compression_level": 6,
    }
    assert extract.validate({"destination": "b/"}) == {
        "datasource": "default",
        "destination": "b/",
        "max_expanded_bytes": 10 * 1024**3,
        "max_members": 100_000,
    }


def test_a_job_with_an_unknown_archive_format_is_refused_before_it_is_stored(aws):
    steps = [ActionStep("archive.compress", {"prefix": "a/", "destination": "a.rar", "format": "rar"})]
    with pytest.raises(InvalidJob) as refused:
        jobs.create(make_job("rar", None, actions=steps))
    assert refused.value.field == "actions[0].parameters" and "format" in refused.value.reason
    assert store.get_job("rar") is None


# ------------------------------------------------------------------ extract: refusals


def _zip_bytes(members: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _tar_bytes(members: list[tarfile.TarInfo | tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as t:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                t.addfile(member)
            else:
                info = tarfile.TarInfo(member[0])
                info.size = len(member[1])
                t.addfile(info, io.BytesIO(member[1]))
    return out.getvalue()


def _extract(settings, key: str, **params) -> list[actions.Node]:
    extract = actions.get("archive.extract")
    assert extract is not None
    ctx, _ = action_context(settings)
    return extract.run(ctx, extract.validate({"key": key, "destination": "x/", **params}), [])


@pytest.mark.parametrize("evil", ["../../etc/passwd", "/abs", "a/../../b", "..\\..\\evil.txt", "C:/windows/x"])
@pytest.mark.parametrize("fmt", ["zip", "tar.gz"])
def test_a_member_escaping_the_destination_is_refused_and_nothing_is_written(aws, s3, bucket, settings, fmt, evil):
    members = [("first/ok.txt", b"fine"), (evil, b"pwned"), ("z-last.txt", b"after")]
    blob = _zip_bytes(members) if fmt == "zip" else _tar_bytes(list(members))
    s3.put_object(Bucket=bucket, Key=f"in/evil.{fmt}", Body=blob)
    with pytest.raises(ActionError) as refused:
        _extract(settings, f"in/evil.{fmt}")
    assert f"member {evil!r} refused" in str(refused.value) and not refused.value.retryable
    assert _keys(s3, bucket) == [f"in/evil.{fmt}"]  # not even first/ok.txt is left
    assert _uploads(s3, bucket) == []


@pytest.mark.parametrize(
    ("kind", "expected"),
    [(tarfile.SYMTYPE, "is a link"), (tarfile.LNKTYPE, "is a link"), (tarfile.CHRTYPE, "is a device")],
)
def test_links_and_devices_in_a_tar_are_refused(aws, s3, bucket, settings, kind, expected):
    special = tarfile.TarInfo("sneaky")
    special.type, special.linkname = kind, "/etc/shadow"
    s3.put_object(Bucket=bucket, Key="in/links.tgz", Body=_tar_bytes([("ok.txt", b"ok"), special]))
    with pytest.raises(ActionError, match=f"member 'sneaky' {expected}"):
        _extract(settings, "in/links.tgz")
    assert _keys(s3, bucket) == ["in/links.tgz"]


def test_a_zip_bomb_is_refused_before_anything_is_written(aws, s3, bucket, settings):
    blob = _zip_bytes([("readme.txt", b"hi"), ("zeros.bin", bytes(50_000_000))])
    assert len(blob) < 100_000  # 50 MB of zeros squeeze into ~50 KB
    s3.put_object(Bucket=bucket, Key="in/bomb.zip", Body=blob)
    with pytest.raises(ActionError) as refused:
        _extract(settings, "in/bomb.zip", max_expanded_bytes=1_000_000)
    assert str(refused.value) == (
        "in/bomb.zip: expands to over max_expanded_bytes (1,000,000 bytes) by its own account, "
        "at member 'zeros.bin' (50,000,000 bytes): refused"
    )
    assert _keys(s3, bucket) == ["in/bomb.zip"]


def test_a_zip_whose_headers_understate_its_size_cannot_expand_past_them(aws, s3, bucket, settings):
    blob = bytearray(_zip_bytes([("readme.txt", b"hi"), ("zeros.bin", bytes(50_000_000))]))
    # Rewrite the member's uncompressed size, 50,000,000, as 1,000 in its local and central headers.
    real, lie = (50_000_000).to_bytes(4, "little"), (1_000).to_bytes(4, "little")
    assert blob.count(real) == 2
    blob = blob.replace(real, lie)
    s3.put_object(Bucket=bucket, Key="in/liar.zip", Body=bytes(blob))
    with pytest.raises(ActionError, match=r"in/liar\.zip: not a readable zip archive: BadZipFile: Bad CRC-32"):
        _extract(settings, "in/liar.zip", max_expanded_bytes=1_000_000)
    assert _keys(s3, bucket) == ["in/liar.zip"]  # readme.txt, written first, was taken back


def test_a_tar_bomb_stops_at_the_limit_and_takes_back_what_it_wrote(aws, s3, bucket, settings):
    s3.put_object(Bucket=bucket, Key="in/bomb.tar.gz", Body=_tar_bytes([("a.txt", b"a"), ("zeros", bytes(50_000_000))]))
    with pytest.raises(ActionError, match=r"over max_expanded_bytes \(1,000,000 bytes\), at member 'zeros'"):
        _extract(settings, "in/bomb.tar.gz", max_expanded_bytes=1_000_000)
    assert _keys(s3, bucket) == ["in/bomb.tar.gz"]


def test_the_expanded_bytes_are_also_counted_as_they_stream(aws, s3, bucket, settings, monkeypatch):
    """Should a header ever be believed wrongly, the count of what streams stops it all the same."""
    s3.put_object(Bucket=bucket, Key="in/many.zip", Body=_zip_bytes([("a", bytes(600_000)), ("b", bytes(600_000))]))
    monkeypatch.setattr(archive._Extraction, "_zip_members", _believe_every_header)
    with pytest.raises(ActionError, match=r"stopped at max_expanded_bytes \(1,000,000 bytes\) of expanded data in x/b"):
        _extract(settings, "in/many.zip", max_expanded_bytes=1_000_000)
    assert _keys(s3, bucket) == ["in/many.zip"]


def _believe_every_header(self, key, infos):
    return [(info, self.destination + info.filename) for info in infos]


def test_too_many_members_are_refused(aws, s3, bucket, settings):
    s3.put_object(Bucket=bucket, Key="in/many.zip", Body=_zip_bytes([(f"{i}.txt", b"x") for i in range(11)]))
    with pytest.raises(ActionError, match=r"in/many\.zip: 11 members, over max_members \(10\)"):
        _extract(settings, "in/many.zip", max_members=10)
    s3.put_object(Bucket=bucket, Key="in/many.tgz", Body=_tar_bytes([(f"{i}.txt", b"x") for i in range(11)]))
    with pytest.raises(ActionError, match=r"in/many\.tgz: over max_members \(10\) members"):
        _extract(settings, "in/many.tgz", max_members=10)
    assert _keys(s3, bucket, "x/") == []


def test_a_member_that_would_overwrite_the_archive_itself_is_refused(aws, s3, bucket, settings):
    blob = _zip_bytes([("a.txt", b"a"), ("self.zip", b"not the archive")])
    s3.put_object(Bucket=bucket, Key="x/self.zip", Body=blob)
    with pytest.raises(ActionError, match=r"member 'self\.zip' refused: it would overwrite the archive itself"):
        _extract(settings, "x/self.zip")
    assert _keys(s3, bucket) == ["x/self.zip"] and _body(s3, bucket, "x/self.zip") == blob


def test_extract_tells_the_format_by_the_name_or_says_it_cannot(aws, s3, bucket, settings):
    s3.put_object(Bucket=bucket, Key="in/data.bin", Body=_zip_bytes([("d/a.txt", b"a"), ("d/", b"")]))
    with pytest.raises(ActionError, match=r"cannot tell the format of in/data\.bin from its name: give `format`"):
        _extract(settings, "in/data.bin")
    assert [n.key for n in _extract(settings, "in/data.bin", format="zip")] == ["x/d/a.txt"]  # no folder objects
    s3.put_object(Bucket=bucket, Key="in/not.zip", Body=b"this is no zip")
    with pytest.raises(ActionError, match=r"in/not\.zip: not a readable zip archive"):
        _extract(settings, "in/not.zip")


def test_an_extract_handed_over_goes_on_after_the_last_member_written(aws, s3, bucket, run_queue):
    members = [(f"m/{i:03}.txt", f"member {i}".encode()) for i in range(250)]
    s3.put_object(Bucket=bucket, Key="in/m.tgz", Body=_tar_bytes(list(members)))
    steps = [ActionStep("archive.extract", {"key": "in/m.tgz", "destination": "out/"})]
    jobs.create(make_job("big-extract", None, actions=steps))
    task = tasks.run_now("big-extract")
    written: list[str] = []
    original = archive.PartWriter.finish

    def counting_finish(self):
        written.append(self.key)
        return original(self)

    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(archive.PartWriter, "finish", counting_finish)
    try:
        invocations = _run_all(run_queue, _budget(100))
    finally:
        monkeypatch.undo()

    done = store.get_task("big-extract", task.id)
    assert done.status is TaskStatus.FINISHED and invocations == 3, done.message
    assert sorted(written) == [f"out/{name}" for name, _ in members]  # each member written once
    assert {k: _body(s3, bucket, k) for k in _keys(s3, bucket, "out/")} == {f"out/{n}": b for n, b in members}
    assert done.logs[-1].message.startswith("extracted 250 objects from 1 archive(s) into out/")


def test_the_tar_gz_cut_between_invocations_is_one_valid_deflate_stream(aws, s3, bucket, settings):
    """The place a hand-over cuts the deflate stream (a full flush) must leave nothing out."""
    writer = archive.PartWriter(s3, bucket, "out/cut.tar.gz", {}, "application/gzip")
    sink = archive_tar.TarSink(writer, 6)
    sink.add("one", 5, JAN_1, [b"first"])
    saved = sink.saved()
    sink = archive_tar.TarSink(writer, 6, saved["tar_offset"], saved["crc"])
    sink.add("two", 6, JAN_1, [b"second"])
    sink.finish()
    writer.finish()
    blob = _body(s3, bucket, "out/cut.tar.gz")
    gz = zlib.decompressobj(31)
    assert gz.decompress(blob) and gz.eof and gz.unused_data == b""  # one gzip member, the whole object
    assert _tar_members(blob) == {"one": b"first", "two": b"second"}
