"""What each lock in this folder was made from, and the Lambda layer's requirements.txt made from
its lock.

`make lock` has uv write the locks, then runs `record`: each lock gets the requirements it was made
from written into its header, and layers/jobdeck/requirements.txt is written from locks/layer.txt.
`check` (run by make before it installs anything, and by tests/test_locks.py) refuses a lock whose
requirements have changed since: a lock older than pyproject.toml would otherwise install what it
pinned, silently, without the package a merge just added.

The standard library only: make runs this with the Python it makes the virtualenvs from.
"""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MADE_FROM = "# Made from these requirements (make refuses this lock once they change; `make lock` makes it again):"
INDENT = "#    "
LAYER_LOCK = "locks/layer.txt"
LAYER_REQUIREMENTS = "layers/jobdeck/requirements.txt"
LAYER_HEADER = (
    "# Made by `make lock` from locks/layer.txt: edit pyproject.toml's dependencies, never this file.",
    "# `sam build` installs it for the Lambda layer (python3.12, x86_64), checking every hash.",
)
RERUN = "run `make lock`, then commit locks/ and " + LAYER_REQUIREMENTS


@dataclass(frozen=True)
class Lock:
    path: str  # from the root
    source: str  # pyproject.toml, or a requirements file (.in) beside the lock
    extras: tuple[str, ...] = ()  # pyproject's optional dependencies it takes too

    def inputs(self, root: Path = ROOT) -> list[str]:
        """The requirements it is made from now (Python's version among them, for pyproject's)."""
        if self.source == "pyproject.toml":
            project = tomllib.loads((root / self.source).read_text())["project"]
            lines = [f"python {project['requires-python']}", *project["dependencies"]]
            for extra in self.extras:
                lines += project["optional-dependencies"][extra]
            return lines
        text = (root / self.source).read_text()
        return [line for raw in text.splitlines() if (line := raw.split("#", 1)[0].strip())]

    def recorded(self, root: Path = ROOT) -> list[str] | None:
        """The requirements the lock says it was made from; None: it says nothing (uv's alone)."""
        lines = (root / self.path).read_text().splitlines()
        if MADE_FROM not in lines:
            return None
        recorded = []
        for line in lines[lines.index(MADE_FROM) + 1 :]:
            if not line.startswith(INDENT):
                break
            recorded.append(line.removeprefix(INDENT))
        return recorded

    def record(self, root: Path = ROOT) -> None:
        lines = (root / self.path).read_text().splitlines()
        if MADE_FROM in lines:  # an earlier record: replaced
            start = lines.index(MADE_FROM)
            end = start + 1 + len(self.recorded(root) or [])
            del lines[start:end]
        header = next((n for n, line in enumerate(lines) if not line.startswith("#")), len(lines))
        lines[header:header] = [MADE_FROM, *(INDENT + line for line in self.inputs(root))]
        (root / self.path).write_text("\n".join(lines) + "\n")

    def problem(self, root: Path = ROOT) -> str | None:
        if not (root / self.path).is_file():
            return f"{self.path} is missing: {RERUN}"
        recorded = self.recorded(root)
        if recorded is None:
            return f"{self.path} does not say what it was made from: {RERUN}"
        now = self.inputs(root)
        if set(recorded) == set(now):
            return None
        changes = [f"  + {line}" for line in now if line not in recorded]
        changes += [f"  - {line}" for line in recorded if line not in now]
        return "\n".join([f"{self.path} is stale: {self.source} has changed since the lock was made:", *changes, RERUN])


LOCKS = (
    Lock("locks/dev.txt", "pyproject.toml", ("dev",)),
    Lock(LAYER_LOCK, "pyproject.toml"),
    Lock("locks/uv.txt", "locks/uv.in"),
    Lock("locks/pip.txt", "locks/pip.in"),
    Lock("locks/sam.txt", "locks/sam.in"),
    Lock("locks/checkov.txt", "locks/checkov.in"),
)


def layer_requirements(root: Path = ROOT) -> str:
    """layers/jobdeck/requirements.txt: the layer's lock, its requirements and hashes as they are,
    without its comments."""
    lock = (root / LAYER_LOCK).read_text().splitlines()
    return "\n".join([*LAYER_HEADER, *(line for line in lock if not line.lstrip().startswith("#"))]) + "\n"


def problems(root: Path = ROOT) -> list[str]:
    found = [problem for lock in LOCKS if (problem := lock.problem(root))]
    requirements = root / LAYER_REQUIREMENTS
    if not found and (not requirements.is_file() or requirements.read_text() != layer_requirements(root)):
        found.append(f"{LAYER_REQUIREMENTS} is not what {LAYER_LOCK} makes: {RERUN}")
    return found


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    marker: str  # "" when it applies everywhere
    hashes: frozenset[str]


_PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)(?:\[[^\]]*\])?==(?P<version>\S+?)\s*(?:;\s*(?P<marker>.*?))?\s*$")


def pins(text: str) -> dict[str, list[Pin]]:
    """A lock's (or requirements file's) pins by package name; a universal lock may pin a package
    twice, for two sets of platforms."""
    found: dict[str, list[Pin]] = {}
    for entry in re.sub(r"\\\n", " ", text).splitlines():
        entry = entry.split(" #", 1)[0].strip()
        if not entry or entry.startswith("#"):
            continue
        requirement, *hashes = (part.strip() for part in entry.split("--hash="))
        match = _PIN.match(requirement)
        if match is None:
            raise ValueError(f"not an exact pin: {entry!r}")
        name = re.sub(r"[-_.]+", "-", match["name"]).lower()
        pin = Pin(name, match["version"], match["marker"] or "", frozenset(hashes))
        found.setdefault(pin.name, []).append(pin)
    return found


def main(argv: list[str]) -> int:
    if argv == ["record"]:
        for lock in LOCKS:
            lock.record()
        (ROOT / LAYER_REQUIREMENTS).write_text(layer_requirements())
        return 0
    if argv == ["check"]:
        found = problems()
        for problem in found:
            print(problem, file=sys.stderr)
        return 1 if found else 0
    print("usage: pins.py record|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
