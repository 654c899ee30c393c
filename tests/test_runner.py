"""The runner: a task runs once, leaves logs and progress, ends FINISHED or ERROR with why."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine

from jobdeck import jobs, runner, store, tasks
from jobdeck import tick as tick_module
from jobdeck.access import Principal
from jobdeck.domain import ActionStep, TaskStatus, slot_task_id
from jobdeck.execution import MAX_LOG_LINES
from jobdeck.runner import MalformedMessage, run_message
from jobdeck.tick import tick
from tests.support import at, make_job


def _run_all(run_queue) -> list[TaskStatus | None]:
    return [run_message(m["Body"]) for m in run_queue.receive()]


def test_run_now_task_runs_the_chain_and_finishes(aws, run_queue):
    steps = [ActionStep("log.message", {"message": "one"}), ActionStep("log.message", {"message": "two"})]
    jobs.create(make_job("chain", None, actions=steps))
    task = tasks.run_now("chain", Principal("alice", is_admin=True))

    assert _run_all(run_queue) == [TaskStatus.FINISHED]

    done = store.get_task("chain", task.id)
    assert done.status is TaskStatus.FINISHED and done.progress == 1.0
    assert [line.message for line in done.logs] == ["one", "two"]
    assert done.started_at is not None and done.ended_at >= done.started_at
    assert done.trigger.by == "alice"
    summary = store.get_job("chain").last_task
    assert (summary.id, summary.status) == (task.id, TaskStatus.FINISHED)


def test_a_run_leaves_no_task_of_its_own_on_the_logger(aws, run_queue):
    """A warm runner's next lines (another task's, a malformed message's) carry no stale ids."""
    jobs.create(make_job("plain", None))
    tasks.run_now("plain")
    assert _run_all(run_queue) == [TaskStatus.FINISHED]
    assert not {"job_id", "task_id"} & set(runner.logger.get_current_keys())


def test_a_duplicate_message_runs_nothing_twice(aws, run_queue):
    jobs.create(make_job("dup", None))
    task = tasks.run_now("dup")
    [message] = run_queue.receive()

    assert run_message(message["Body"]) is TaskStatus.FINISHED
    assert run_message(message["Body"]) is None
    assert len(store.get_task("dup", task.id).logs) == 1


def test_a_failing_action_ends_error_with_its_message_and_stops_the_chain(aws, run_queue):
    steps = [
        ActionStep("log.message", {"message": "before"}),
        ActionStep("tree.delete", {"prefix": "/"}),
        ActionStep("log.message", {"message": "never"}),
    ]
    jobs.create(make_job("failing", None, actions=steps))
    task = tasks.run_now("failing")

    assert _run_all(run_queue) == [TaskStatus.ERROR]

    failed = store.get_task("failing", task.id)
    assert (
        failed.message == "step 2 (tree.delete): refusing to delete the whole datasource: give a prefix below its root"
    )
    assert [line.message for line in failed.logs] == ["before", failed.message]
    assert store.get_job("failing").last_task.status is TaskStatus.ERROR
    assert failed.ended_at is not None


def test_an_unexpected_exception_ends_error_naming_it(aws, run_queue, s3, bucket):
    jobs.create(make_job("boom", None, actions=[ActionStep("recycle.purge", {})]))
    s3.delete_bucket(Bucket=bucket)  # the runner's own (a bucket outside its role would be AccessDenied)
    task = tasks.run_now("boom")

    assert _run_all(run_queue) == [TaskStatus.ERROR]
    assert "NoSuchBucket" in store.get_task("boom", task.id).message


def test_task_of_a_deleted_job_ends_error(aws, run_queue):
    jobs.create(make_job("gone", None))
    task = tasks.run_now("gone")
    from jobdeck.store.models import JobModel

    JobModel("gone").delete()
    assert _run_all(run_queue) == [TaskStatus.ERROR]
    assert store.get_task("gone", task.id).message == "the job was deleted before the task ran"


