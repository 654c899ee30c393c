"""The run lifecycle: retries held past SQS's 15-minute delay and sent by the tick when due, and what
a run costs in DynamoDB requests (the runner reads its job once)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from botocore.client import BaseClient

from jobdeck import jobs, runner, store, tasks
from jobdeck import run_queue as queue_messages  # the `run_queue` fixture is the queue itself
from jobdeck.domain import ActionStep, Overlap, RetryPolicy, TaskStatus
from jobdeck.execution import Result
from jobdeck.tick import tick
from tests.support import HookServer, at, make_job

NOW = at("2026-11-25T10:00:00Z")
HOUR = timedelta(hours=1)


@pytest.fixture
def hook(monkeypatch):
    monkeypatch.setenv("JOBDECK_WEBHOOK_ALLOW", "127.0.0.1")
    with HookServer(status=503) as server:
        yield server


def _failing_once(hook: HookServer) -> str:
    """A job whose webhook answers 503 (retryable), retried after an hour (past SQS's 15 minutes)."""
    retry = RetryPolicy(max_attempts=2, backoff_seconds=7200, max_backoff_seconds=7200)
    job = make_job("patient", None, actions=[ActionStep("http.webhook", {"url": hook.url()})], retry=retry)
    jobs.create(job, now=NOW - HOUR)
    return job.id


def test_a_retry_past_sqs_delay_is_held_and_sent_by_the_tick_when_due(aws, run_queue, hook):
    job_id = _failing_once(hook)
    with time_machine.travel(NOW, tick=False):
        task = tasks.run_now(job_id)
        [message] = run_queue.receive()
        assert runner.run_message(message["Body"]) is TaskStatus.QUEUED
    due = store.get_task(job_id, task.id).not_before
    assert NOW + HOUR <= due <= NOW + 2 * HOUR  # equal jitter of 7,200 s

    minute = NOW + timedelta(minutes=1)
    while minute < due - timedelta(minutes=1):  # nothing is sent before its minute: no bounce
        with time_machine.travel(minute, tick=False):
            assert tick().held_sent == 0
        minute += timedelta(minutes=10)
    assert run_queue.receive() == []

    hook.status = 200
    with time_machine.travel(due - timedelta(seconds=30), tick=False) as clock:
        assert tick().held_sent == 1
        assert tick().held_sent == 0  # taken out of the held ones: a second tick sends nothing
        assert run_queue.receive() == []  # delayed to its due time
        clock.shift(timedelta(seconds=31))
        [message] = run_queue.receive()
        assert runner.run_message(message["Body"]) is TaskStatus.FINISHED
    assert (store.get_task(job_id, task.id).attempt, len(hook.requests)) == (2, 2)


def test_a_held_retry_whose_send_is_lost_is_sent_again_five_minutes_after_it_was_due(aws, run_queue, hook, monkeypatch):
    job_id = _failing_once(hook)
    with time_machine.travel(NOW, tick=False):
        task = tasks.run_now(job_id)
        [message] = run_queue.receive()
        runner.run_message(message["Body"])
    due = store.get_task(job_id, task.id).not_before

    def lost(messages, now, settings=None):
        raise queue_messages.SendError("RunQueue refused the batch")

    with time_machine.travel(due - timedelta(seconds=30), tick=False), monkeypatch.context() as patched:
        patched.setattr(queue_messages, "send", lost)
        with pytest.raises(RuntimeError, match="1 failures"):
            tick()
    resent = []
    for minutes in range(1, 8):
        with time_machine.travel(due + timedelta(minutes=minutes), tick=False):
            resent.append(tick().redelivered)
    assert sum(resent) == 1  # once, from the QUEUED tasks due five minutes before
    assert run_queue.bodies() == [{"job_id": job_id, "task_id": task.id}]


def test_an_early_message_of_a_held_retry_does_not_bounce(aws, run_queue, hook):
    """A message that comes an hour before its task is due (a duplicate delivery, say) is not sent
    again every 15 minutes: the task is held, and the tick sends it when due."""
    job_id = _failing_once(hook)
    with time_machine.travel(NOW, tick=False):
        task = tasks.run_now(job_id)
        [message] = run_queue.receive()
        runner.run_message(message["Body"])
        assert runner.run_message(message["Body"]) is None  # the same message, delivered again
    assert run_queue.receive() == []
    due = store.get_task(job_id, task.id).not_before
    with time_machine.travel(due - timedelta(seconds=30), tick=False):
        assert tick().held_sent == 1


# ------------------------------------------------------------------ requests per run


@contextmanager
def dynamodb_requests() -> Iterator[Counter[tuple[str, str]]]:
    """(operation, table) of every DynamoDB request made in the block, as botocore sends them."""
    seen: Counter[tuple[str, str]] = Counter()

    def count(model, params, **kwargs):
        tables = [params.get("TableName")] if params.get("TableName") else []
        tables += [item[kind]["TableName"] for item in params.get("TransactItems", []) for kind in item]
        tables += list(params.get("RequestItems", {}))  # BatchGetItem, BatchWriteItem
        seen[(model.name, "+".join(sorted({t.split("-")[-1] for t in tables if t})))] += 1

    # botocore-stubs declare none of BaseClient's private methods; botocore has this one.
    real = BaseClient._make_api_call  # type: ignore[attr-defined]

    def counted(client, operation, params):
        if client.meta.service_model.service_name == "dynamodb":
            count(client.meta.service_model.operation_model(operation), params)
        return real(client, operation, params)

    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(BaseClient, "_make_api_call", counted)
        yield seen


def _job_reads(seen: Counter[tuple[str, str]]) -> int:
    return sum(
        n
        for (operation, tables), n in seen.items()
        if operation in ("GetItem", "BatchGetItem") and "jobstable" in tables.split("+")
    )


def test_a_scheduled_run_reads_its_job_once_and_writes_three_times(aws, run_queue):
    jobs.create(make_job("plain", "0 * * * *"), now=NOW - HOUR)
    with time_machine.travel(NOW, tick=False), dynamodb_requests() as seen:
        tick()
        [message] = run_queue.receive()
        assert runner.run_message(message["Body"]) is TaskStatus.FINISHED
    assert _job_reads(seen) == 1
    assert sum(n for (operation, _), n in seen.items() if operation == "TransactWriteItems") == 3


def test_the_runner_reads_its_task_and_job_in_one_request_then_writes_twice(aws, run_queue):
    jobs.create(make_job("plain", "0 * * * *"), now=NOW - HOUR)
    with time_machine.travel(NOW, tick=False):
        tick()
        [message] = run_queue.receive()
        with dynamodb_requests() as seen:
            assert runner.run_message(message["Body"]) is TaskStatus.FINISHED
    assert seen == Counter(
        {("BatchGetItem", "jobstable+taskstable"): 1, ("TransactWriteItems", "jobstable+taskstable"): 2}
    )


def test_a_run_that_suspends_its_job_reads_the_job_once(aws, run_queue):
    failing = [ActionStep("log.message", {"message": "{{ parameters.missing }}"})]
    jobs.create(make_job("fragile", None, actions=failing, pause_after_failures=1))
    task = tasks.run_now("fragile")
    [message] = run_queue.receive()
    with dynamodb_requests() as seen:
        assert runner.run_message(message["Body"]) is TaskStatus.ERROR
    assert _job_reads(seen) == 1
    assert not store.get_job("fragile").enabled and store.get_task("fragile", task.id).status is TaskStatus.ERROR


def test_a_run_waiting_for_a_seat_and_the_run_that_wakes_it_read_their_job_once_each(aws, run_queue, settings):
    jobs.create(make_job("serial", None, overlap=Overlap.BUFFER_ALL))
    first, second = tasks.run_now("serial"), tasks.run_now("serial")
    messages = {m["Body"]: m for m in run_queue.receive()}
    assert store.start_task(store.get_task("serial", first.id), NOW, store.get_job("serial")) is store.Outcome.DONE
    with dynamodb_requests() as waiting:
        assert runner.run_message(queue_messages.message("serial", second.id)) is None  # no seat: it waits in line
    assert _job_reads(waiting) == 1
    running = store.get_task("serial", first.id)
    running.status, running.ended_at = TaskStatus.FINISHED, NOW
    job = store.get_job("serial")
    with dynamodb_requests() as ending:
        runner.record(job, running, Result.ENDED, settings)  # as the runner records the end of its run
    assert _job_reads(ending) == 0
    assert [body["task_id"] for body in run_queue.bodies()] == [second.id]  # the wake-up
    assert len(messages) == 2
