"""moto's server in a process of its own, as the local AWS endpoint.

In the stack's process, moto would share one interpreter lock with everything that calls it: the
clock, the pollers and every function invocation. In AWS those do not wait on the service's CPU,
and on a laptop's cores they need not either. The child installs the quirks (see moto_quirks),
says `ready` on its standard output once it answers, and stops when its standard input closes, so
it ends with the stack even when the stack's process is killed.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

READY = "ready"
START_TIMEOUT = 30.0  # seconds for the child to import moto and answer


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
        )
        assert self._child.stdout is not None
        line = self._child.stdout.readline().strip()
        if line != READY:
            self.stop()
            raise RuntimeError(f"moto's server did not start on {self.endpoint} (it said {line!r})")
        return self

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
    from moto.server import ThreadedMotoServer

    from jobdeck_local.moto_quirks import install_all

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    try:
        # moto's server binds on a thread of its own, whose failure nobody hears: the check that it
        # answers would then find whoever holds the port.
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        print(f"cannot listen on {host}:{port}: {error.strerror}", flush=True)
        sys.exit(1)
    install_all()
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    _wait_until_answering(f"http://{host}:{port}")
    print(READY, flush=True)
    try:
        sys.stdin.read()  # until the stack closes it, or dies
    finally:
        server.stop()


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
