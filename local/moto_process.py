"""moto's server in a process of its own, as the local AWS endpoint.

In the stack's process, moto would share one interpreter lock with everything that calls it: the
clock, the pollers and every function invocation. In AWS those do not wait on the service's CPU,
and on a laptop's cores they need not either. The child installs the quirks (see moto_quirks) and
AWS's event shapes (moto_event_shapes), binds, says `ready` on its standard output once it
answers, and stops when its standard input closes, so it ends with the stack even when the stack's
process is killed. It runs in a session of its own: a Ctrl-C at the terminal reaches the stack,
which stops its runs first and moto last.
"""

from __future__ import annotations

import logging
import os
import selectors
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

READY = "ready"
START_TIMEOUT = 30.0  # seconds for the child to import moto, bind and answer


@dataclass
class MotoProcess:
    host: str
    port: int
    _child: subprocess.Popen[str] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._child.pid if self._child is not None else None

    def start(self) -> MotoProcess:
        self._child = subprocess.Popen(
            [sys.executable, "-m", "jobdeck_local.moto_process", self.host, str(self.port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        line = self._first_line(START_TIMEOUT)
        if line != READY:
            code = self._child.poll()
            self.stop()
            if line is None:
                why = f"no word from it within {START_TIMEOUT:g} s"
            elif code is not None:  # werkzeug says why on standard error (a port in use, say)
                why = f"it ended with code {code}, saying why on standard error"
            else:
                why = f"it said {line!r}"
            raise RuntimeError(f"moto's server did not start on {self.endpoint}: {why}")
        return self

    def _first_line(self, timeout: float) -> str | None:
        """The child's first line ("" if it ended without one), or None if it said nothing in time."""
        assert self._child is not None and self._child.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._child.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                return None
        line = self._child.stdout.readline()
        if not line:
            self._child.wait(timeout=5)
        return line.strip()

    def cpu_seconds(self) -> float:
        """The child's CPU time so far (user and system), for the benchmarks."""
        assert self._child is not None
        # Fields 14 and 15 of /proc/PID/stat (utime, stime), counted after the command's ")".
        fields = Path(f"/proc/{self._child.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        if child.stdin is not None:
            child.stdin.close()
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()


def serve(host: str, port: int) -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    from jobdeck_local import moto_event_shapes
    from jobdeck_local.moto_quirks import install_all

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    install_all()
    moto_event_shapes.install()
    # Bound here, not on a thread as moto's ThreadedMotoServer does: there a failure would go unheard,
    # and the check that the server answers would find whoever holds the port. werkzeug says why
    # on standard error and exits.
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    threading.Thread(target=server.serve_forever, name="moto", daemon=True).start()
    _wait_until_answering(f"http://{host}:{port}")
    # Nobody reads the pipe after this word: what moto prints from now on goes where the stack's
    # errors go (before the word, so that a stack that has read it finds it so).
    sys.stdout.flush()
    pipe = os.dup(sys.stdout.fileno())
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    with os.fdopen(pipe, "w") as word:
        word.write(READY + "\n")
    try:
        sys.stdin.read()  # until the stack closes it, or dies
    finally:
        server.shutdown()


def _wait_until_answering(endpoint: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
