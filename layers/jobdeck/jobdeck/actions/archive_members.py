"""Where an archive's member may land: the zip-slip guard of `archive.extract` (and of the names
`archive.compress` writes), checked before anything is written."""

from __future__ import annotations

import re

from jobdeck.actions.registry import ActionError

MAX_KEY_BYTES = 1024  # S3's longest key


class UnsafeName(ValueError):
    pass


def member_path(name: str) -> str | None:
    """The relative path a member name stands for, or None for a directory (or `.`); UnsafeName
    for a name that could land outside the destination: absolute, a drive, `..`, a backslash, a
    control character."""
    if not name:
        raise UnsafeName("an empty name")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise UnsafeName("a control character in the name")
    if "\\" in name:
        raise UnsafeName("a backslash in the name (a Windows path?)")
    if name.startswith("/") or re.match(r"[A-Za-z]:", name):
        raise UnsafeName("an absolute path")
    segments = name.split("/")
    if ".." in segments:
        raise UnsafeName("a '..' segment")
    directory = segments[-1] == ""
    relative = "/".join(s for s in segments if s != ".")
    if directory or not relative.strip("/"):
        return None
    return relative


def member_key(destination: str, name: str, archive: str) -> str | None:
    """The key a member of `archive` is extracted to under `destination`, None for a directory;
    ActionError naming why a member is refused."""
    try:
        relative = member_path(name)
    except UnsafeName as exc:
        raise ActionError(f"{archive}: member {name!r} refused: {exc} (it could land outside {destination})") from None
    if relative is None:
        return None
    key = destination + relative
    if len(key.encode()) > MAX_KEY_BYTES:
        raise ActionError(f"{archive}: member {name!r} refused: its key would be over {MAX_KEY_BYTES} bytes")
    if key == archive:
        raise ActionError(f"{archive}: member {name!r} refused: it would overwrite the archive itself")
    return key
