"""moto's server in a process of its own, as the local AWS endpoint.

In the stack's process, moto would share one interpreter lock with everything that calls it: the
clock, the pollers and every function invocation. In AWS those do not wait on the service's CPU,
and on a laptop's cores they need not either. The child installs the quirks (see moto_quirks) and
AWS's event shapes (moto_event_shapes), binds, says `ready` on its standard output once it
answers, and stops when its standard input closes, so it ends with the stack even when the stack's
process is killed. A child that cannot serve as the quirks need (another moto than the pinned one:
moto_pin) says why there instead, and the stack stops with its words. It runs in a session of its
own: a Ctrl-C at the terminal reaches the stack, which stops its runs first and moto last.

Given a state folder (state_dir), it owns it while it runs: it loads the state saved there before it
says `ready` (or says `refused: <why>` and exits 2, for a state it cannot load), saves every second
while something changed, and saves the last changes when its standard input closes or it gets
SIGTERM or SIGINT (see moto_state).
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

READY = "ready"
REFUSED = "refused: "
START_TIMEOUT = 30.0  # seconds for the child to import moto, load its state, bind and answer
# The moto process of a stack stopped a moment ago may still be saving its last state.
LOCK_WAIT = 10.0
STOP_TIMEOUT = 30.0  # seconds for the child to save its last state and end


class StateNotLoaded(RuntimeError):
    """The child refused its state folder; the message says why and what to do."""


class MotoNotStarted(RuntimeError):
    """moto's server process did not start, and why."""


@dataclass
class MotoProcess:
    host: str
    port: int
    state: Path | None = None  # the state folder; None: moto's state lives and dies with the process
    _child: subprocess.Popen[str] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._child.pid if self._child is not None else None

    def start(self) -> MotoProcess:
        state = [str(self.state)] if self.state is not None else []
        self._child = subprocess.Popen(
            [sys.executable, "-m", "jobdeck_local.moto_process", self.host, str(self.port), *state],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        line = self._first_line(START_TIMEOUT)
        if line is not None and line.startswith(REFUSED):
            self.stop()
            raise StateNotLoaded(line.removeprefix(REFUSED))
        if line != READY:
            said = self._said_after(line) if line else ""
            code = self._child.poll()
            self.stop()
            if line is None:
                why = f"no word from it within {START_TIMEOUT:g} s"
            elif said:
                why = f"it said:\n{said}"
            elif code is not None:  # werkzeug says why on standard error (a port in use, say)
                why = f"it ended with code {code}, saying why on standard error"
            else:
                why = f"it said {line!r}"
            raise MotoNotStarted(f"moto's server did not start on {self.endpoint}: {why}")
        return self

    def _said_after(self, line: str) -> str:
        """All the child said, from `line` on, when it ended after saying it (it says why it will not
        serve, then ends); "" when it goes on."""
        assert self._child is not None and self._child.stdout is not None
        try:
            self._child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return ""
        return "\n".join([line, *self._child.stdout.read().splitlines()]).strip()

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
            child.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()


def serve(host: str, port: int, state: Path | None = None) -> int:
    from jobdeck_local.moto_pin import MotoMismatch

    try:
        from jobdeck_local.moto_quirks import install_all  # checks moto against its pin first
    except MotoMismatch as exc:
        print(exc, flush=True)  # in place of the word: the stack shows it and stops
        return 1
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    from jobdeck_local import moto_event_shapes
    from jobdeck_local.moto_state import MotoState
    from jobdeck_local.request_gate import Gate
    from jobdeck_local.state_dir import StateDir, StateRefused

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    install_all()
    moto_event_shapes.install()
    gate = Gate()
    gate.let_long_polls_step_out()
    with contextlib.ExitStack() as owned:
        kept: MotoState | None = None
        if state is not None:
            folder = StateDir(state)
            try:
                owned.enter_context(folder.locked(LOCK_WAIT))
                kept = MotoState(folder, gate)
                kept.load()
            except StateRefused as refused:
                print(f"{REFUSED}{refused}", flush=True)
                return 2
        # Bound here, not on a thread as moto's ThreadedMotoServer does: there a failure would go
        # unheard, and the check that the server answers would find whoever holds the port.
        # werkzeug says why on standard error and exits.
        app = gate.wrap(DomainDispatcherApplication(create_backend_app))
        server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
        threading.Thread(target=server.serve_forever, name="moto", daemon=True).start()
        _wait_until_answering(f"http://{host}:{port}")
        stop = _stop_signals()
        if kept is not None:
            kept.keep(stop)
        # Nobody reads the pipe after this word: what moto prints from now on goes where the stack's
        # errors go (before the word, so that a stack that has read it finds it so).
        sys.stdout.flush()
        pipe = os.dup(sys.stdout.fileno())
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
        with os.fdopen(pipe, "w") as word:
            word.write(READY + "\n")
        stop.wait()
        if kept is not None:
            gate.seal()  # requests still inside finish; none after them: this save is the last word
            kept.save()
    return 0


def _stop_signals() -> threading.Event:
    """Set when the stack closes standard input (or dies), or at SIGTERM or SIGINT."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    def read_until_closed() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=read_until_closed, name="stdin", daemon=True).start()
    return stop


def _wait_until_answering(endpoint: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/config", timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) > 3 else None))
