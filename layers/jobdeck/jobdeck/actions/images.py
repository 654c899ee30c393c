"""images.thumbnail: smaller copies of images, beside them under a thumbnails prefix.

Memory stays bounded by the image, not by what it claims: the object is spooled to disk past a few
megabytes, its header is read before any pixel (an image over the pixel limit is refused there, a
decompression bomb never decodes), and a JPEG is decoded at the smallest scale that still covers
the largest thumbnail (Image.draft, through thumbnail()).
"""

from __future__ import annotations

import io
import shutil
import tempfile
import warnings
from contextlib import closing
from pathlib import PurePosixPath
from typing import IO, Any

from botocore.exceptions import ClientError
from PIL import Image, ImageOps, UnidentifiedImageError

from jobdeck.actions.registry import ActionContext, ActionError, Node, action
from jobdeck.domain import WRITER_METADATA

DEFAULT_SIZES = {"sm": 300, "md": 1024}  # Pydio's thumbnail sizes: longest side, in pixels
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff"})
SPOOL_BYTES = 8 * 1024 * 1024  # an object larger than this is spooled to /tmp, not held in memory
READ_CHUNK = 1024 * 1024
SOURCE_ETAG_METADATA = "jobdeck-source-etag"  # what the thumbnail was made from


@action(
    "images.thumbnail",
    "Make thumbnails of each input image (the event's object, or what the previous step produced): "
    "for each of `sizes`, the image scaled down to that longest side (never up), as JPEG (PNG when it "
    "has transparency), written to `<prefix><key>/<name>.jpg`. Other objects are skipped; an image "
    "over `max_pixels` is refused, and one that cannot be decoded skipped, with a warning (the step "
    "fails when no image could be made). Outputs the thumbnails.",
    {
        "properties": {
            "sizes": {
                "type": "object",
                "default": DEFAULT_SIZES,
                "minProperties": 1,
                "maxProperties": 8,
                "propertyNames": {"pattern": "^[a-z0-9_-]{1,32}$"},
                "additionalProperties": {"type": "integer", "minimum": 16, "maximum": 4096},
                "description": 'name -> longest side in pixels, e.g. {"sm": 300, "md": 1024}',
            },
            "prefix": {
                "type": "string",
                "default": ".thumbnails/",
                "minLength": 1,
                "pattern": "/$",
                "description": "where thumbnails go: <prefix><key>/<name>.jpg",
            },
            "max_pixels": {
                "type": "integer",
                "minimum": 1,
                "maximum": Image.MAX_IMAGE_PIXELS,
                "default": Image.MAX_IMAGE_PIXELS,
                "description": "refuse images larger than this (width x height): decompression bombs",
            },
            "quality": {"type": "integer", "minimum": 1, "maximum": 95, "default": 85, "description": "JPEG"},
        },
    },
    datasource=False,
)
def images_thumbnail(ctx: ActionContext, params: dict[str, Any], nodes: list[Node]) -> list[Node]:
    prefix = params["prefix"].lstrip("/")
    if not prefix:
        raise ActionError("give a thumbnails prefix below the datasource's root, e.g. .thumbnails/")
    made: list[Node] = []
    skipped = 0
    failed: list[str] = []  # images refused or undecodable: the others are still made
    for node in ctx.each(nodes):
        if node.key.startswith(prefix):
            ctx.log(f"{node.key} is a thumbnail itself: skipped")
            skipped += 1
            continue
        try:
            thumbnails = _thumbnails(ctx, params, prefix, node)
        except ActionError as exc:
            ctx.log(str(exc), "WARNING")
            failed.append(str(exc))
            continue
        if thumbnails is None:
            skipped += 1
        else:
            made.extend(thumbnails)
    images = len(nodes) - skipped
    also = f", {len(failed)} images failed" if failed else ""
    ctx.log(f"made {len(made)} thumbnails of {images - len(failed)} images ({skipped} objects skipped{also})")
    if failed and len(failed) == images:  # nothing to show for it: the task says so
        raise ActionError(failed[0] if images == 1 else f"all {images} images failed; the first: {failed[0]}")
    return made


