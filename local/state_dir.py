"""The folder that keeps the local stack's state between runs (`.jobdeck/state` by default).

    manifest.json            which part files make up the state, moto's version, when it was saved
    <service>.<n>.pickle     one per moto service (see moto_state), rewritten only when it changed
    issuer-key.pem           the dev token issuer's key: a token printed before a restart works after it
    datasources              the datasources attached at the last start (--datasource), used again
    .lock                    held by the moto process that owns the folder, while it runs

A save is atomic: the parts that changed are written whole, under new names, and synced; then the
manifest is replaced by a rename (the file and the folder synced); then the parts it no longer names
are deleted. A crash anywhere in between leaves the previous manifest and every part it names.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

DEFAULT = Path(".jobdeck/state")
MANIFEST = "manifest.json"
KEY_FILE = "issuer-key.pem"
DATASOURCES_FILE = "datasources"
LOCK_FILE = ".lock"
FORMAT = 1  # of the manifest and the folder's layout


class StateRefused(Exception):
    """The state cannot be used as it is; the message says why and what to do."""


@dataclass(frozen=True)
class Manifest:
    moto: str  # the version of moto that pickled the parts: only it can load them
    parts: dict[str, str]  # service -> file name
    generation: int  # counts saves; part files carry the one they were written at
    saved_at: str  # ISO time, for people


class StateDir:
    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def key_file(self) -> Path:
        return self.path / KEY_FILE

    def datasources(self) -> str:
        """The Datasources the stack was last started with ("" when none, or never started)."""
        try:
            return (self.path / DATASOURCES_FILE).read_text().strip()
        except FileNotFoundError:
            return ""

    def remember_datasources(self, spec: str) -> None:
        if spec != self.datasources():
            self.path.mkdir(parents=True, exist_ok=True)
            _write_synced(self.path / DATASOURCES_FILE, f"{spec}\n".encode())

    def manifest(self) -> Manifest | None:
        """The last state saved, or None when none was."""
        try:
            raw = json.loads((self.path / MANIFEST).read_text())
        except FileNotFoundError:
            return None
        if raw.get("format") != FORMAT:
            raise StateRefused(
                f"the state in {self.path} has format {raw.get('format')}, not {FORMAT}: "
                f"start with --fresh (it moves the old state aside)"
            )
        return Manifest(raw["moto"], raw["parts"], raw["generation"], raw["saved_at"])

    def read_part(self, name: str) -> bytes:
        return (self.path / name).read_bytes()

    def save(self, parts: dict[str, bytes], moto: str, previous: Manifest | None) -> Manifest:
        """Write the parts that changed and a manifest naming them and the others kept."""
        generation = (previous.generation if previous else 0) + 1
        names = dict(previous.parts) if previous else {}
        for service, data in parts.items():
            names[service] = f"{service}.{generation}.pickle"
            _write_synced(self.path / names[service], data)
        manifest = Manifest(moto, names, generation, datetime.now(UTC).isoformat(timespec="seconds"))
        document = {"format": FORMAT, **manifest.__dict__}
        _write_synced(self.path / f"{MANIFEST}.tmp", json.dumps(document, indent=1).encode())
        (self.path / f"{MANIFEST}.tmp").replace(self.path / MANIFEST)
        _sync_folder(self.path)
        self._delete_unnamed(set(names.values()))
        return manifest

    def _delete_unnamed(self, named: set[str]) -> None:
        """Parts of older saves, and those a save that crashed wrote without naming them."""
        for file in self.path.glob("*.pickle"):
            if file.name not in named:
                file.unlink(missing_ok=True)

    def size(self) -> int:
        """Bytes on disk of what the manifest names (and the manifest and key)."""
        manifest = self.manifest()
        names = [MANIFEST, KEY_FILE, *(manifest.parts.values() if manifest else [])]
        return sum((self.path / name).stat().st_size for name in names if (self.path / name).exists())

    @contextlib.contextmanager
    def locked(self, wait: float) -> Iterator[None]:
        """Held while a moto process owns the folder. The one before may still be saving its last
        state (a stack stopped, or killed, a moment ago): wait up to `wait` seconds for it."""
        self.path.mkdir(parents=True, exist_ok=True)
        with (self.path / LOCK_FILE).open("a+") as file:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        file.seek(0)
                        holder = file.read().strip() or "another process"
                        raise StateRefused(
                            f"the state in {self.path} is in use by process {holder}: stop that stack, "
                            f"or give this one another folder (--state DIR)"
                        ) from None
                    time.sleep(0.1)
            file.truncate(0)
            file.write(str(os.getpid()))
            file.flush()
            try:
                yield
            finally:
                fcntl.flock(file, fcntl.LOCK_UN)

    def move_aside(self, wait: float) -> Path | None:
        """For --fresh: the folder is renamed, not deleted (a state is too dear to lose to a
        typo), unless a stack uses it; its new name, or None when there was nothing to move."""
        if not (self.path / MANIFEST).exists() and not self.key_file.exists():
            return None
        aside = self.path.with_name(f"{self.path.name}-{datetime.now(UTC):%Y%m%d-%H%M%S}")
        with self.locked(wait):
            self.path.rename(aside)
        return aside


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


def _sync_folder(path: Path) -> None:
    """A rename survives a power cut once the folder holding it is synced."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
