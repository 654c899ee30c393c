"""Which function of the template an AWS request belongs to: the one whose handler is executing.

A handler loaded by `jobdeck_local.lambda_runtime.load_handler` (the local stack, the tests' Api and
every test that invokes a function) runs inside `acting_as(function_id)`; so do the local stack's
queue pollers, which stand in for Lambda's event source mappings and use the function's role as
they do. Work a handler hands to a thread pool runs in the submitter's context (jobdeck.workers),
so it keeps its function.

Many tests call the library below the handlers directly (`tick.tick()`, `runner.run_message()`...).
Such a request is attributed by the outermost entry point of ENTRY_POINTS on the call stack: the
function that, in AWS, is the only one to reach that code path. A request with neither (a test's or
a fixture's own set-up and assertions, the local stack's provisioning) belongs to no function; the
check counts those apart and evaluates nothing for them.
"""

from __future__ import annotations

import contextvars
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from types import FrameType

_acting: contextvars.ContextVar[str | None] = contextvars.ContextVar("jobdeck_iam_acting", default=None)

# Library entry point (module, then qualified name; a module alone covers all it holds) -> the
# function whose handler is the one that calls it in AWS. The outermost one on the stack wins:
# system_jobs.ensure calls jobs.create, and that creation is the setup function's.
ENTRY_POINTS: dict[str, str] = {
    "jobdeck.tick.tick": "TickFunction",
    # The run lifecycle's verbs that one function alone uses; the shared ones (Enqueue.add,
    # redeliver, run_queue.send) are whichever function's calls them.
    "jobdeck.lifecycle.Enqueue.claim": "TickFunction",
    "jobdeck.lifecycle.Enqueue.claim_alone": "TickFunction",
    "jobdeck.lifecycle.Enqueue.send_held": "TickFunction",
    "jobdeck.lifecycle.Enqueue.requeue": "RunnerFunction",
    "jobdeck.lifecycle.postpone": "RunnerFunction",
    "jobdeck.lifecycle.Enqueue.resume": "ApiFunction",
    "jobdeck.lifecycle.Enqueue.add_job": "ApiFunction",  # a user job
    "jobdeck.runner": "RunnerFunction",
    "jobdeck.execution": "RunnerFunction",  # the step engine, which only the runner drives
    "jobdeck.actions": "RunnerFunction",  # every action runs in the runner
    "jobdeck.overlap": "RunnerFunction",
    "jobdeck.notify.task_failed": "RunnerFunction",
    "jobdeck.routing.route": "EventsFunction",
    "jobdeck.task_events": "TaskEventsFunction",
    "jobdeck.dependencies.arrived": "EventsFunction",
    "jobdeck.deadlines.watch": "RunnerFunction",  # the system job "Watch deadlines" (tasks.deadlines)
    "jobdeck.routing.call_hook": "ApiFunction",  # POST /hooks/{slug}
    "jobdeck.system_jobs.ensure": "SetupFunction",
    "jobdeck.jobs_as_code.install": "SetupFunction",
    "jobdeck.user_pool": "UserPoolSetupFunction",  # the console's URLs and the first admin, at deploy
    "jobdeck.jobs": "ApiFunction",
    "jobdeck.tasks": "ApiFunction",
    "jobdeck.user_jobs.start": "ApiFunction",
    "jobdeck.external_triggers": "ApiFunction",
    "jobdeck.api": "ApiFunction",
}


@contextmanager
def acting_as(function_id: str) -> Iterator[None]:
    """Requests made inside (and in work handed to pools from inside) are `function_id`'s."""
    token = _acting.set(function_id)
    try:
        yield
    finally:
        _acting.reset(token)


def acting_function(frame: FrameType | None = None) -> str | None:
    """The function a request made now belongs to, or None."""
    explicit = _acting.get()
    if explicit is not None:
        return explicit
    found = None
    frame = frame or sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith("jobdeck."):
            function = _entry_point(module, frame.f_code.co_qualname)
            if function is not None:
                found = function  # keep walking out: the outermost entry point wins
        frame = frame.f_back
    return found


@cache  # every request walks its whole stack: each code location is looked up once
def _entry_point(module: str, qualname: str) -> str | None:
    name = f"{module}.{qualname}"
    for prefix, function in ENTRY_POINTS.items():
        if name == prefix or name.startswith(prefix + ".") or module == prefix or module.startswith(prefix + "."):
            return function
    return None
