"""The HTTP server under the local API Gateway (http_front): waitress, a maintained WSGI server.

Its event loop holds every connection (keep-alive ones cost nothing while idle), its listen
backlog is 1,024, and the application runs on a pool of threads. http.server's
ThreadingHTTPServer, before it, listened with a backlog of 5: a burst of clients connecting at
once had some of their connections reset.

Two of API Gateway's ways that a WSGI server does not have by itself are added through waitress's
channel, parser and task classes (hence its exact pin in pyproject.toml):

- the request's header lines as sent, in order, in `environ[RAW_HEADERS]`: WSGI merges repeated
  headers with ", " (API Gateway with ",") and waitress drops names that hold "_";
- the errors the server answers before the application (a body over the limit, a malformed
  request) in API Gateway's JSON, `{"message": "Request Entity Too Large"}`.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser, get_header_lines
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask, WSGITask

RAW_HEADERS = "jobdeck.raw_headers"
THREADS = 8  # the front's own work (tokens, events); the function itself takes one event at a time
CONNECTIONS = 1000  # open at once; past that waitress stops accepting, and the backlog holds the rest
IDLE_SECONDS = 120  # a keep-alive connection idle that long is closed

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]

# Its "task queue depth" warning fires whenever more requests wait than there are threads: with
# fifty clients at once, that is every burst, and it would drown the stack's console.
logging.getLogger("waitress.queue").setLevel(logging.ERROR)


class _Parser(HTTPRequestParser):
    raw_headers: tuple[tuple[str, str], ...] = ()  # none in a request refused before its headers were read

    def parse_header(self, header_plus: bytes) -> None:
        super().parse_header(header_plus)  # validates the lines, or raises what waitress answers
        pairs = (line.partition(b":") for line in get_header_lines(header_plus.partition(b"\r\n")[2]))
        self.raw_headers = tuple(
            (name.decode("latin-1"), value.strip(b" \t").decode("latin-1")) for name, _, value in pairs
        )


class _Task(WSGITask):
    def get_environment(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().get_environment()
        environ[RAW_HEADERS] = self.request.raw_headers
        return environ


class _ErrorTask(ErrorTask):
    def execute(self) -> None:
        error = self.request.error
        body = json.dumps({"message": error.reason}).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()  # a body left unread cannot be told from the next request
        self.content_length = len(body)
        self.write(body)


class _Channel(HTTPChannel):
    parser_class = _Parser
    task_class = _Task
    error_task_class = _ErrorTask


class _Server(TcpWSGIServer):
    channel_class = _Channel


class HttpServer:
    """Binds at once (port 0: any free one); `run` serves until `shutdown` is called from another
    thread; `close` then lets go of the port and the threads."""

    def __init__(self, app: WsgiApp, host: str, port: int, max_body: int) -> None:
        self._server = _Server(
            app,
            host=host,
            port=port,
            threads=THREADS,
            connection_limit=CONNECTIONS,
            channel_timeout=IDLE_SECONDS,
            max_request_body_size=max_body + 1,  # waitress refuses a body of this size or more
            clear_untrusted_proxy_headers=False,  # X-Forwarded-For reaches the function, as in AWS
            ident="",  # no Server header: API Gateway sends none
        )
        self.port = int(self._server.effective_port)

    def run(self) -> None:
        self._server.run()

    def shutdown(self) -> None:
        """`run` returns soon after: its loop closes the listening socket and every connection
        itself (they are its own to touch)."""
        sockets = self._server._map
        # The thunk is queued before the pipe is written to: a worker thread's pull may wake the
        # loop in between, which runs it and closes the pipe. The write then fails: done already.
        with contextlib.suppress(OSError):
            self._server.trigger.pull_trigger(lambda: wasyncore.close_all(sockets))

    def close(self) -> None:
        wasyncore.close_all(self._server._map)  # what a loop that never ran still holds
        self._server.task_dispatcher.shutdown()
