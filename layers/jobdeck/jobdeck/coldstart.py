"""A function's cold start: its imports, with the garbage collector paused.

Importing Powertools, pydantic, botocore and the store makes hundreds of thousands of objects that
live as long as the function does, and no garbage. The collector, triggered by the allocations,
walks them again and again meanwhile (80 to 120 collections, ~50 ms of the API's cold import in
bench/imports.py). Paused, it does not; and what the imports made is then frozen (gc.freeze), or
the first collection after would walk all of it at once, young as it all still is. Frozen objects
are left out of every later collection too, which is where they belong: they are never garbage.
(The local stack and the tests load the functions again and again in one process, and unfreeze
after each load: see jobdeck_local.lambda_runtime.)"""

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
