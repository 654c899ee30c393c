"""Thread pools whose work stays part of the invocation that handed it over.

A plain ThreadPoolExecutor runs each task in its worker thread's own context, so what the
invocation's context variables hold does not follow the task there. ContextThreadPool runs each
task in a copy of the submitter's context: the local stack's least-privilege check, which knows
whose handler made a request by a context variable, then sees a datasource sync's HEADs and a
copy's parts as the runner's, as they are in AWS."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class ContextThreadPool(ThreadPoolExecutor):
    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)
