"""An S3 multipart upload fed as a stream, that a later invocation can take up where an earlier one
left it: the archive actions write their archives through it (see archive.py for how a compress
continues)."""

from __future__ import annotations

import contextlib
import io
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from jobdeck.actions.registry import ActionError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MiB = 1024 * 1024
PART_SIZE = 8 * MiB  # a part goes up once the buffer holds this much
MIN_PART_SIZE = 5 * MiB  # S3's least part size (but for the last part)
MAX_PARTS = 10_000  # S3's most parts in one upload


class PartWriter:
    """A write-only, non-seekable stream into one S3 object: buffered into parts of `part_size`,
    uploaded as they fill (the upload is created with the first part; an object smaller than a part
    is one PutObject). `tell()` counts every byte written, including those of earlier invocations."""

    def __init__(
        self,
        s3: S3Client,
        bucket: str,
        key: str,
        metadata: dict[str, str],
        content_type: str,
        *,
        part_size: int = PART_SIZE,
        upload_id: str | None = None,
        parts: list[tuple[int, str]] | None = None,
        offset: int = 0,
        pending: bytes = b"",
    ) -> None:
        self.s3, self.bucket, self.key = s3, bucket, key
        self.metadata, self.content_type, self.part_size = metadata, content_type, part_size
        self.upload_id = upload_id
        self.parts: list[tuple[int, str]] = list(parts or [])
        self._offset = offset
        self._pending = bytearray(pending)

    def write(self, data: bytes) -> int:
        self._pending += data
        self._offset += len(data)
        if len(self._pending) >= self.part_size:
            self._upload_part()
        return len(data)

    def tell(self) -> int:
        return self._offset

    def seekable(self) -> bool:
        return False

    def seek(self, offset: int, whence: int = 0) -> int:
        raise io.UnsupportedOperation("an S3 upload is not seekable")

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass  # zipfile closes what it was given only when it opened it; finish() ends the upload

    def suspend(self) -> bytes:
        """Upload what S3 takes as a part now; the rest (under 5 MiB) is for the sidecar."""
        if len(self._pending) >= MIN_PART_SIZE:
            self._upload_part()
        return bytes(self._pending)

    def finish(self) -> str:
        """Upload the rest and complete the object; its ETag."""
        if self.upload_id is None:
            put = self.s3.put_object(
                Bucket=self.bucket,
                Key=self.key,
                Body=bytes(self._pending),
                Metadata=self.metadata,
                ContentType=self.content_type,
            )
            self._pending = bytearray()
            return put["ETag"].strip('"')
        if self._pending or not self.parts:
            self._upload_part()
        done = self.s3.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            MultipartUpload={"Parts": [{"PartNumber": number, "ETag": etag} for number, etag in self.parts]},
        )
        self.upload_id = None
        return str(done.get("ETag", "")).strip('"')

    def abort(self) -> None:
        """Drop the parts uploaded so far (no orphan parts); never raises."""
        upload_id, self.upload_id, self._pending = self.upload_id, None, bytearray()
        if upload_id is None:
            return
        with contextlib.suppress(ClientError):
            self.s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=upload_id)

    def _upload_part(self) -> None:
        if len(self.parts) >= MAX_PARTS:
            raise ActionError(f"{self.key}: over {MAX_PARTS} parts of {self.part_size // MiB} MiB")
        if self.upload_id is None:
            created = self.s3.create_multipart_upload(
                Bucket=self.bucket, Key=self.key, Metadata=self.metadata, ContentType=self.content_type
            )
            self.upload_id = created["UploadId"]
        number = len(self.parts) + 1
        body, self._pending = bytes(self._pending), bytearray()
        part = self.s3.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=body
        )
        self.parts.append((number, part["ETag"]))


# ------------------------------------------------------------------ member names
