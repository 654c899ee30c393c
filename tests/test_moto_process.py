"""moto's server in a process of its own: ready when it answers, gone when the stack is."""

from __future__ import annotations

import socket
import time

import boto3
import pytest

from jobdeck_local.moto_process import MotoProcess
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


def test_a_port_someone_holds_is_an_error_that_names_it() -> None:
    with socket.create_server(("127.0.0.1", 0)) as held:
        port = held.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(RuntimeError, match=f"127.0.0.1:{port}.*cannot listen"):
            MotoProcess("127.0.0.1", port).start()
    assert time.monotonic() - started < 30


def test_stopping_twice_is_harmless() -> None:
    moto = MotoProcess("127.0.0.1", free_port()).start()
    moto.stop()
    moto.stop()
    assert moto.pid is None
