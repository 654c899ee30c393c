"""The tar.gz side of the archive actions: a tar writer gzipped as one gzip member across
invocations, and the stream readers to extract one."""

from __future__ import annotations

import gzip
import struct
import tarfile
import zlib
from collections.abc import Generator, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jobdeck.actions.multipart import PartWriter

READ_CHUNK = 1024 * 1024
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no flags, no time, unknown OS


class TarSink:
    """tar headers and data, gzipped as ONE gzip member across invocations. When an invocation
    ends, the deflate stream is cut with a full flush (byte-aligned, nothing after it refers back
    before it) and the next invocation goes on with a new raw-deflate compressor; the gzip header is
    written once, the trailer (CRC-32 and size of the whole tar) at the end, from the running
    values kept in between. (Concatenated gzip members would be valid gzip too, but Python's own
    tarfile 'r|gz' silently stops at the first one.)"""

    def __init__(self, writer: PartWriter, level: int, offset: int = 0, crc: int = 0) -> None:
        self.writer, self.level = writer, level
        self.offset, self.crc = offset, crc  # of the tar stream (uncompressed) so far
        self._deflate: Any = None

    def _out(self, data: bytes) -> None:
        if self._deflate is None:
            if self.writer.tell() == 0:
                self.writer.write(GZIP_HEADER)
            self._deflate = zlib.compressobj(self.level, zlib.DEFLATED, -zlib.MAX_WBITS)
        self.offset += len(data)
        self.crc = zlib.crc32(data, self.crc)
        self.writer.write(self._deflate.compress(data))

    def add(self, name: str, size: int, modified: datetime, chunks: Iterable[bytes]) -> int:
        """One member from its chunks (`size` goes in its header first); the bytes it had."""
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode, info.type = size, int(modified.timestamp()), 0o644, tarfile.REGTYPE
        self._out(info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape"))
        written = 0
        for chunk in chunks:
            written += len(chunk)
            if written > size:
                break
            self._out(chunk)
        if written == size and size % tarfile.BLOCKSIZE:
            self._out(tarfile.NUL * (tarfile.BLOCKSIZE - size % tarfile.BLOCKSIZE))
        return written

    def saved(self) -> dict[str, Any]:
        """Cut the deflate stream where the next invocation takes it up; what that one needs."""
        if self._deflate is not None:
            self.writer.write(self._deflate.flush(zlib.Z_FULL_FLUSH))
            self._deflate = None
        return {"tar_offset": self.offset, "crc": self.crc}

    def finish(self) -> None:
        self._out(tarfile.NUL * (2 * tarfile.BLOCKSIZE))  # the end-of-archive blocks, then a whole record
        self._out(tarfile.NUL * (-self.offset % tarfile.RECORDSIZE))
        self.writer.write(self._deflate.flush(zlib.Z_FINISH))
        self.writer.write(struct.pack("<II", self.crc, self.offset & 0xFFFFFFFF))
        self._deflate = None

    def drop(self) -> None:
        self._deflate = None


class Counting:
    """A read() stream that counts the bytes it gave (the compressed bytes read, for progress)."""

    def __init__(self, raw: Any) -> None:
        self.raw, self.count = raw, 0

    def read(self, n: int | None = -1) -> bytes:
        data: bytes = self.raw.read(n if n is not None and n >= 0 else None)
        self.count += len(data)
        return data


def gzip_reader(raw: Any) -> gzip.GzipFile:
    """The gzip stream decompressed as it is read, every concatenated member of it (tarfile's own
    'r|gz' would stop at the first)."""
    return gzip.GzipFile(fileobj=raw, mode="rb")


def member_chunks(archive: tarfile.TarFile, info: tarfile.TarInfo) -> Generator[bytes]:
    member = archive.extractfile(info)
    if member is None:
        return
    with member:
        while chunk := member.read(READ_CHUNK):
            yield chunk
