"""A function's cold start: its imports with the garbage collector paused, then frozen. Why, and
what the local stack does about it: docs/developing.md, "Cold starts"."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def imports() -> Iterator[None]:
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_on:
            gc.enable()
