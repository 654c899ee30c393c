"""moto's server in a process of its own: ready when it answers, gone when the stack is."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from jobdeck_local import moto_process
from jobdeck_local.moto_process import MotoProcess, StateNotLoaded
from jobdeck_local.stack import free_port


def test_the_child_answers_as_aws_counts_its_cpu_and_stops_with_the_stack() -> None:
    moto = MotoProcess("127.0.0.1", free_port()).start()
    child = moto._child
    assert child is not None
    try:
        sqs = boto3.client(
            "sqs",
            endpoint_url=moto.endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        url = sqs.create_queue(QueueName="here")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="hello")
        assert [m["Body"] for m in sqs.receive_message(QueueUrl=url)["Messages"]] == ["hello"]
        assert moto.cpu_seconds() > 0
    finally:
        moto.stop()
    assert child.returncode is not None
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", int(moto.port)), timeout=1):
        pass


def test_the_child_ends_when_its_parent_goes_away() -> None:
    """The child reads its standard input until it closes: a parent killed without a word closes it
    too, and moto does not outlive the stack holding its port."""
    moto = MotoProcess("127.0.0.1", free_port()).start()
    child = moto._child
    assert child is not None and child.stdin is not None
    child.stdin.close()  # what the kernel does when the parent dies
    try:
        assert child.wait(timeout=10) == 0
    finally:
        moto.stop()


def test_a_port_someone_holds_is_an_error_that_names_it(capfd: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as held:
        port = held.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(RuntimeError, match=rf"127\.0\.0\.1:{port}: it ended with code 1"):
            MotoProcess("127.0.0.1", port).start()
    assert time.monotonic() - started < 30
    assert f"Port {port} is in use by another program" in capfd.readouterr().err


def test_stopping_twice_is_harmless() -> None:
    moto = MotoProcess("127.0.0.1", free_port()).start()
    moto.stop()
    moto.stop()
    assert moto.pid is None


def test_the_child_has_a_session_of_its_own_and_writes_nothing_more_to_the_pipe() -> None:
    """A Ctrl-C at the terminal goes to the stack's process group, not to moto: the stack stops its
    runs first and moto last. After its word, what moto prints goes to standard error."""
    moto = MotoProcess("127.0.0.1", free_port()).start()
    try:
        assert moto.pid is not None
        assert os.getsid(moto.pid) != os.getsid(0)
        fds = Path(f"/proc/{moto.pid}/fd")
        assert (fds / "1").readlink() == (fds / "2").readlink()
    finally:
        moto.stop()


def test_a_child_that_never_says_ready_is_given_up_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto_process, "START_TIMEOUT", 0.5)
    silent = [sys.executable, "-c", "import sys; sys.stdin.read()"]
    real_popen = subprocess.Popen
    monkeypatch.setattr(moto_process.subprocess, "Popen", lambda _, **kwargs: real_popen(silent, **kwargs))
    started = time.monotonic()
    with pytest.raises(RuntimeError, match=r"no word from it within 0\.5 s"):
        MotoProcess("127.0.0.1", free_port()).start()
    assert time.monotonic() - started < 5


def test_a_state_it_cannot_load_is_refused_before_ready_saying_what_to_do(tmp_path: Path) -> None:
    manifest = {"format": 1, "moto": "4.0.0", "parts": {}, "generation": 1, "saved_at": "2026-01-01T00:00:00+00:00"}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(StateNotLoaded, match=r"saved by moto 4\.0\.0.*Start with --fresh"):
        MotoProcess("127.0.0.1", free_port(), tmp_path).start()