def test_log_lines_are_bounded(aws, run_queue):
    steps = [ActionStep("log.message", {"message": f"line {i}"}) for i in range(MAX_LOG_LINES + 50)]
    store.create_job(make_job("chatty", None, actions=steps))  # past jobs.validate's step limit on purpose
    task = tasks.run_now("chatty")
    _run_all(run_queue)
    logs = store.get_task("chatty", task.id).logs
    assert len(logs) == MAX_LOG_LINES
    assert logs[0].message == "line 0" and logs[-1].message == f"line {MAX_LOG_LINES + 49}"


def test_a_malformed_message_is_refused_so_it_reaches_the_dead_letter_queue(aws):
    with pytest.raises(MalformedMessage, match="job_id"):
        run_message(json.dumps({"hello": "world"}))
    with pytest.raises(MalformedMessage):
        run_message("not json")


def test_finished_task_expires_after_the_jobs_history_days(aws, run_queue):
    from jobdeck.store.models import TaskModel

    jobs.create(make_job("short-memory", None, history_days=3))
    task = tasks.run_now("short-memory")
    _run_all(run_queue)
    item = TaskModel.get("short-memory", task.id)
    assert round((item.expires_at - item.ended_at).total_seconds() / 86_400) == 3
    assert item.active_job is None and item.queued is None  # out of the active and queued indexes


SLOT = at("2026-11-25T10:00:00Z")


def test_a_task_given_before_its_slot_waits_for_it_and_starts_on_it(aws, run_queue, monkeypatch):
    """The tick at 09:59:00.4 delays the slot's message by 59 s, not 60: it comes within the second
    before the slot, and the runner, its read done, waits for what is left of it."""
    jobs.create(make_job("punctual", "0 * * * *"), now=SLOT - timedelta(hours=1))
    waits: list[float] = []
    with time_machine.travel(SLOT - timedelta(seconds=59.6), tick=False) as clock:

        def sleep(seconds: float) -> None:
            waits.append(seconds)
            clock.shift(timedelta(seconds=seconds))

        def slow_read(job_id: str, task_id: str):  # the read takes 0.2 s: the wait is what is left
            clock.shift(timedelta(seconds=0.2))
            return real_read(job_id, task_id)

        real_read = store.get_task_and_job
        monkeypatch.setattr(runner, "sleep", sleep)
        monkeypatch.setattr(tick_module, "clock", lambda: 0.0)  # the tick takes no time, however loaded the machine
        assert tick().queued == 1
        clock.shift(timedelta(seconds=58.9))  # 09:59:59.3
        assert run_queue.receive() == []
        clock.shift(timedelta(seconds=0.2))  # 09:59:59.5
        [message] = run_queue.receive()
        monkeypatch.setattr(store, "get_task_and_job", slow_read)
        assert run_message(message["Body"]) is TaskStatus.FINISHED
    assert waits == [pytest.approx(0.3)]
    done = store.get_task("punctual", slot_task_id("punctual", SLOT))
    assert done.started_at == SLOT


def test_a_task_given_long_before_its_slot_goes_back_to_wait(aws, run_queue, monkeypatch):
    monkeypatch.setattr(runner, "sleep", lambda seconds: pytest.fail(f"waited {seconds} s in the invocation"))
    # The tick shortens each delay by the real time it has taken; under load that second would make
    # the message visible before the frozen clock's slot, which this test reads second by second.
    monkeypatch.setattr(tick_module, "clock", lambda: 0.0)
    jobs.create(make_job("early", "0 * * * *"), now=SLOT - timedelta(hours=1))
    with time_machine.travel(SLOT - timedelta(seconds=59), tick=False) as clock:
        tick()
        message = json.dumps({"job_id": "early", "task_id": slot_task_id("early", SLOT)})
        clock.shift(timedelta(seconds=54))  # 09:59:55: five seconds early, as no SQS delay would
        assert run_message(message) is None
        assert store.get_task("early", slot_task_id("early", SLOT)).status is TaskStatus.QUEUED
        clock.shift(timedelta(seconds=3.5))
        assert run_queue.receive() == []
        clock.shift(timedelta(seconds=1.5))  # the slot: the tick's message and the one sent back
        assert [m["Body"] for m in run_queue.receive()] == [message, message]
