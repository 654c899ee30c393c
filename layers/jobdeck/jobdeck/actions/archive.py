"""Archives: `archive.compress` streams objects into one zip or tar.gz object, `archive.extract`
streams an archive's members out into objects. Memory stays bounded whatever the sizes: one part
buffer (8 MiB) and one read chunk (1 MiB), plus a zip's central directory (some 100 bytes a member).

**Compress, and how it continues.** The archive goes up by multipart upload as it is written (the
stdlib's `zipfile` writing to a non-seekable stream: data descriptors, ZIP64 when a member needs it;
`tarfile` headers through `zlib`). The member loop is `ctx.each`, whose checkpoints raise when the
task pauses or runs out of invocation time. The action then saves its place: the bytes not uploaded
yet (S3 takes parts of 5 MiB at least, but for the last), the parts' ETags, the member list and, for
a zip, the central directory entries so far go to a sidecar object (`.jobdeck-partial/<job>/<task>`);
`ctx.state` keeps the small rest (upload id, offsets, done). The next invocation reads the sidecar
back and goes on with the same multipart upload: a new `ZipFile('w')` over a writer whose `tell()`
counts the bytes written so far, the saved entries restored into its central directory; for tar.gz,
the deflate stream cut by a full flush goes on in a new compressor (one gzip member in the end). Any
other way out (an error, a stop, a timeout) aborts the upload and deletes the sidecar. (Not
`stream-zip`: its generator keeps the offsets and the central directory to itself, so an archive it
began cannot be finished by another process.)

**Extract** reads a zip through its central directory by ranged GETs (the stdlib's `zipfile` over a
seekable view of the object): names, member count and declared sizes are all checked before anything
is written, and no member can expand past its declared size (zipfile cuts it there; its CRC then
fails). A tar.gz streams through `gzip` and `tarfile` in stream mode, each header checked as it
comes. Expanded bytes are also counted as they stream. A refusal or an error deletes what was
extracted from that archive.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import json
import mimetypes
import os
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from jobdeck.actions import archive_tar, archive_zip
from jobdeck.actions.archive_members import UnsafeName, member_key, member_path
from jobdeck.actions.archive_tar import TarSink
from jobdeck.actions.archive_zip import RangeReader, ZipSink
from jobdeck.actions.multipart import PART_SIZE, PartWriter
from jobdeck.actions.objects import delete_nodes, list_nodes
from jobdeck.actions.registry import ActionContext, ActionError, Node, OutOfTime, TaskPaused, action
from jobdeck.domain import WRITER_METADATA

MiB = 1024 * 1024
GiB = 1024 * MiB
READ_CHUNK = 1 * MiB
PARTIAL_PREFIX = ".jobdeck-partial/"  # sidecars of archives under way (the bucket expires them after 7 days)
FORMATS = ("zip", "tar.gz")
CONTENT_TYPES = {"zip": "application/zip", "tar.gz": "application/gzip"}
_PAUSES = (OutOfTime, TaskPaused)  # the task continues later: keep what was done
# What a corrupt or unsupported archive raises while it is read (an ActionError, not retryable).
_UNREADABLE = (
    zipfile.BadZipFile,
    tarfile.TarError,
    gzip.BadGzipFile,
    EOFError,
    zlib.error,
    NotImplementedError,
)


# ------------------------------------------------------------------ S3 streams


def _folder(key: str) -> str:
    """The key up to its last slash (the folder it is in), '' for a key at the root."""
    return key[: key.rfind("/") + 1]


# ------------------------------------------------------------------ compress


@action(
    "archive.compress",
    "Stream the objects under `prefix` (or else the action's input, from any datasource) into one zip "
    "or tar.gz object at `destination` in the step's datasource, by multipart upload: memory stays "
    "bounded whatever the sizes, and a long compress hands over to new invocations (or pauses) and "
    "goes on with the same upload. Outputs the archive. "
    "Folder markers (keys ending in /) are left out; `compression_level` 0 stores.",
    {
        "properties": {
            "prefix": {"type": "string", "minLength": 1, "description": "compress the objects under it"},
            "destination": {
                "type": "string",
                "minLength": 1,
                "pattern": "[^/]$",
                "description": "the archive's key, e.g. exports/photos.zip",
            },
            "format": {"type": "string", "enum": list(FORMATS), "default": "zip"},
            "strip_prefix": {
                "type": "boolean",
                "default": True,
                "description": "member names relative to the prefix's folder (or the input's common folder)",
            },
            "compression_level": {
                "type": "integer",
                "minimum": 0,
                "maximum": 9,
                "default": 6,
                "description": "deflate level: 0 stores (fastest), 9 packs most",
            },
        },
        "required": ["destination"],
    },
)
def archive_compress(ctx: ActionContext, params: dict[str, Any], nodes: list[Node]) -> list[Node]:
    if "sidecar" in ctx.state:
        job = _Compression.resume(ctx)
    else:
        destination = params["destination"].lstrip("/")
        members, total = _members(ctx, params, nodes, destination)
        job = _Compression.start(ctx, destination, params["format"], params["compression_level"], total)
        job.members = members
    try:
        for datasource, key, name in ctx.each(job.members):
            job.add(datasource, key, name)
        return [job.finish()]
    except _PAUSES:
        job.suspend()
        raise
    except BaseException:
        job.abort()
        raise


def _members(
    ctx: ActionContext, params: dict[str, Any], nodes: list[Node], destination: str
) -> tuple[list[tuple[str, str, str]], int]:
    """(datasource, key, member name) of each object to compress, in key order, and their bytes as
    listed; refused when there is none."""
    here = ctx.datasource.name

    def wanted(node: Node) -> bool:
        key = node.key
        return (
            not key.endswith("/")
            and (key, node.datasource) != (destination, here)
            and not key.startswith(PARTIAL_PREFIX)
        )

    if "prefix" in params:
        prefix = params["prefix"].lstrip("/")
        found = [n for n in list_nodes(ctx.s3, ctx.datasource, prefix) if wanted(n)]
        if not found:
            raise ActionError(f"nothing to compress: no objects under {prefix!r}")
        base = _folder(prefix)
    else:
        found = sorted({(n.datasource, n.key): n for n in nodes if wanted(n)}.values(), key=lambda n: n.key)
        if not found:
            raise ActionError("nothing to compress: give `prefix`, or run after a step (or event) that outputs objects")
        # Character by character on purpose: cut back to a folder just after.
        base = _folder(os.path.commonprefix([n.key for n in found]))  # noqa: RUF071
    if not params["strip_prefix"]:
        base = ""
    members = []
    for node in found:
        key, name = node.key, node.key[len(base) :]
        try:
            member_path(name)
        except UnsafeName as exc:
            raise ActionError(f"{key}: {name!r} would not be a safe member name: {exc}") from None
        members.append((node.datasource, key, name))
    return members, sum(n.size for n in found)


@dataclass
class _Compression:
    ctx: ActionContext
    destination: str
    format: str
    writer: PartWriter
    sink: ZipSink | TarSink
    members: list[tuple[str, str, str]]  # (datasource, key, member name)
    sidecar: str

    @classmethod
    def start(cls, ctx: ActionContext, destination: str, fmt: str, level: int, total: int) -> _Compression:
        # Parts of 8 MiB, or more for an archive that 9,000 of them could not hold (S3 takes 10,000).
        part_size = max(PART_SIZE, -(-total * 11 // 10 // 9_000 // MiB) * MiB)
        ctx.state.update(destination=destination, format=fmt, level=level, part_size=part_size)
        writer = _archive_writer(ctx, destination, fmt, part_size=part_size)
        sink: ZipSink | TarSink = ZipSink(writer, level) if fmt == "zip" else TarSink(writer, level)
        return cls(ctx, destination, fmt, writer, sink, [], f"{PARTIAL_PREFIX}{ctx.job.id}/{ctx.task.id}")

    @classmethod
    def resume(cls, ctx: ActionContext) -> _Compression:
        """Where the last invocation left off: its state and its sidecar."""
        state = ctx.state
        destination, fmt, sidecar = state["destination"], state["format"], state["sidecar"]
        try:
            raw = ctx.s3.get_object(Bucket=ctx.datasource.bucket, Key=ctx.datasource.object_key(sidecar))["Body"].read()
        except ClientError as exc:
            if state.get("upload_id"):
                _archive_writer(ctx, destination, fmt, upload_id=state["upload_id"]).abort()
            raise ActionError(f"cannot go on with {destination}: its partial state {sidecar} is gone ({exc})") from None
        head, _, pending = raw.partition(b"\n")
        saved = json.loads(head)
        if saved["upload_id"] != state.get("upload_id") or saved["offset"] != state.get("offset"):
            raise ActionError(f"cannot go on with {destination}: {sidecar} does not match the task's place")
        writer = _archive_writer(
            ctx,
            destination,
            fmt,
            part_size=int(state["part_size"]),
            upload_id=saved["upload_id"],
            parts=[(int(n), str(e)) for n, e in saved["parts"]],
            offset=saved["offset"],
            pending=pending,
        )
        level = int(state["level"])
        sink: ZipSink | TarSink = (
            ZipSink(writer, level, saved["entries"])
            if fmt == "zip"
            else TarSink(writer, level, saved["tar_offset"], saved["crc"])
        )
        members = [(str(ds), str(key), str(name)) for ds, key, name in saved["members"]]
        ctx.log(f"continuing {destination} after {state.get('done', 0)} of {len(members)} objects")
        return cls(ctx, destination, fmt, writer, sink, members, sidecar)

    def add(self, datasource: str, key: str, name: str) -> None:
        where = self.ctx.datasource_named(datasource)
        got = self.ctx.s3.get_object(Bucket=where.bucket, Key=where.object_key(key))
        size = got["ContentLength"]
        try:
            written = self.sink.add(name, size, got["LastModified"], got["Body"].iter_chunks(READ_CHUNK))
        finally:
            got["Body"].close()
        if written != size:
            raise ActionError(f"{key}: read {written} bytes where S3 announced {size}")

    def suspend(self) -> None:
        """Save what the next invocation needs: the small part in ctx.state, the rest in the sidecar."""
        try:
            saved = self.sink.saved()  # first: a tar.gz writes the end of its deflate block
            pending = self.writer.suspend()
            saved.update(
                upload_id=self.writer.upload_id,
                offset=self.writer.tell(),
                parts=self.writer.parts,
                members=self.members,
            )
            self.ctx.s3.put_object(
                Bucket=self.ctx.datasource.bucket,
                Key=self.ctx.datasource.object_key(self.sidecar),
                Body=json.dumps(saved, separators=(",", ":")).encode() + b"\n" + pending,
                Metadata={WRITER_METADATA: self.ctx.job.id},
            )
        except BaseException:
            self.abort()
            raise
        self.sink.drop()
        self.ctx.state.update(sidecar=self.sidecar, upload_id=self.writer.upload_id, offset=self.writer.tell())

    def finish(self) -> Node:
        self.sink.finish()
        size = self.writer.tell()
        etag = self.writer.finish()
        self._forget_sidecar()
        self.ctx.log(f"compressed {len(self.members)} objects into {self.destination} ({self.format}, {size} bytes)")
        return Node(self.destination, size, etag, datetime.now(UTC), self.ctx.datasource.name)

    def abort(self) -> None:
        self.sink.drop()
        self.writer.abort()
        self._forget_sidecar()

    def _forget_sidecar(self) -> None:
        if self.ctx.state.pop("sidecar", None):
            with contextlib.suppress(ClientError):
                here = self.ctx.datasource
                self.ctx.s3.delete_object(Bucket=here.bucket, Key=here.object_key(self.sidecar))
        for name in ("upload_id", "offset"):
            self.ctx.state.pop(name, None)


def _archive_writer(ctx: ActionContext, destination: str, fmt: str, **saved: Any) -> PartWriter:
    metadata = {WRITER_METADATA: ctx.job.id}
    here = ctx.datasource
    return PartWriter(ctx.s3, here.bucket, here.object_key(destination), metadata, CONTENT_TYPES[fmt], **saved)


# ------------------------------------------------------------------ extract


@action(
    "archive.extract",
    "Extract a zip or tar.gz archive (`key`, or else the action's input) under `destination`, member "
    "by member, streamed: memory stays bounded. Refused, with nothing left written: a member whose "
    "name could land outside the destination (absolute, `..`, backslash), links and devices in a tar, "
    "more than `max_members` members, more than `max_expanded_bytes` of expanded data (counted as it "
    "streams). Handed over to a new invocation (or paused), it goes on after the last member written, "
    "re-reading the archive up to there without writing it again. Outputs the extracted objects.",
    {
        "properties": {
            "key": {"type": "string", "minLength": 1, "description": "the archive, e.g. inbox/photos.zip"},
            "destination": {"type": "string", "minLength": 1, "description": "the prefix to extract under"},
            "format": {
                "type": "string",
                "enum": list(FORMATS),
                "description": "zip or tar.gz; without it, told by the name (.zip, .tar.gz, .tgz)",
            },
            "max_expanded_bytes": {"type": "integer", "minimum": 1, "default": 10 * GiB},
            "max_members": {"type": "integer", "minimum": 1, "default": 100_000},
        },
        "required": ["destination"],
    },
)
def archive_extract(ctx: ActionContext, params: dict[str, Any], nodes: list[Node]) -> list[Node]:
    destination = params["destination"].lstrip("/")
    if not destination:
        raise ActionError("refusing to extract into the root of the datasource: give a prefix below it")
    if not destination.endswith("/"):
        destination += "/"
    archives = [Node(params["key"].lstrip("/"), datasource=ctx.datasource.name)] if "key" in params else nodes
    if not archives:
        raise ActionError("nothing to extract: give `key`, or run after a step (or event) that outputs the archive")
    run = _Extraction(ctx, destination, params["max_expanded_bytes"], params["max_members"])
    for index, archive in enumerate(archives):
        fmt = params.get("format") or _format_of(archive.key)
        run.archive(index, archive, fmt, len(archives))
    ctx.log(f"extracted {len(run.outputs)} objects from {len(archives)} archive(s) into {destination}")
    return run.outputs


def _format_of(key: str) -> str:
    name = key.lower()
    if name.endswith(".zip"):
        return "zip"
    if name.endswith((".tar.gz", ".tgz")):
        return "tar.gz"
    raise ActionError(f"cannot tell the format of {key} from its name: give `format` (zip or tar.gz)")


class _Extraction:
    """Members are counted across the archives in order; `ctx.state["done"]` is how many were
    written, so a continuation passes over those (re-reading, not re-writing) and goes on."""

    def __init__(self, ctx: ActionContext, destination: str, max_bytes: int, max_members: int) -> None:
        self.ctx, self.destination, self.max_bytes, self.max_members = ctx, destination, max_bytes, max_members
        self.done = int(ctx.state.get("done", 0))
        self.seen = 0
        self.expanded = 0  # the archive's expanded bytes so far, counted as they stream
        self.outputs: list[Node] = []

    def archive(self, index: int, archive: Node, fmt: str, count: int) -> None:
        written: list[str] = []  # this archive's members extracted, now or by an earlier invocation
        self.expanded = 0
        key = archive.key
        try:
            if fmt == "zip":
                self._zip(index, archive, count, written)
            else:
                self._tar(index, archive, count, written)
        except _PAUSES:
            raise
        except BaseException as exc:
            self._remove(written)
            if isinstance(exc, _UNREADABLE):
                raise ActionError(f"{key}: not a readable {fmt} archive: {type(exc).__name__}: {exc}") from None
            raise

    def _check_archive(self, index: int, key: str, etag: str) -> None:
        """A continuation must find the very archive it began on."""
        state = self.ctx.state
        if state.get("archive") == index and state.get("etag") not in (None, etag):
            raise ActionError(f"{key} changed while it was being extracted: run the job again")
        if self.seen >= self.done:
            state.update(archive=index, etag=etag)

    def _zip(self, index: int, archive_node: Node, count: int, written: list[str]) -> None:
        key, where = archive_node.key, self.ctx.datasource_of(archive_node)
        reader = RangeReader(self.ctx.s3, where.bucket, where.object_key(key))
        try:
            self._check_archive(index, key, reader.etag)
            declared = archive_zip.declared_members(reader)
            if declared > self.max_members:
                raise ActionError(f"{key}: {declared} members, over max_members ({self.max_members})")
            with zipfile.ZipFile(reader) as archive:
                members = self._zip_members(key, archive.infolist())
                for position, (info, target) in enumerate(members):
                    chunks = functools.partial(archive_zip.member_chunks, archive, info)
                    self._member(target, info.file_size, chunks, key, written)
                    self.ctx.report_progress((index + (position + 1) / len(members)) / count)
        finally:
            reader.close()

    def _zip_members(self, key: str, infos: list[zipfile.ZipInfo]) -> list[tuple[zipfile.ZipInfo, str]]:
        """Every name and size checked before anything is written."""
        if len(infos) > self.max_members:
            raise ActionError(f"{key}: {len(infos)} members, over max_members ({self.max_members})")
        members, declared = [], 0
        for info in infos:
            if info.orig_filename != info.filename:
                raise ActionError(f"{key}: member {info.orig_filename!r} refused: a NUL in its name")
            target = member_key(self.destination, info.filename, key)
            if target is None:
                continue
            if info.flag_bits & 0x1:
                raise ActionError(f"{key}: member {info.filename!r} is encrypted: not supported")
            declared += info.file_size
            if declared > self.max_bytes:
                raise ActionError(
                    f"{key}: expands to over max_expanded_bytes ({self.max_bytes:,} bytes) by its own "
                    f"account, at member {info.filename!r} ({info.file_size:,} bytes): refused"
                )
            members.append((info, target))
        return members

    def _tar(self, index: int, archive_node: Node, count: int, written: list[str]) -> None:
        key, where = archive_node.key, self.ctx.datasource_of(archive_node)
        got = self.ctx.s3.get_object(Bucket=where.bucket, Key=where.object_key(key))
        body = archive_tar.Counting(got["Body"])
        total = max(1, int(got["ContentLength"]))
        members = 0
        try:
            self._check_archive(index, key, got["ETag"])
            with archive_tar.gzip_reader(body) as unzipped, tarfile.open(fileobj=unzipped, mode="r|") as archive:
                for info in archive:
                    members += 1
                    if members > self.max_members:
                        raise ActionError(f"{key}: over max_members ({self.max_members}) members")
                    target = member_key(self.destination, info.name + ("/" if info.isdir() else ""), key)
                    if target is None:
                        continue
                    if not info.isreg() or info.issparse():
                        kind = "a link" if info.issym() or info.islnk() else "a device or special file"
                        raise ActionError(f"{key}: member {info.name!r} is {kind}: only files are extracted")
                    if self.expanded + info.size > self.max_bytes:
                        raise ActionError(
                            f"{key}: expands to over max_expanded_bytes ({self.max_bytes:,} bytes), at member "
                            f"{info.name!r} ({info.size:,} bytes): refused"
                        )
                    chunks = functools.partial(archive_tar.member_chunks, archive, info)
                    self._member(target, info.size, chunks, key, written)
                    self.ctx.report_progress((index + min(1.0, body.count / total)) / count)
        finally:
            got["Body"].close()

    def _member(
        self, target: str, size: int, chunks: Callable[[], Generator[bytes]], archive: str, written: list[str]
    ) -> None:
        position = self.seen
        self.seen += 1
        if position < self.done:  # written by an earlier invocation
            written.append(target)
            self.outputs.append(Node(target, size, datasource=self.ctx.datasource.name))
            self.expanded += size
            return
        self.ctx.checkpoint()
        here = self.ctx.datasource
        writer = PartWriter(
            self.ctx.s3,
            here.bucket,
            here.object_key(target),
            {WRITER_METADATA: self.ctx.job.id},
            mimetypes.guess_type(target)[0] or "binary/octet-stream",
        )
        stream = chunks()
        try:
            for chunk in stream:
                writer.write(chunk)
                self._count(len(chunk), archive, target)
            etag = writer.finish()
        except BaseException:
            writer.abort()
            raise
        finally:
            stream.close()
        written.append(target)
        self.outputs.append(Node(target, writer.tell(), etag, datasource=here.name))
        self.done = position + 1
        self.ctx.state["done"] = self.done

    def _count(self, more: int, archive: str, target: str) -> None:
        """Expanded bytes counted as they stream (a header may lie)."""
        self.expanded += more
        if self.expanded > self.max_bytes:
            raise ActionError(
                f"{archive}: stopped at max_expanded_bytes ({self.max_bytes:,} bytes) of expanded data in "
                f"{target}: refused"
            )

    def _remove(self, written: list[str]) -> None:
        if not written:
            return
        with contextlib.suppress(ClientError, ActionError):
            here = self.ctx.datasource
            delete_nodes(self.ctx.s3, here, [Node(k, datasource=here.name) for k in dict.fromkeys(written)])
        self.ctx.log(f"removed the {len(written)} objects extracted before the failure", "WARNING")
