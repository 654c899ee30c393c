"""The first actions, against the datasource bucket and the history in moto."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from jobdeck import actions, jobs, store, tasks
from jobdeck.actions.registry import MODULES
from jobdeck.domain import ActionStep, TaskStatus
from jobdeck.errors import InvalidJob
from jobdeck.runner import run_message
from tests.support import at, make_job


def _run(job_id: str, run_queue) -> object:
    task = tasks.run_now(job_id)
    for message in run_queue.receive():
        run_message(message["Body"])
    return store.get_task(job_id, task.id)


def _keys(s3, bucket: str) -> set[str]:
    return {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def test_tree_delete_moves_objects_under_the_prefix_to_the_recycle_bin(aws, s3, bucket, run_queue):
    for key in ["home/alice/tmp/a.txt", "home/alice/tmp/sub/b.txt", "home/alice/keep.txt"]:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    jobs.create(make_job("clean-tmp", None, actions=[ActionStep("tree.delete", {"prefix": "home/alice/tmp/"})]))

    task = _run("clean-tmp", run_queue)

    assert task.status is TaskStatus.FINISHED, task.message
    assert _keys(s3, bucket) == {
        "home/alice/keep.txt",
        "recycle_bin/home/alice/tmp/a.txt",
        "recycle_bin/home/alice/tmp/sub/b.txt",
    }
    body = s3.get_object(Bucket=bucket, Key="recycle_bin/home/alice/tmp/sub/b.txt")["Body"].read()
    assert body == b"home/alice/tmp/sub/b.txt"
    assert "deleted 2 objects under home/alice/tmp/ to recycle_bin/" in task.logs[-1].message


def test_tree_delete_permanent_leaves_nothing(aws, s3, bucket, run_queue):
    s3.put_object(Bucket=bucket, Key="scratch/x", Body=b"x")
    steps = [ActionStep("tree.delete", {"prefix": "scratch/", "permanent": True})]
    jobs.create(make_job("wipe", None, actions=steps))
    assert _run("wipe", run_queue).status is TaskStatus.FINISHED
    assert _keys(s3, bucket) == set()


def test_recycle_purge_removes_only_objects_older_than_n_days(aws, s3, bucket, run_queue):
    with time_machine.travel(at("2026-11-01T00:00:00Z"), tick=False):
        s3.put_object(Bucket=bucket, Key="recycle_bin/old", Body=b"o")
    with time_machine.travel(at("2026-11-20T00:00:00Z"), tick=False):
        s3.put_object(Bucket=bucket, Key="recycle_bin/recent", Body=b"r")
        s3.put_object(Bucket=bucket, Key="outside/old-but-not-binned", Body=b"k")
    jobs.create(make_job("purge", None, actions=[ActionStep("recycle.purge", {"older_than_days": 10})]))

    with time_machine.travel(at("2026-11-25T00:00:00Z"), tick=False):
        task = _run("purge", run_queue)

    assert task.status is TaskStatus.FINISHED
    assert _keys(s3, bucket) == {"recycle_bin/recent", "outside/old-but-not-binned"}


def test_tasks_prune_keeps_the_newest_n_finished_tasks_and_every_active_one(aws, run_queue):
    jobs.create(make_job("busy", None))
    finished = []
    for minute in range(5):
        with time_machine.travel(at("2026-11-25T10:00:00Z") + timedelta(minutes=minute), tick=False):
            finished.append(_run("busy", run_queue).id)
    queued = tasks.run_now("busy")  # still active when the prune runs
    jobs.create(make_job("pruner", None, actions=[ActionStep("tasks.prune", {"keep": 2})]))

    pruner_task = tasks.run_now("pruner")
    for message in run_queue.receive():
        if message["Body"].find("pruner") >= 0:
            run_message(message["Body"])

    remaining = {t.id for t in store.list_tasks("busy")}
    assert remaining == {finished[-1], finished[-2], queued.id}
    assert store.get_task("pruner", pruner_task.id).status is TaskStatus.FINISHED


@pytest.mark.parametrize(
    ("step", "field", "problem"),
    [
        (ActionStep("nope.nothing", {}), "actions[0].action", "unknown action 'nope.nothing'"),
        (ActionStep("tree.delete", {}), "actions[0].parameters", "must contain ['prefix']"),
        (ActionStep("recycle.purge", {"older_than_days": -1}), "actions[0].parameters", "older_than_days"),
        (ActionStep("log.message", {"message": "x", "colour": "red"}), "actions[0].parameters", "colour"),
    ],
)
def test_a_job_with_a_bad_action_is_refused_naming_the_field(aws, step, field, problem):
    with pytest.raises(InvalidJob) as refused:
        jobs.create(make_job("bad", None, actions=[step]))
    assert refused.value.field == field
    assert problem in refused.value.reason
    assert store.get_job("bad") is None


def test_every_action_publishes_a_parameter_schema_whose_defaults_fill_in(aws):
    names = {a.name for a in actions.catalog()}
    assert {"log.message", "tree.delete", "recycle.purge", "tasks.prune"} <= names
    for action in actions.catalog():
        assert action.parameters["type"] == "object" and action.summary
    assert actions.get("recycle.purge").validate({}) == {"datasource": "default", "older_than_days": 30}
    assert actions.get("tree.delete").validate({"prefix": "a/"}) == {
        "datasource": "default",
        "prefix": "a/",
        "permanent": False,
    }
    # Those that act in a datasource take it; those that do not, refuse it.
    assert "datasource" in actions.get("archive.compress").parameters["properties"]
    assert "datasource" not in actions.get("log.message").parameters["properties"]


def test_the_reaper_ends_tasks_whose_runner_died_and_leaves_live_ones(aws, run_queue):
    jobs.create(make_job("fragile", None, timeout_seconds=60))
    with time_machine.travel(at("2026-11-25T10:00:00Z"), tick=False):
        dead = tasks.run_now("fragile")
        live = tasks.run_now("fragile")
        store.start_task(dead, at("2026-11-25T10:00:00Z"), store.get_job("fragile"))  # started; then its function died
    with time_machine.travel(at("2026-11-25T10:05:00Z"), tick=False):
        store.start_task(live, at("2026-11-25T10:05:00Z"), store.get_job("fragile"))
    jobs.create(make_job("reaper", None, actions=[ActionStep("tasks.reap", {"grace_seconds": 120})]))
    with time_machine.travel(at("2026-11-25T10:06:00Z"), tick=False):
        reaper = tasks.run_now("reaper")
        for message in run_queue.receive():
            if "reaper" in message["Body"]:
                run_message(message["Body"])

    stuck = store.get_task("fragile", dead.id)
    assert stuck.status is TaskStatus.ERROR and stuck.message.startswith("Task stuck: RUNNING since 2026-11-25T10:00")
    assert store.get_task("fragile", live.id).status is TaskStatus.RUNNING  # 60 s + 120 s not over yet
    assert store.get_job("fragile").last_task.id == live.id  # the newer task still shows
    assert store.get_task("reaper", reaper.id).logs[-1].message == "reaped 1 stuck tasks"


def test_each_action_lives_in_the_module_named_by_its_prefix():
    """`tree.copy` in actions/tree.py, `notify` in actions/notify.py: a newcomer finds an action by its
    name, and the catalog's lazy import (registry.MODULES) names the same module."""
    shipped = [action for action in actions.catalog() if action.run.__module__.startswith("jobdeck.")]
    assert {action.name for action in shipped} == set(MODULES)
    for action in shipped:
        prefix = action.name.split(".")[0]
        assert (action.run.__module__, MODULES[action.name]) == (f"jobdeck.actions.{prefix}", prefix), action.name
