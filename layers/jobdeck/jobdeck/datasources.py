"""Datasources: the buckets (or the prefixes of buckets) Jobdeck acts in, each by a name.

The stack's own bucket is `default`. The template's `Datasources` parameter adds the buckets an
operator already has: `name=bucket` or `name=bucket/prefix`, comma-separated. Everything users and
jobs see (keys of nodes, events, filters, shares, a user's home) is relative to a datasource's
prefix: `a.jpg` in `archive=archive-bucket/2024/` is the object `2024/a.jpg` of `archive-bucket`.
Only what talks to S3 turns one into the other (`object_key`, `relative_key`).

Config parses the environment with it: it imports nothing of Jobdeck's but its errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from jobdeck.errors import InvalidJob

DEFAULT = "default"
# Names go into job ids ("sync-datasource-<name>") and routing keys: short, lowercase, no separators
# of ours (":" "=" "," "/").
NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
# S3's bucket naming rules (general purpose buckets): 3-63 characters, lowercase letters, digits,
# dots and hyphens, starting and ending with a letter or digit.
BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class InvalidDatasources(ValueError):
    """The `Datasources` setting cannot be read; the message names the entry and what is wrong."""


@dataclass(frozen=True)
class Datasource:
    name: str
    bucket: str
    prefix: str = ""  # "" (the whole bucket) or a prefix ending in "/"

    def object_key(self, key: str) -> str:
        """The S3 key of a key relative to this datasource."""
        return self.prefix + key.lstrip("/")

    def relative_key(self, object_key: str) -> str | None:
        """The key relative to this datasource of an S3 key of its bucket; None when outside it."""
        if not object_key.startswith(self.prefix):
            return None
        return object_key[len(self.prefix) :]

    def holds(self, bucket: str, object_key: str) -> bool:
        return bucket == self.bucket and object_key.startswith(self.prefix)

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "bucket": self.bucket, "prefix": self.prefix}


def parse(spec: str) -> tuple[Datasource, ...]:
    """The datasources of `name=bucket[/prefix]` entries, comma-separated (blank: none)."""
    found: dict[str, Datasource] = {}
    for entry in (e.strip() for e in spec.split(",")):
        if not entry:
            continue
        name, sep, where = (part.strip() for part in entry.partition("="))
        if not sep or not where:
            raise InvalidDatasources(f"{entry!r}: write name=bucket or name=bucket/prefix")
        if not NAME.match(name):
            raise InvalidDatasources(
                f"{entry!r}: the name {name!r} must be 1-32 lowercase letters, digits and hyphens, "
                "starting and ending with a letter or digit"
            )
        if name == DEFAULT:
            raise InvalidDatasources(f"{entry!r}: {DEFAULT!r} is the stack's own bucket; choose another name")
        if name in found:
            raise InvalidDatasources(f"{entry!r}: the name {name!r} is given twice")
        bucket, _, prefix = where.partition("/")
        if not BUCKET.match(bucket) or ".." in bucket:
            raise InvalidDatasources(f"{entry!r}: {bucket!r} is not a valid S3 bucket name")
        prefix = prefix.strip("/")
        if any(part in ("", ".", "..") for part in prefix.split("/")) and prefix:
            raise InvalidDatasources(f"{entry!r}: the prefix {prefix!r} has an empty, '.' or '..' part")
        found[name] = Datasource(name, bucket, prefix + "/" if prefix else "")
    return tuple(found.values())


def require(known: Mapping[str, Datasource], name: str, field: str) -> str:
    """`name` when it is a datasource of the stack; InvalidJob naming `field` and the known ones."""
    if name not in known:
        raise InvalidJob(field, f"no datasource {name!r} (this stack has {', '.join(known)}: GET /datasources)")
    return name


def holding(datasources: Iterable[Datasource], bucket: str, object_key: str) -> list[Datasource]:
    """The datasources an S3 object is in (more than one when their prefixes nest)."""
    return [ds for ds in datasources if ds.holds(bucket, object_key)]
