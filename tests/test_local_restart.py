"""`make run` stopped and started again, as a person does it: what they made is still there, a job
due meanwhile runs as its misfire policy says, and --fresh starts empty. Each test starts the real
stack (`python -m jobdeck_local`) twice on one state folder and talks to it over HTTP and boto3."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from jobdeck_local.stack import free_port
from tests.support import wait_for

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

pytestmark = pytest.mark.slow

START_TIMEOUT = 90.0  # a stack's start on a busy 2-core machine (moto's child, the functions' imports)
BUCKET = "jobdeck-datasourcebucket"


class Stack:
    """`python -m jobdeck_local` in a process of its own, its output read as it comes."""

    def __init__(self, state: Path, ports: tuple[int, int], *options: str) -> None:
        self.port, self.api_port = ports
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
        listen = ["--port", str(self.port), "--api-port", str(self.api_port)]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jobdeck_local", *listen, "--state", str(state), *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)  # a full pipe would stall the stack
        self._reader.start()
        wait_for(
            lambda: any("Ctrl-C stops" in line for line in self.lines) or self.process.poll() is not None, START_TIMEOUT
        )
        assert self.process.poll() is None, self.output
        self.token = next(line.split("=", 1)[1].strip() for line in self.lines if "JOBDECK_ADMIN_TOKEN=" in line)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def api(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.api_port}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token or self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def s3(self) -> S3Client:
        return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{self.port}")

    def tasks(self, job_id: str) -> list[dict[str, Any]]:
        status, page = self.api("GET", f"/jobs/{job_id}/tasks")
        assert status == 200, page
        return list(page["items"])

    def stop(self, sig: signal.Signals = signal.SIGINT) -> str:
        self.process.send_signal(sig)
        self.process.wait(timeout=60)
        self._reader.join(timeout=10)
        return self.output

    def moto_pid(self) -> int:
        """The stack's moto child (its own session, so not in the stack's process group)."""
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                return int(stat.parent.name)
        raise AssertionError("the stack has no child process")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def ports() -> tuple[int, int]:
    """One pair for both runs: the dev issuer's URL, which its tokens name, has the API's port."""
    return free_port(), free_port()


@pytest.fixture
def stacks() -> Iterator[list[Stack]]:
    started: list[Stack] = []
    yield started
    for stack in started:
        stack.kill()


def _make_and_use(stack: Stack) -> str:
    """A job made and run, a file uploaded: the id of the finished task."""
    job = {"id": "kept", "label": "Kept", "actions": [{"action": "log.message", "parameters": {"message": "hi"}}]}
    assert stack.api("POST", "/jobs", job)[0] == 201
    status, task = stack.api("POST", "/jobs/kept/run", {})
    assert status == 202, task
    wait_for(lambda: [t for t in stack.tasks("kept") if t["status"] == "FINISHED"])
    stack.s3().put_object(
        Bucket=BUCKET, Key="inbox/notes.txt", Body=b"notes", ContentType="text/plain", Metadata={"by": "alice"}
    )
    return str(task["id"])


def _all_there(stack: Stack, task_id: str, token: str) -> None:
    status, job = stack.api("GET", "/jobs/kept", token=token)  # the token printed before the restart
    assert (status, job["label"]) == (200, "Kept")
    (task,) = stack.tasks("kept")
    assert (task["id"], task["status"]) == (task_id, "FINISHED")
    kept = stack.s3().get_object(Bucket=BUCKET, Key="inbox/notes.txt")
    assert (kept["Body"].read(), kept["ContentType"], kept["Metadata"]) == (b"notes", "text/plain", {"by": "alice"})


def _make_due_jobs(stack: Stack) -> datetime:
    """Two jobs whose slots all fall within the next few seconds: while the stack is down."""
    due = (datetime.now(UTC) + timedelta(seconds=3)).replace(microsecond=0)
    once = {"expression": f"at({due:%Y-%m-%dT%H:%M:%S})"}  # skip: the slot, within its grace window, once
    every = {"expression": f"R3/{due:%Y-%m-%dT%H:%M:%S}Z/PT1S", "misfire": "catch_up"}  # each of the three
    for job_id, schedule in (("once", once), ("every", every)):
        action = {"action": "log.message", "parameters": {"message": "due"}}
        status, made = stack.api(
            "POST", "/jobs", {"id": job_id, "label": job_id, "schedule": schedule, "actions": [action]}
        )
        assert status == 201, made
    return due


def _due_jobs_ran(stack: Stack, due: datetime) -> None:
    def finished(job_id: str, count: int) -> list[datetime] | None:
        done = [t for t in stack.tasks(job_id) if t["status"] == "FINISHED"]
        return sorted(datetime.fromisoformat(t["scheduled_for"]) for t in done) if len(done) >= count else None

    slots = [due + timedelta(seconds=n) for n in range(3)]
    assert wait_for(lambda: finished("once", 1)) == slots[:1]
    assert wait_for(lambda: finished("every", 3)) == slots
    time.sleep(1)  # and nothing more comes
    assert (len(stack.tasks("once")), len(stack.tasks("every"))) == (1, 3)


def test_after_ctrl_c_all_is_there_and_jobs_due_meanwhile_run_as_their_misfire_policy_says(state, ports, stacks):
    first = Stack(state, ports)
    stacks.append(first)
    assert f"{state} (new;" in first.output
    task_id = _make_and_use(first)
    due = _make_due_jobs(first)
    assert "stopped." in first.stop(signal.SIGINT)
    time.sleep(max(0.0, (due + timedelta(seconds=3) - datetime.now(UTC)).total_seconds()))  # every slot passes

    second = Stack(state, ports)
    stacks.append(second)
    assert "restored)" in second.output
    _all_there(second, task_id, first.token)
    _due_jobs_ran(second, due)


def test_after_a_kill_9_a_second_later_all_is_there_and_fresh_starts_empty(state, ports, stacks):
    first = Stack(state, ports)
    stacks.append(first)
    task_id = _make_and_use(first)
    time.sleep(1.5)  # the state is saved every second while it changes
    os.kill(first.moto_pid(), signal.SIGKILL)  # no last save: a power cut, as far as the state knows
    first.kill()

    second = Stack(state, ports)
    stacks.append(second)
    _all_there(second, task_id, first.token)
    second.stop(signal.SIGTERM)

    third = Stack(state, ports, "--fresh")
    stacks.append(third)
    aside = next(line for line in third.lines if line.startswith("--fresh:"))
    assert "starting with an empty state (the previous state was moved to" in aside
    assert f"{state} (new;" in third.output
    assert third.api("GET", "/jobs/kept")[0] == 404
    assert third.api("GET", "/jobs/kept", token=first.token)[0] == 401  # a new issuer key too
    moved = Path(aside.rsplit(" to ", 1)[1].rstrip(").\n"))
    assert (moved / "manifest.json").exists()
