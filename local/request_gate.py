"""The gate every request to moto's server passes, so that a snapshot of moto's state is consistent
and taken only when something changed.

Requests pass many at a time; a snapshot closes the gate: it waits for the requests inside to finish
and holds new ones at the gate until it is done, so no request is half-applied in what it saves.
A long poll waiting for a message (SQS ReceiveMessage, up to 20 s) has changed nothing while it
waits: it steps out of the gate meanwhile, or every snapshot would wait for it.

Each request that may change something notes the service it addressed (the one its signature
names). What only reads is not noted: GET and HEAD, and the JSON protocols' Get, List, Describe,
Scan, Query and BatchGet actions; nor is ReceiveMessage, whose change (a message in flight) a
restart undoes anyway (see moto_state) and which the pollers send every second. A request whose
service or action cannot be told is noted as changing every service.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from moto.sqs.models import Queue

from jobdeck_local import reaches

reaches.require(
    "the request gate (long polls step out of it)",
    (reaches.Reach("moto.sqs.models.Queue.wait_for_messages", params=("self", "timeout")),),
    "moto as local/moto_pin.py pins it",
)

EVERY = "*"  # noted for a request whose service cannot be told
_READ_ACTIONS = ("Get", "List", "Describe", "Scan", "Query", "BatchGet", "ReceiveMessage")
_SERVICE = re.compile(r"Credential=[^/]*/[^/]*/[^/]*/([^/]*)/")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Gate:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._inside = 0
        self._closed = False
        self._sealed = False
        self._changed: set[str] = set()
        self._local = threading.local()  # whether this thread is inside, for a long poll stepping out

    def wrap(self, app: WsgiApp) -> WsgiApp:
        """The WSGI application behind the gate."""

        def gated(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            service = _changed_service(environ)
            with self._passing():
                if service is not None:
                    self._changed.add(service)
                # moto's answers are lists of bytes, made whole inside the request: nothing of it
                # runs after the gate is left.
                return list(app(environ, start_response))

        return gated

    @contextlib.contextmanager
    def _passing(self) -> Iterator[None]:
        self._enter()
        try:
            yield
        finally:
            self._leave()

    def _enter(self) -> None:
        with self._cond:
            self._cond.wait_for(lambda: not self._closed)
            self._inside += 1
        self._local.inside = True

    def _leave(self) -> None:
        self._local.inside = False
        with self._cond:
            self._inside -= 1
            self._cond.notify_all()

    @contextlib.contextmanager
    def closed(self) -> Iterator[set[str]]:
        """No request inside while the block runs; it gets the services changed since the last
        time (and forgets them: put them back with `changed_again` if the snapshot failed)."""
        with self._cond:
            self._cond.wait_for(lambda: not self._closed)
            self._closed = True
            self._cond.wait_for(lambda: self._inside == 0)
            changed, self._changed = self._changed, set()
        try:
            yield changed
        finally:
            with self._cond:
                self._closed = self._sealed
                self._cond.notify_all()

    def changed_again(self, services: set[str]) -> None:
        self._changed |= services

    def seal(self) -> None:
        """From the next `closed` block on, the gate stays closed: the last snapshot is the last word."""
        self._sealed = True

    @contextlib.contextmanager
    def stepped_out(self) -> Iterator[None]:
        """For a wait inside a request that changes nothing while it waits."""
        if not getattr(self._local, "inside", False):
            yield
            return
        self._leave()
        try:
            yield
        finally:
            self._enter()

    def let_long_polls_step_out(self) -> Callable[[], None]:
        """Patches moto's SQS long-poll wait (moto pinned, see moto_pin) to step out of this
        gate; returns what undoes it."""
        original = Queue.wait_for_messages

        def wait_for_messages(queue: Queue, timeout: int) -> None:
            with self.stepped_out():
                original(queue, timeout)

        setattr(Queue, "wait_for_messages", wait_for_messages)  # noqa: B010 (mypy: a method replaced)
        return lambda: setattr(Queue, "wait_for_messages", original)


def _changed_service(environ: dict[str, Any]) -> str | None:
    """The service a request may change (EVERY when it cannot be told), or None if it only reads."""
    if environ.get("REQUEST_METHOD", "GET") in ("GET", "HEAD", "OPTIONS"):
        return None
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    action = target.rpartition(".")[2]
    if action and action.startswith(_READ_ACTIONS):
        return None
    signed = _SERVICE.search(environ.get("HTTP_AUTHORIZATION", ""))
    return signed.group(1) if signed else EVERY
