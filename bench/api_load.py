"""The local API under load: GET /jobs from 50 clients at once, each on a connection of its own kept
alive, against `python -m jobdeck_local` (what `make run` starts: waitress in front of the API
function, moto in its child process), on a state folder of its own.

Timed from the moment the clients are released together to the last answer; a request's latency
from its send to its answer's last byte. The function takes one event at a time, as one Lambda
container does, so the rate is the function's and moto's rate, and the latency mostly the wait in
line: what the server adds is that nobody is reset or refused (ThreadingHTTPServer, before, reset
some of 60 connections made at once). The front alone is measured too, with a function that
answers at once, served in this process (its clients share its interpreter: a floor, not a ceiling)."""

from __future__ import annotations

import http.client
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.report import Figure, Table
from jobdeck_local.http_front import HttpFront, Route
from jobdeck_local.stack import free_port

CLIENTS = 50
EACH = 20  # requests per client
START_TIMEOUT = 120.0


def measure() -> Table:
    with tempfile.TemporaryDirectory(prefix="jobdeck-bench-") as folder:
        port, api_port = free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
        command = [sys.executable, "-m", "jobdeck_local", "--port", str(port), "--api-port", str(api_port)]
        stack = subprocess.Popen(
            [*command, "--state", str(Path(folder) / "state")],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        try:
            token = _token(stack)
            for _ in range(5):  # the function's first calls (imports, connections) are not the load's
                _get(http.client.HTTPConnection("127.0.0.1", api_port, timeout=60), token)
            latencies, failures, seconds = _load(api_port, token)
        finally:
            stack.send_signal(signal.SIGINT)
            stack.wait(timeout=60)
    front = HttpFront(handler=_at_once, port=0, routes=[Route("ANY", "/{proxy+}")]).start()
    try:
        alone, alone_failures, alone_seconds = _load(front.port, front.tokens.mint("admin"))
    finally:
        front.stop()
    table = Table(
        f"Local API: GET /jobs from {CLIENTS} clients at once, kept-alive connections ({CLIENTS * EACH} requests)"
    )
    table.add(Figure("requests per second", len(latencies) / seconds, "req/s", digits=0, headline=True))
    table.add(Figure("latency p50", _percentile(latencies, 50) * 1000, "ms", digits=0))
    table.add(Figure("latency p99", _percentile(latencies, 99) * 1000, "ms", digits=0, headline=True))
    table.add(Figure("answers other than 200, resets, refusals", failures + alone_failures, target=0, digits=0))
    table.add(Figure("the front alone: requests per second", len(alone) / alone_seconds, "req/s", digits=0))
    table.add(Figure("the front alone: latency p99", _percentile(alone, 99) * 1000, "ms", digits=0))
    table.notes.append("the API function takes one event at a time (one Lambda container): the rate is its own")
    return table


def _at_once(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": '{"items": []}'}


def _percentile(values: list[float], percent: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def _token(stack: subprocess.Popen[str]) -> str:
    """The admin token from the banner (the stack's output is read to its end meanwhile, on a thread)."""
    assert stack.stdout is not None
    found: list[str] = []
    banner = threading.Event()

    def read() -> None:
        assert stack.stdout is not None
        for line in stack.stdout:
            if "JOBDECK_ADMIN_TOKEN=" in line:
                found.append(line.split("=", 1)[1].strip())
            if "Ctrl-C stops" in line:
                banner.set()
        banner.set()

    threading.Thread(target=read, daemon=True).start()
    if not banner.wait(START_TIMEOUT) or not found:
        raise RuntimeError("the local stack did not start")
    return found[0]


def _get(connection: http.client.HTTPConnection, token: str) -> int:
    connection.request("GET", "/jobs", headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    response.read()
    return response.status


def _load(api_port: int, token: str) -> tuple[list[float], int, float]:
    ready = threading.Barrier(CLIENTS + 1)
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()

    def client() -> None:
        nonlocal failures
        connection = http.client.HTTPConnection("127.0.0.1", api_port, timeout=120)
        ready.wait()
        for _ in range(EACH):
            started = time.perf_counter()
            try:
                ok = _get(connection, token) == 200
            except OSError:
                ok = False
                connection.close()
            with lock:
                latencies.append(time.perf_counter() - started)
                failures += not ok
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return latencies, failures, time.perf_counter() - started
