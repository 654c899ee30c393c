"""Chains: what one step outputs is the next step's input, a filter per step picks which nodes it
works on, templated parameters, and the on-failure branch."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from jobdeck import jobs, run_queue, runner, store, tasks
from jobdeck.domain import ActionStep, NodeFilter, TaskStatus
from tests.support import Api, at, make_job

NOW = at("2026-11-25T10:00:00Z")


def _run(job_id: str) -> TaskStatus | None:
    task = tasks.run_now(job_id)
    return runner.run_message(run_queue.message(job_id, task.id))


def _keys(s3, bucket, prefix):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))


def test_each_step_works_on_what_the_previous_one_produced(aws, run_queue, s3, bucket):
    for name in ("a.txt", "b.txt"):
        s3.put_object(Bucket=bucket, Key=f"in/{name}", Body=b"x")
    s3.put_object(Bucket=bucket, Key="elsewhere/c.txt", Body=b"x")
    steps = [
        ActionStep("tree.copy", {"prefix": "in/", "destination": "staging/"}),
        ActionStep("tree.copy", {"destination": "archive/{{ job.id }}/"}),  # no prefix: its input
    ]
    jobs.create(make_job("two-steps", None, actions=steps))
    assert _run("two-steps") is TaskStatus.FINISHED
    assert _keys(s3, bucket, "archive/") == ["archive/two-steps/a.txt", "archive/two-steps/b.txt"]


def test_a_steps_filter_picks_its_input_by_glob_size_age_and_content_type(aws, run_queue, s3, bucket):
    with time_machine.travel(NOW - timedelta(days=60), tick=False):
        s3.put_object(Bucket=bucket, Key="in/old.jpg", Body=b"j" * 10, ContentType="image/jpeg")
        s3.put_object(Bucket=bucket, Key="in/old-big.jpg", Body=b"j" * 5000, ContentType="image/jpeg")
        s3.put_object(Bucket=bucket, Key="in/old.txt", Body=b"t" * 10, ContentType="image/jpeg")
        s3.put_object(Bucket=bucket, Key="in/old-named.jpg", Body=b"t" * 10, ContentType="text/plain")
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        s3.put_object(Bucket=bucket, Key="in/new.jpg", Body=b"j" * 10, ContentType="image/jpeg")
    rule = NodeFilter(glob="in/*.jpg", max_size=1000, older_than_days=30, content_type="image/*")
    steps = [
        ActionStep("nodes.list", {"prefix": "in/"}),
        ActionStep("tree.copy", {"destination": "picked/"}, filter=rule),
    ]
    jobs.create(make_job("picky", None, actions=steps))
    with time_machine.travel(NOW, tick=False):
        assert _run("picky") is TaskStatus.FINISHED
    assert _keys(s3, bucket, "picked/") == ["picked/old.jpg"]


def test_the_on_failure_branch_runs_with_the_failure_and_the_task_keeps_its_error(aws, run_queue, s3, bucket):
    s3.put_object(Bucket=bucket, Key="in/a.txt", Body=b"x")
    job = make_job(
        "breaks",
        None,
        actions=[ActionStep("tree.copy", {"prefix": "in/", "destination": "in/"})],  # onto itself
        on_failure=[
            ActionStep("log.message", {"message": "cleaning up after step {{ failure.step }}: {{ failure.message }}"}),
            ActionStep("tree.delete", {"prefix": "in/", "permanent": True}),
        ],
    )
    jobs.create(job)
    assert _run("breaks") is TaskStatus.ERROR
    [task] = store.list_tasks("breaks")
    assert task.message == "step 1 (tree.copy): in/a.txt would be copied onto itself"
    assert any(
        line.message == "cleaning up after step 1: step 1 (tree.copy): in/a.txt would be copied onto itself"
        for line in task.logs
    )
    assert _keys(s3, bucket, "in/") == []  # the branch's second step ran too


def test_a_finished_chain_does_not_run_its_on_failure_branch(aws, run_queue, s3, bucket):
    s3.put_object(Bucket=bucket, Key="in/a.txt", Body=b"x")
    jobs.create(
        make_job(
            "fine",
            None,
            actions=[ActionStep("log.message", {"message": "ok"})],
            on_failure=[ActionStep("tree.delete", {"prefix": "in/", "permanent": True})],
        )
    )
    assert _run("fine") is TaskStatus.FINISHED
    assert _keys(s3, bucket, "in/") == ["in/a.txt"]


def test_filters_and_the_branch_round_trip_through_the_api_and_are_checked(aws):
    api = Api()
    body = {
        "id": "api-chain",
        "label": "API chain",
        "actions": [
            {
                "action": "tree.copy",
                "parameters": {"destination": "x/"},
                "filter": {"glob": "*.jpg", "older_than_days": 7, "content_type": "image/*"},
            }
        ],
        "on_failure": [{"action": "log.message", "parameters": {"message": "failed: {{ failure.message }}"}}],
    }
    created = api("POST", "/jobs", body)
    assert created.status == 201, created
    read = api("GET", "/jobs/api-chain").json()
    assert read["actions"][0]["filter"] == {
        "glob": "*.jpg",
        "datasource": None,
        "min_size": None,
        "max_size": None,
        "older_than_days": 7.0,
        "newer_than_days": None,
        "content_type": "image/*",
    }
    assert read["on_failure"][0]["action"] == "log.message"

    bad = {
        **body,
        "id": "bad-1",
        "actions": [
            {"action": "tree.copy", "parameters": {"destination": "x/"}, "filter": {"min_size": 10, "max_size": 1}}
        ],
    }
    reply = api("POST", "/jobs", bad)
    assert reply.status == 422 and reply.json()["errors"][0]["field"] == "body.actions[0].filter.min_size"
    reply = api("POST", "/jobs", {**body, "id": "bad-2", "on_failure": [{"action": "no.such"}]})
    assert reply.status == 422 and reply.json()["errors"][0]["field"] == "body.on_failure[0].action"
    assert store.get_job("bad-1") is None and store.get_job("bad-2") is None
