"""The zip side of the archive actions: a zipfile writer whose central directory survives the
invocation (its entries saved as JSON and restored into a new ZipFile), and a seekable view of an
S3 object for zipfile to read archives through their central directory."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Generator, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from jobdeck.actions.multipart import PartWriter

# Two private names of the standard library's zipfile, as Python 3.12 (Lambda's python3.12, the
# template's Runtime) has them: ZipInfo._compresslevel (a member's level, which ZipFile.open(info)
# takes from the info alone) and _EndRecData (the end record's reader). Checked here rather than
# found missing in the middle of an archive.
if not (hasattr(zipfile, "_EndRecData") and hasattr(zipfile.ZipInfo, "_compresslevel")):
    raise ImportError("this Python's zipfile lacks _EndRecData or ZipInfo._compresslevel, which archive_zip reaches")

READ_CHUNK = 1024 * 1024
SKIP_BY_READING = 1024 * 1024  # a seek ahead by at most this much reads on rather than opening a new GET
# The ZipInfo fields the central directory is written from, kept between invocations.
_FIELDS = (
    "filename", "date_time", "compress_type", "comment", "extra", "create_system", "create_version",
    "extract_version", "reserved", "flag_bits", "volume", "internal_attr", "external_attr", "header_offset",
    "CRC", "compress_size", "file_size",
)  # fmt: skip


class ZipSink:
    """The stdlib's zipfile writing members to a non-seekable part writer (data descriptors after
    each member's data; ZIP64 for a member that needs it). Built again in a later invocation from
    the entries written so far, over a writer whose tell() counts the bytes already uploaded, it
    goes on where the last one stopped and ends with the central directory of every member."""

    def __init__(self, writer: PartWriter, level: int, entries: list[list[Any]] | None = None) -> None:
        self.level = level
        self.zip = zipfile.ZipFile(writer, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        for entry in entries or []:
            info = _zipinfo(entry)
            self.zip.filelist.append(info)
            self.zip.NameToInfo[info.filename] = info

    def add(self, name: str, size: int, modified: datetime, chunks: Iterable[bytes]) -> int:
        """One member from its chunks; the bytes it had."""
        info = zipfile.ZipInfo(name, zip_time(modified))
        # Deflate at level 0 too (stored deflate blocks, as fast): a streaming unzipper can read those
        # with data descriptors, where a STORED member with one has no length it could stop at.
        info.compress_type = zipfile.ZIP_DEFLATED
        info._compresslevel = self.level  # type: ignore[attr-defined]  # its name in Python 3.12
        info.external_attr = 0o100644 << 16
        info.file_size = size  # decides ZIP64 for this member; zipfile writes the real size after it
        written = 0
        with self.zip.open(info, "w") as out:
            for chunk in chunks:
                out.write(chunk)
                written += len(chunk)
        return written

    def saved(self) -> dict[str, Any]:
        return {"entries": [[_json(getattr(info, name)) for name in _FIELDS] for info in self.zip.filelist]}

    def finish(self) -> None:
        self.zip.close()  # the central directory and end records

    def drop(self) -> None:
        self.zip.fp = None  # so that nothing writes an end record (ZipFile.__del__ would)


def zip_time(modified: datetime) -> tuple[int, int, int, int, int, int]:
    """A zip's date and time (UTC), within the years it can hold (1980-2107)."""
    t = modified.astimezone(UTC)
    if t.year < 1980:
        return (1980, 1, 1, 0, 0, 0)
    if t.year > 2107:
        return (2107, 12, 31, 23, 59, 58)
    return (t.year, t.month, t.day, t.hour, t.minute, t.second)


def _json(value: Any) -> Any:
    return value.hex() if isinstance(value, bytes) else list(value) if isinstance(value, tuple) else value


def _zipinfo(fields: list[Any]) -> zipfile.ZipInfo:
    saved = dict(zip(_FIELDS, fields, strict=True))
    info = zipfile.ZipInfo(saved.pop("filename"), tuple(saved.pop("date_time")))
    info.comment, info.extra = bytes.fromhex(saved.pop("comment")), bytes.fromhex(saved.pop("extra"))
    for name, value in saved.items():
        setattr(info, name, value)
    return info


class RangeReader:
    """A read-only, seekable view of an S3 object for zipfile: reading streams from one ranged GET
    (conditioned on the ETag read first, so the object cannot change underneath); a seek ahead by a
    little reads on, a seek elsewhere opens another GET at the next read. Holds one read."""

    def __init__(self, s3: S3Client, bucket: str, key: str) -> None:
        self.s3, self.bucket, self.key = s3, bucket, key
        head = s3.head_object(Bucket=bucket, Key=key)
        self.size: int = head["ContentLength"]
        self.etag: str = head["ETag"]
        self._pos = 0
        self._body: Any = None
        self._body_pos = 0

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self.size}[whence]
        if base + offset < 0:
            raise OSError(f"seek before the start of {self.key}")
        self._pos = base + offset
        return self._pos

    def read(self, n: int | None = -1) -> bytes:
        left = self.size - self._pos
        want = left if n is None or n < 0 else min(n, left)
        if want <= 0:
            return b""
        if self._body is not None and self._body_pos != self._pos:
            gap = self._pos - self._body_pos
            if 0 < gap <= SKIP_BY_READING:
                self._read_body(gap)
            else:
                self._drop()
        if self._body is None:
            self._body = self.s3.get_object(
                Bucket=self.bucket, Key=self.key, Range=f"bytes={self._pos}-{self.size - 1}", IfMatch=self.etag
            )["Body"]
            self._body_pos = self._pos
        data = self._read_body(want)
        self._pos += len(data)
        return data

    def close(self) -> None:
        self._drop()

    def _read_body(self, count: int) -> bytes:
        chunks: list[bytes] = []
        got = 0
        while got < count:
            chunk = self._body.read(count - got)
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        self._body_pos += got
        return b"".join(chunks)

    def _drop(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None


def declared_members(reader: RangeReader) -> int:
    """How many members the end record says the archive has, read before zipfile reads (and holds)
    the whole central directory. BadZipFile when there is no end record."""
    end = zipfile._EndRecData(reader)  # type: ignore[attr-defined]  # zipfile's own reader of it
    if end is None:
        raise zipfile.BadZipFile("no end of central directory record")
    return int(end[4])  # _ECD_ENTRIES_TOTAL (from the ZIP64 end record when there is one)


def member_chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Generator[bytes]:
    """A member's expanded bytes; never more than its header declares (zipfile cuts there, and the
    CRC check then fails)."""
    with archive.open(info) as member:
        while chunk := member.read(READ_CHUNK):
            yield chunk
