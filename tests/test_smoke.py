"""`jobdeck smoke` against the local stack (its clock ticking every second, as in AWS the tick's
minute of look-ahead does): every check passes, and the jobs, the bucket, the tasks, the hooks and
the node index are left as they were found; a failing check exits 1 and cleans up all the same."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from jobdeck_local import smoke
from jobdeck_local.api_client import Api
from jobdeck_local.cli import main
from jobdeck_local.stack import LocalStack, free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    running = LocalStack(port=free_port(), api_port=free_port(), clock_period=1.0).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def admin(stack: LocalStack) -> Api:
    assert stack.api is not None
    return Api(stack.api.url, stack.api.tokens.mint("admin"))


@pytest.fixture
def bucket(stack: LocalStack) -> str:
    assert stack.resources is not None
    return stack.resources.buckets["DatasourceBucket"]


def _smoke(stack: LocalStack, token: str, *extra: str) -> list[str]:
    assert stack.api is not None
    return ["smoke", "--api", stack.api.url, "--token", token, "--endpoint-url", stack.endpoint, *extra]


def _jobs(api: Api) -> list[tuple[Any, ...]]:
    """The admin list as an operator reads it (every page): what each job is, not when it last ran."""
    items, cursor = [], None
    while True:
        page = api.call("GET", "/jobs", limit=200, cursor=cursor)
        items += [(j["id"], j["label"], j["owner"], j["enabled"], j["version"]) for j in page["items"]]
        if not (cursor := page.get("cursor")):
            return sorted(items)


def _objects(stack: LocalStack, bucket: str) -> dict[str, str]:
    s3 = boto3.client("s3", endpoint_url=stack.endpoint)
    return {o["Key"]: o["ETag"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def _items_naming_smoke(stack: LocalStack) -> dict[str, list[dict]]:
    """Whatever a smoke run could leave in the tables: its jobs' tasks, its hook's subscription, its
    object in the node index."""
    assert stack.resources is not None
    dynamodb = boto3.client("dynamodb", endpoint_url=stack.endpoint)
    found = {}
    for logical_id in ("JobsTable", "TasksTable", "SubscriptionsTable", "NodesTable"):
        items = dynamodb.scan(TableName=stack.resources.tables[logical_id])["Items"]
        keys = ("id", "job_id", "event_key", "key")
        found[logical_id] = [i for i in items if any("jobdeck-smoke" in i.get(k, {}).get("S", "") for k in keys)]
    return found


def _said(out: str) -> list[str]:
    """What smoke printed, without the functions' JSON log lines (the stack runs in this process)."""
    return [line for line in out.splitlines() if not line.startswith("{")]


def _line(out: str, check: str) -> str:
    return next(line for line in _said(out) if re.match(rf"\s+(PASS|FAIL|SKIP)\s+{check}\s", line))


def test_smoke_passes_against_the_local_stack_and_leaves_everything_as_it_found_it(stack, admin, bucket, capsys):
    jobs_before, objects_before = _jobs(admin), _objects(stack, bucket)
    assert admin.token is not None

    assert main(_smoke(stack, admin.token, "--bucket", bucket)) == 0

    out = capsys.readouterr().out
    for check in ("api", "run", "upload", "hook", "schedule", "cleanup"):
        assert re.match(rf"\s+PASS\s+{check}\s+\d+\.\ds  \S", _line(out, check)), out
    assert "indexed by index-new-uploads" in _line(out, "upload")
    # The slot is the minute after the job was made; the run started within that minute.
    assert re.search(r"'\* \* \* \* \*' fired for \d\d:\d\d:00Z, started \d+\.\d\ds after it", _line(out, "schedule"))
    assert "dropped from the node index" in _line(out, "cleanup")
    assert _said(out)[-1].startswith("passed: 6 of 6 in ")

    assert _jobs(admin) == jobs_before
    assert _objects(stack, bucket) == objects_before
    # The schedule's next slot was claimed while its first ran: that task was stopped and deleted too.
    assert _items_naming_smoke(stack) == {"JobsTable": [], "TasksTable": [], "SubscriptionsTable": [], "NodesTable": []}


def test_a_failing_check_exits_1_names_it_and_cleans_up_all_the_same(stack, admin, bucket, capsys):
    jobs_before, objects_before = _jobs(admin), _objects(stack, bucket)
    assert admin.token is not None

    assert main(_smoke(stack, admin.token, "--bucket", "no-such-bucket", "--skip", "schedule")) == 1

    out = capsys.readouterr().out
    assert "NoSuchBucket" in _line(out, "upload") and _line(out, "upload").lstrip().startswith("FAIL")
    assert _line(out, "run").lstrip().startswith("PASS") and _line(out, "hook").lstrip().startswith("PASS")
    assert _line(out, "schedule").split()[:3] == ["SKIP", "schedule", "0.0s"]
    assert _line(out, "cleanup").lstrip().startswith("PASS")
    assert _said(out)[-1].startswith("FAILED: upload (4 of 5 passed)")
    assert _jobs(admin) == jobs_before
    assert _objects(stack, bucket) == objects_before
    assert not any(_items_naming_smoke(stack).values())


def test_a_token_that_is_not_an_admins_fails_at_once_and_makes_nothing(stack, admin, bucket, capsys):
    assert stack.api is not None
    jobs_before = _jobs(admin)

    assert main(_smoke(stack, stack.api.tokens.mint("alice"), "--bucket", bucket)) == 1

    out = capsys.readouterr().out
    assert "FAIL  api" in out and "not an admin" in _line(out, "api")
    assert all(_line(out, check).split()[0] == "SKIP" for check in smoke.CHECKS)
    assert _jobs(admin) == jobs_before


def test_the_next_run_sweeps_what_a_killed_run_left_behind(stack, admin, bucket, capsys, monkeypatch):
    # What a run killed before its cleanup leaves: a job of its own and its object.
    admin.call(
        "POST",
        "/jobs",
        {"id": "jobdeck-smoke-killed-run", "label": "left", "owner": smoke.OWNER, "actions": []},
    )
    boto3.client("s3", endpoint_url=stack.endpoint).put_object(Bucket=bucket, Key="jobdeck-smoke/killed.txt", Body=b"")
    monkeypatch.setattr(smoke, "LEFTOVER_AGE", smoke.timedelta(0))  # as if an hour had passed
    assert admin.token is not None

    skip_all = [arg for check in smoke.CHECKS for arg in ("--skip", check)]
    assert main(_smoke(stack, admin.token, "--bucket", bucket, *skip_all)) == 0

    out = capsys.readouterr().out
    assert "swept what earlier runs left: jobdeck-smoke-killed-run, s3://" in out
    assert "jobdeck-smoke-killed-run" not in {job[0] for job in _jobs(admin)}
    assert "jobdeck-smoke/killed.txt" not in _objects(stack, bucket)
