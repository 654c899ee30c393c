"""The `jobdeck` command line against the local stack (its queue pollers on, its clock off)."""

from __future__ import annotations

import json
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobdeck_local.cli import main, parse_parameter
from jobdeck_local.stack import LocalStack, free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
JOB = "cli-hello"


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    running = LocalStack(port=free_port(), api_port=free_port(), run_clock=False).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def connect(stack: LocalStack) -> list[str]:
    assert stack.api is not None
    return ["--api", stack.api.url, "--token", stack.api.tokens.mint("admin")]


def _api(stack: LocalStack, connect: list[str], method: str, path: str, body: object = None) -> tuple[int, dict]:
    assert stack.api is not None
    request = urllib.request.Request(
        stack.api.url + path,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {connect[-1]}", "Content-Type": "application/json"},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _row(listing: str, job_id: str) -> list[str]:
    return next(line.split() for line in listing.splitlines() if line.startswith(f"{job_id} "))


def test_a_job_through_its_life_from_the_command_line(stack, connect, capsys):
    assert main(["jobs", "list", *connect]) == 0
    listing = capsys.readouterr().out
    assert listing.splitlines()[0].split() == ["ID", "LABEL", "OWNER", "TRIGGER", "LAST", "EXECUTION", "STATUS"]
    assert {"purge-recycle-bin", "prune-task-history", "reap-stuck-tasks"} <= {
        line.split()[0] for line in listing.splitlines()[1:]
    }

    status, _ = _api(
        stack,
        connect,
        "POST",
        "/jobs",
        {"id": JOB, "label": "Hello", "actions": [{"action": "log.message", "parameters": {"message": "hi from cli"}}]},
    )
    assert status == 201

    assert main([*connect, "run", JOB, "--wait"]) == 0  # the options before the command work too
    out, err = capsys.readouterr()
    task_id, queued = out.splitlines()[0].split()
    assert queued == "QUEUED" and out.splitlines()[-1].startswith("FINISHED")
    assert "\r[" in err and "100% FINISHED" in err

    assert main(["tasks", JOB, *connect]) == 0
    history = capsys.readouterr().out
    assert history.splitlines()[0].split() == ["ID", "STATUS", "TRIGGER", "BY", "STARTED", "DURATION"]
    assert _row(history, task_id)[1] == "FINISHED"

    assert main(["logs", JOB, task_id, *connect]) == 0
    assert "INFO hi from cli" in capsys.readouterr().out
    assert main(["logs", JOB, task_id, "--follow", *connect]) == 0  # an ended task: its lines, then its end
    out, err = capsys.readouterr()
    assert "INFO hi from cli" in out and err.startswith("FINISHED")

    assert main(["disable", JOB, "no-such-job", *connect]) == 1  # one id not found
    assert capsys.readouterr().out.splitlines() == [f"{JOB}: disabled", "no-such-job: not found"]
    assert main(["jobs", "list", "--kind", "custom", *connect]) == 0
    assert _row(capsys.readouterr().out, JOB)[-1] == "disabled"

    assert main(["jobs", "show", JOB, *connect]) == 0
    shown = capsys.readouterr().out
    assert "enabled      no" in shown and "log.message" in shown and "next runs (manual only)" in shown

    assert main(["clear", JOB, *connect]) == 0
    assert capsys.readouterr().out.strip() == "1 finished tasks deleted"


def test_api_errors_exit_2_with_the_api_message(stack, connect, capsys):
    status, body = _api(stack, connect, "GET", "/jobs/nope")
    assert status == 404
    assert main(["jobs", "show", "nope", *connect]) == 2
    assert capsys.readouterr().err.startswith(f"error: {body['message']}")

    assert main(["jobs", "list", "--api", connect[1], "--token", "not-a-token"]) == 2
    assert capsys.readouterr().err.startswith("error: ")

    assert main(["jobs", "list", "--limit", "500", *connect]) == 2  # 422: each field and its problem
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "query.limit: " in err


def test_an_api_nobody_serves_exits_3_naming_the_url(capsys):
    url = f"http://127.0.0.1:{free_port()}"
    assert main(["jobs", "list", "--api", url]) == 3
    assert f"cannot reach the API at {url}" in capsys.readouterr().err


def test_run_parameters_are_json_when_they_parse():
    assert parse_parameter("n=3") == ("n", 3)
    assert parse_parameter("dry=true") == ("dry", True)
    assert parse_parameter("prefix=tmp/") == ("prefix", "tmp/")
    assert parse_parameter("eq=a=b") == ("eq", "a=b")


def test_the_console_script_is_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["jobdeck"] == "jobdeck_local.cli:main"


def test_datasources_lists_each_with_its_index(stack, connect, capsys):
    assert main(["datasources", *connect]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "LOCATION", "INDEXED", "LAST", "SYNC", "CHANGES"]
    assert stack.resources is not None
    assert lines[1].split()[:2] == ["default", f"s3://{stack.resources.buckets['DatasourceBucket']}/"]
    assert main(["datasources", "--json", *connect]) == 0
    assert [d["name"] for d in json.loads(capsys.readouterr().out)["datasources"]] == ["default"]
