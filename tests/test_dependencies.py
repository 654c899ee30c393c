"""Jobs that follow jobs (`after`, docs/dependencies.md): fan-in through the task events and the
events queue, the window, cycles refused, and upstream jobs gone or off shown on the dependent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from jobdeck import jobs, store, tasks
from jobdeck.access import SYSTEM
from jobdeck.after import After, EndedAs
from jobdeck.domain import ActionStep, TriggerType
from jobdeck.errors import InvalidJob
from tests.support import Api, make_job
from tests.test_events import Pipeline
from tests.test_task_events import _drain, stream  # noqa: F401 (the stream's poller fixture)


@pytest.fixture
def flow(aws, stream):  # noqa: F811
    """Runs, their task events and the events those route, until all is quiet, as the stack does."""
    pipeline = Pipeline(aws)

    def settle() -> None:
        while True:
            pipeline.pump()  # events to tasks, tasks run
            if not _drain(stream):  # what those runs announced goes to the events queue
                return

    return settle


def _lister(job_id: str, prefix: str) -> None:
    jobs.create(make_job(job_id, None, actions=[ActionStep("nodes.list", {"prefix": prefix})]))


def _follower(job_id: str, upstream: list[str], **after) -> None:
    copy = ActionStep("tree.copy", {"destination": f"{job_id}/"})
    jobs.create(make_job(job_id, None, actions=[copy], after=After(upstream, **after)))


def test_c_runs_once_after_a_and_b_with_their_ids_and_outputs_and_waits_for_both(aws, s3, bucket, flow):
    s3.put_object(Bucket=bucket, Key="a/one.txt", Body=b"1")
    s3.put_object(Bucket=bucket, Key="b/two.txt", Body=b"2")
    _lister("a", "a/")
    _lister("b", "b/")
    _follower("c", ["a", "b"])
    flow()

    a = tasks.run_now("a")
    flow()
    assert store.list_tasks("c") == []  # only A has finished: C waits
    b = tasks.run_now("b")
    flow()
    [c] = store.list_tasks("c")
    assert c.status.value == "FINISHED", c.message
    assert c.trigger.type is TriggerType.AFTER
    assert c.trigger.detail["upstream_task_ids"] == sorted([a.id, b.id])
    copied = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="c/")["Contents"])
    assert copied == ["c/one.txt", "c/two.txt"]  # the upstream runs' outputs were its input

    b2 = tasks.run_now("b")  # B again, A not: C waits for a new run of A
    flow()
    assert len(store.list_tasks("c")) == 1
    assert store.get_task("b", b2.id) is not None


def test_runs_further_apart_than_the_window_start_nothing(aws, flow):
    _lister("a", "a/")
    _lister("b", "b/")
    _follower("c", ["a", "b"], within_seconds=60)
    flow()
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=True):
        tasks.run_now("a")
        flow()
    with time_machine.travel(start + timedelta(minutes=5), tick=True):
        tasks.run_now("b")
        flow()
    assert store.list_tasks("c") == []


def test_on_error_follows_failures_only(aws, flow):
    jobs.create(make_job("fails", None, actions=[ActionStep("log.message", {"message": "{{ parameters.nope.x }}"})]))
    _lister("ok", "x/")
    jobs.create(
        make_job(
            "alert",
            None,
            actions=[ActionStep("log.message", {"message": "upstream failed"})],
            after=After(["fails"], EndedAs.ERROR),
        )
    )
    jobs.create(
        make_job(
            "never", None, actions=[ActionStep("log.message", {"message": "x"})], after=After(["ok"], EndedAs.ERROR)
        )
    )
    flow()
    tasks.run_now("fails")
    tasks.run_now("ok")
    flow()
    assert [t.status.value for t in store.list_tasks("alert")] == ["FINISHED"]
    assert store.list_tasks("never") == []


def test_a_cycle_direct_or_through_other_jobs_is_refused_naming_it(aws):
    _lister("a", "a/")
    _follower("b", ["a"])
    body = {"label": "A again", "actions": [{"action": "log.message", "parameters": {"message": "x"}}]}
    reply = Api()("PUT", "/jobs/a", {**body, "after": {"jobs": ["b"]}, "version": 1})
    assert reply.status == 422, reply
    assert reply.json()["errors"][0]["field"] == "body.after.jobs"
    assert "a cycle: a → b → a" in reply.text
    with pytest.raises(InvalidJob, match="a cycle: self → self"):
        jobs.create(make_job("self", None, after=After(["self"])))
    with pytest.raises(InvalidJob, match="no job 'ghost'"):
        jobs.create(make_job("orphan", None, after=After(["ghost"])))
    assert store.get_job("a").after is None  # nothing stored half-way


def test_a_dependent_shows_an_upstream_job_deleted_or_disabled(aws):
    _lister("a", "a/")
    _lister("b", "b/")
    _follower("c", ["a", "b"])
    jobs.set_enabled("a", False)
    jobs.delete("b", SYSTEM)
    api = Api()
    shown = api("GET", "/jobs/c").json()
    assert shown["after"] == {"jobs": ["a", "b"], "on": "FINISHED", "within_seconds": 86400}
    assert shown["upstream_problems"] == ["a: disabled", "b: deleted"]
    assert shown["trigger"] == "after: a, b"
    [listed] = [j for j in api("GET", "/jobs").json()["items"] if j["id"] == "c"]
    assert listed["upstream_problems"] == ["a: disabled", "b: deleted"]
