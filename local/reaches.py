"""A name of another library's that Jobdeck reaches into (a private method it replaces, an attribute it
reads), by its dotted path, and whether the installed library still has it as it was read.

The standard library only: a check must import whatever version of the library is there.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Reach:
    """A name of a library's that Jobdeck replaces or reads, by its full dotted path."""

    path: str
    # A callable Jobdeck replaces (or wraps), whose parameters its replacement takes in the same order.
    params: tuple[str, ...] | None = None
    # An attribute each instance gets in its class's __init__ (not on the class): found in the source.
    set_in_init: bool = False

    def problem(self) -> str | None:
        owner_path, _, name = self.path.rpartition(".")
        if self.set_in_init:
            owner = _resolve(owner_path)
            init = getattr(owner, "__init__", None) if isinstance(owner, type) else None
            try:
                source = inspect.getsource(init) if init is not None else ""
            except (OSError, TypeError):
                source = ""
            if not re.search(rf"\bself\.{re.escape(name)}\s*(:[^=\n]+)?=[^=]", source):
                return f"{self.path}: no longer set by {owner_path.rpartition('.')[2]}.__init__"
            return None
        found = _resolve(self.path)
        if found is _MISSING:
            return f"{self.path}: missing"
        if self.params is not None:
            if not callable(found):
                return f"{self.path}: no longer callable"
            try:
                params = tuple(inspect.signature(found).parameters)
            except (TypeError, ValueError):
                return None  # a builtin without a signature: callable is what can be said
            if params != self.params:
                return f"{self.path}: takes ({', '.join(params)}), Jobdeck ({', '.join(self.params)})"
        return None


_MISSING = object()


def _resolve(path: str) -> Any:
    """The object at a dotted path: modules imported as needed, then attributes; _MISSING if none."""
    parts = path.split(".")
    try:
        found: Any = importlib.import_module(parts[0])
    except ImportError:
        return _MISSING
    for n, part in enumerate(parts[1:], start=1):
        if hasattr(found, part):
            found = getattr(found, part)
            continue
        try:
            found = importlib.import_module(".".join(parts[: n + 1]))
        except ImportError:
            return _MISSING
    return found


class ReachMissing(RuntimeError):
    """A library lacks, or has changed, a name Jobdeck reaches into."""


def require(user: str, reaches: tuple[Reach, ...], pinned: str) -> None:
    """ReachMissing naming `user` (what reaches) and each problem, with where the version is pinned."""
    found = [problem for reach in reaches if (problem := reach.problem())]
    if found:
        raise ReachMissing("\n".join([f"{user} reaches into names the installed libraries lack ({pinned}):", *found]))


def install(owner: Any, name: str, replace: Callable[[Any], Callable[..., Any]]) -> None:
    """`owner.name` becomes `replace(original)`, once: installing it again changes nothing."""
    original = getattr(owner, name)
    if getattr(original, "_jobdeck_quirk", False):
        return
    replacement = functools.wraps(original)(replace(original))
    replacement._jobdeck_quirk = True  # type: ignore[attr-defined]
    setattr(owner, name, replacement)