def _thumbnails(ctx: ActionContext, params: dict[str, Any], prefix: str, node: Node) -> list[Node] | None:
    where = ctx.datasource_of(node)  # thumbnails go next to their image, in its datasource
    try:
        head = ctx.s3.head_object(Bucket=where.bucket, Key=where.object_key(node.key))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            ctx.log(f"{node.key} is gone: skipped", "WARNING")
            return None
        raise
    content_type = head.get("ContentType", "")
    if not content_type.startswith("image/") and PurePosixPath(node.key).suffix.lower() not in IMAGE_SUFFIXES:
        ctx.log(f"{node.key} is not an image ({content_type or 'no content type'}): skipped")
        return None
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        try:
            # The version the HEAD saw, whose ETag the thumbnails record; a newer one has its own event.
            got = ctx.s3.get_object(Bucket=where.bucket, Key=where.object_key(node.key), IfMatch=head["ETag"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("PreconditionFailed", "412", "404", "NoSuchKey"):
                raise
            ctx.log(f"{node.key} changed or went while it was read: skipped", "WARNING")
            return None
        with closing(got["Body"]) as body:
            shutil.copyfileobj(body, spool, READ_CHUNK)
        spool.seek(0)
        try:
            rendered = _render(spool, params, node.key)
        except UnidentifiedImageError:
            ctx.log(f"{node.key} is not an image Pillow can read ({content_type or 'no content type'}): skipped")
            return None
    etag = head["ETag"].strip('"')
    written = []
    for name, (data, extension, mime, size) in rendered.items():
        key = f"{prefix}{node.key}/{name}.{extension}"
        ctx.s3.put_object(
            Bucket=where.bucket,
            Key=where.object_key(key),
            Body=data,
            ContentType=mime,
            Metadata={WRITER_METADATA: ctx.job.id, SOURCE_ETAG_METADATA: etag},
        )
        written.append(Node(key, len(data), datasource=where.name))
        ctx.log(f"{key}: {size[0]}x{size[1]}")
    return written


def _render(source: IO[bytes], params: dict[str, Any], key: str) -> dict[str, tuple[bytes, str, str, tuple[int, int]]]:
    """Each size's encoded thumbnail, its extension, content type and dimensions."""
    limit = params["max_pixels"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the limit below decides
        try:
            image = Image.open(source)  # the header only: no pixel is decoded yet
        except Image.DecompressionBombError as exc:
            raise ActionError(f"{key} is refused: {exc}") from None
        except UnidentifiedImageError:
            raise  # not an image at all: the caller skips it
        except (OSError, SyntaxError, ValueError) as exc:  # an image's header, cut short or broken
            raise ActionError(f"{key} cannot be decoded: {exc}") from None
    with image:
        width, height = image.size
        if width * height > limit:
            raise ActionError(
                f"{key} is refused: {width}x{height} = {width * height:,} pixels, over the limit of {limit:,} "
                "(a decompression bomb, or raise max_pixels)"
            )
        sizes: dict[str, int] = params["sizes"]
        largest = max(sizes.values())
        try:
            image.thumbnail((largest, largest))  # JPEG: decoded at a reduced scale (draft), then resized
            upright = ImageOps.exif_transpose(image)  # as a camera's orientation tag says
            alpha = upright.mode in ("RGBA", "LA", "PA") or (upright.mode == "P" and "transparency" in upright.info)
            reduced = upright.convert("RGBA" if alpha else "RGB")
        except (OSError, SyntaxError, ValueError) as exc:
            raise ActionError(f"{key} cannot be decoded: {exc}") from None
        out = {}
        for name, side in sorted(sizes.items(), key=lambda item: -item[1]):
            scaled = reduced.copy()
            scaled.thumbnail((side, side))  # never enlarges
            buffer = io.BytesIO()
            if alpha:
                scaled.save(buffer, "PNG", optimize=True)
                out[name] = (buffer.getvalue(), "png", "image/png", scaled.size)
            else:
                scaled.save(buffer, "JPEG", quality=params["quality"], optimize=True, progressive=True)
                out[name] = (buffer.getvalue(), "jpg", "image/jpeg", scaled.size)
        return out
