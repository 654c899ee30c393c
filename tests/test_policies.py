"""Execution policies: retries with backoff, timeouts, pause after failures in a row, backfill,
pause and resume, hand-over to a new invocation, and giving up on the last delivery."""

from __future__ import annotations

import copy
import itertools
import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import time_machine

from jobdeck import execution, jobs, overlap, run_queue, runner, store, tasks
from jobdeck.domain import ActionStep, RetryPolicy, TaskStatus
from jobdeck_local.events import sample
from jobdeck_local.lambda_runtime import LambdaContext, load_handler
from tests.support import Api, HookServer, TopicInbox, at, make_job

NOW = at("2026-11-25T10:00:00Z")


@pytest.fixture
def hook(monkeypatch):
    monkeypatch.setenv("JOBDECK_WEBHOOK_ALLOW", "127.0.0.1")
    with HookServer(status=503) as server:
        yield server


@pytest.fixture
def inbox(aws, settings) -> TopicInbox:
    return TopicInbox(settings.notify_topic_arn)


def _webhook_job(job_id: str, url: str, **fields):
    return make_job(job_id, None, actions=[ActionStep("http.webhook", {"url": url})], **fields)


def _deliver(task) -> TaskStatus | None:
    return runner.run_message(run_queue.message(task.job_id, task.id))


# ------------------------------------------------------------------ retries


def test_a_retryable_failure_is_retried_after_its_backoff_and_then_succeeds(aws, run_queue, hook, inbox):
    jobs.create(_webhook_job("flaky", hook.url(), retry=RetryPolicy(max_attempts=3, backoff_seconds=10)))
    with time_machine.travel(NOW, tick=False):
        task = tasks.run_now("flaky")
        assert _deliver(task) is TaskStatus.QUEUED

    waiting = store.get_task("flaky", task.id)
    assert waiting.attempt == 2 and waiting.message.startswith("attempt 1 of 3 failed: step 1 (http.webhook)")
    assert NOW + timedelta(seconds=5) <= waiting.not_before <= NOW + timedelta(seconds=10)  # equal jitter of 10 s
    assert any("will retry (attempt 2 of 3)" in line.message for line in waiting.logs)
    assert store.get_job("flaky").running == 0  # the seat is not held through the backoff

    with time_machine.travel(NOW + timedelta(seconds=2), tick=False):
        assert _deliver(task) is None  # early: sent again for the rest of its backoff, nothing run
    assert len(hook.requests) == 1
    hook.status = 200
    with time_machine.travel(NOW + timedelta(seconds=11), tick=False):
        assert _deliver(task) is TaskStatus.FINISHED
    done = store.get_task("flaky", task.id)
    assert (done.attempt, len(hook.requests)) == (2, 2)
    assert inbox.messages() == []  # it succeeded in the end: nobody is told it failed


def test_the_last_attempt_fails_for_good_and_only_then_notifies(aws, run_queue, hook, inbox):
    jobs.create(_webhook_job("down", hook.url(), retry=RetryPolicy(max_attempts=3, backoff_seconds=1)))
    task = tasks.run_now("down")
    statuses = []
    for attempt in range(3):
        with time_machine.travel(datetime.now(UTC) + timedelta(seconds=10 * (attempt + 1)), tick=False):
            statuses.append(_deliver(task))
        if attempt < 2:
            assert inbox.messages() == []
    assert statuses == [TaskStatus.QUEUED, TaskStatus.QUEUED, TaskStatus.ERROR]
    final = store.get_task("down", task.id)
    assert final.attempt == 3 and final.message.endswith("(attempt 3 of 3, no attempt left)")
    [published] = inbox.messages()
    assert published["MessageAttributes"]["status"]["Value"] == "ERROR"
    assert json.loads(published["Message"])["task"]["attempt"] == 3


def test_an_error_not_marked_retryable_is_not_retried(aws, run_queue, hook):
    hook.status = 404
    jobs.create(_webhook_job("wrong-url", hook.url(), retry=RetryPolicy(max_attempts=5)))
    task = tasks.run_now("wrong-url")
    assert _deliver(task) is TaskStatus.ERROR
    final = store.get_task("wrong-url", task.id)
    assert final.attempt == 1 and final.message.endswith("(attempt 1 of 5, not retryable)")
    assert len(hook.requests) == 1


# ------------------------------------------------------------------ timeouts


def _clock_advancing(monkeypatch, seconds_per_call: float) -> None:
    ticks = itertools.count(0.0, seconds_per_call)
    monkeypatch.setattr(execution, "clock", lambda: next(ticks))


def test_a_task_past_its_jobs_timeout_ends_interrupted_saying_so(aws, run_queue, monkeypatch, inbox):
    steps = [ActionStep("log.message", {"message": f"step {i}"}) for i in range(3)]
    jobs.create(make_job("slow", None, actions=steps, timeout_seconds=60))
    task = tasks.run_now("slow")
    _clock_advancing(monkeypatch, 25)
    assert _deliver(task) is TaskStatus.INTERRUPTED
    final = store.get_task("slow", task.id)
    assert "timed out: the job's 60 s timeout passed" in final.message
    assert store.get_job("slow").running == 0
    [published] = inbox.messages()  # a timeout is a failure: it is announced
    assert published["MessageAttributes"]["status"]["Value"] == "INTERRUPTED"


def test_a_step_past_its_own_timeout_ends_the_task_interrupted(aws, run_queue, monkeypatch, s3, bucket):
    for i in range(4):
        s3.put_object(Bucket=bucket, Key=f"in/{i}.txt", Body=b"x")
    copy_step = ActionStep("tree.copy", {"prefix": "in/", "destination": "out/"}, timeout_seconds=30)
    jobs.create(make_job("copier", None, actions=[copy_step]))
    task = tasks.run_now("copier")
    _clock_advancing(monkeypatch, 10)
    assert _deliver(task) is TaskStatus.INTERRUPTED
    assert store.get_task("copier", task.id).message == "step 1 (tree.copy): timed out: the step's 30 s timeout passed"


# ------------------------------------------------------------------ pause after failures


def test_a_job_failing_n_times_in_a_row_is_paused_until_enabled(aws, run_queue, hook):
    hook.status = 404
    jobs.create(_webhook_job("fragile", hook.url(), pause_after_failures=2))
    assert _deliver(tasks.run_now("fragile")) is TaskStatus.ERROR
    hook.status = 200
    assert _deliver(tasks.run_now("fragile")) is TaskStatus.FINISHED  # a success starts the count afresh
    hook.status = 404
    assert _deliver(tasks.run_now("fragile")) is TaskStatus.ERROR
    assert store.get_job("fragile").enabled
    assert _deliver(tasks.run_now("fragile")) is TaskStatus.ERROR

    paused = store.get_job("fragile")
    assert not paused.enabled and paused.paused_reason == "suspended after 2 failed runs in a row"
    assert store.list_audit(job_id="fragile").items[0].action == "job.suspend"
    listed = Api()("GET", "/jobs/fragile").json()
    assert (listed["enabled"], listed["paused_reason"], listed["failures_in_row"]) == (False, paused.paused_reason, 2)

    enabled = jobs.set_enabled("fragile", True)
    assert enabled.enabled and enabled.paused_reason is None and store.get_job("fragile").failures_in_row == 0


# ------------------------------------------------------------------ backfill


def test_backfill_runs_each_missed_slot_once_oldest_first(aws, run_queue):
    api = Api()
    jobs.create(make_job("hourly", "0 * * * *"))
    body = {"start": "2026-11-25T00:00:00Z", "end": "2026-11-25T03:00:00Z"}
    with time_machine.travel(NOW, tick=False):
        reply = api("POST", "/jobs/hourly/backfill", body)
        assert reply.status == 202, reply
        queued = reply.json()["queued"]
        assert [t["scheduled_for"][:16] for t in queued] == ["2026-11-25T00:00", "2026-11-25T01:00", "2026-11-25T02:00"]
        assert {t["trigger"]["type"] for t in queued} == {"backfill"} and reply.json()["already_ran"] == 0
        assert {t["overlap"] for t in queued} == {"buffer_all"}
        again = api("POST", "/jobs/hourly/backfill", {**body, "end": "2026-11-25T04:00:00Z"}).json()
        assert (len(again["queued"]), again["already_ran"]) == (1, 3)  # a slot is backfilled once
        statuses = [runner.run_message(m["Body"]) for m in run_queue.receive()]
    assert statuses == [TaskStatus.FINISHED] * 4
    history = store.list_tasks("hourly")
    assert sorted(t.started_at for t in history) == [t.started_at for t in sorted(history, key=lambda t: t.id)]


def test_backfill_skips_slots_the_schedule_ran_already(aws, run_queue):
    from jobdeck import tick

    jobs.create(make_job("hourly", "0 * * * *"), now=at("2026-11-25T00:30:00Z"))
    with time_machine.travel(at("2026-11-25T00:59:30Z"), tick=False):
        tick.tick()  # claims the 01:00 slot
    with time_machine.travel(NOW, tick=False):
        queued, already = tasks.backfill("hourly", at("2026-11-25T00:00:00Z"), at("2026-11-25T03:00:00Z"))
    assert [t.scheduled_for.hour for t in queued] == [0, 2] and already == 1


@pytest.mark.parametrize(
    ("body", "field", "problem"),
    [
        ({"start": "2026-11-25T03:00:00Z", "end": "2026-11-25T00:00:00Z"}, "body.end", "must be after start"),
        ({"start": "2026-11-25T00:00:00Z", "end": "2026-11-26T00:00:00Z"}, "body.end", "must not be in the future"),
        ({"start": "2026-01-01T00:00:00Z", "end": "2026-11-25T00:00:00Z"}, "body.end", "more than 1000 slots"),
        ({"start": "2026-11-25T00:00:00", "end": "2026-11-25T03:00:00Z"}, "body.start", "timezone"),
    ],
)
def test_backfill_refuses_a_range_it_cannot_run_saying_why_and_queues_nothing(aws, run_queue, body, field, problem):
    jobs.create(make_job("hourly", "0 * * * *"))
    with time_machine.travel(NOW, tick=False):
        reply = Api()("POST", "/jobs/hourly/backfill", body)
    assert reply.status == 422, reply
    assert any(e["field"] == field and problem in e["problem"] for e in reply.json()["errors"]), reply
    assert store.list_tasks("hourly") == [] and run_queue.receive() == []


# ------------------------------------------------------------------ pause, resume, hand-over


@pytest.fixture
def five_objects(s3, bucket):
    for i in range(5):
        s3.put_object(Bucket=bucket, Key=f"in/{i}.txt", Body=f"object {i}".encode())
    jobs.create(make_job("copier", None, actions=[ActionStep("tree.copy", {"prefix": "in/", "destination": "out/"})]))


def _keys(s3, bucket, prefix):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))


def test_a_paused_task_keeps_its_place_and_resume_continues_from_there(aws, run_queue, five_objects, s3, bucket):
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(execution, "PROGRESS_EVERY_SECONDS", 0.0)  # every item saves, and reads the request
    api = Api()
    task = tasks.run_now("copier")
    [message] = run_queue.receive()
    original = store.start_task

    def start_then_pause(task, at, job, *saw):  # the user clicks Pause right after the task starts
        started = original(task, at, job, *saw)
        assert api("POST", f"/jobs/copier/tasks/{task.id}/pause").status == 202
        return started

    monkeypatch.setattr(store, "start_task", start_then_pause)
    assert runner.run_message(message["Body"]) is TaskStatus.PAUSED
    monkeypatch.undo()

    paused = store.get_task("copier", task.id)
    assert paused.message == "paused by admin" and paused.resume == {"step": 0, "nodes": [], "state": {"done": 1}}
    assert paused.progress == pytest.approx(0.2) and store.get_job("copier").running == 0
    assert _keys(s3, bucket, "out/") == ["out/0.txt"]
    s3.delete_object(Bucket=bucket, Key="out/0.txt")  # if resume started over, this copy would come back

    assert api("POST", f"/jobs/copier/tasks/{task.id}/resume").status == 202
    assert api("POST", f"/jobs/copier/tasks/{task.id}/resume").status == 409  # queued now, not paused
    [message] = run_queue.receive()
    assert runner.run_message(message["Body"]) is TaskStatus.FINISHED
    done = store.get_task("copier", task.id)
    assert _keys(s3, bucket, "out/") == [f"out/{i}.txt" for i in range(1, 5)]
    assert done.progress == 1.0 and any(line.message == "continuing at step 1, attempt 1" for line in done.logs)


def test_pause_is_refused_for_a_task_that_is_not_running(aws, run_queue, five_objects):
    task = tasks.run_now("copier")
    reply = Api()("POST", f"/jobs/copier/tasks/{task.id}/pause")
    assert reply.status == 409 and "only a RUNNING task can be paused" in reply.json()["message"]


def test_a_long_action_hands_over_to_new_invocations_and_finishes_as_the_same_task(
    aws, run_queue, five_objects, s3, bucket
):
    task = tasks.run_now("copier")
    invocations = 0
    while messages := run_queue.receive():
        for message in messages:
            invocations += 1
            # Ten seconds left in every invocation: each does one item, then hands over.
            runner.run_message(message["Body"], time_left=lambda: 10.0)
    done = store.get_task("copier", task.id)
    assert done.status is TaskStatus.FINISHED and done.attempt == 1
    assert invocations == 5 and _keys(s3, bucket, "out/") == [f"out/{i}.txt" for i in range(5)]
    assert [t.id for t in store.list_tasks("copier")] == [task.id]
    assert store.get_job("copier").running == 0


# ------------------------------------------------------------------ dead letters


def test_a_message_failing_every_delivery_reaches_the_dlq_and_its_task_says_why(aws, run_queue, monkeypatch):
    sqs = boto3.client("sqs")
    sqs.set_queue_attributes(QueueUrl=run_queue.url, Attributes={"VisibilityTimeout": "0"})
    jobs.create(make_job("doomed", None))
    task = tasks.run_now("doomed")

    def unreachable(*args, **kwargs):
        raise ConnectionError("DynamoDB unreachable")

    monkeypatch.setattr(overlap, "admit", unreachable)
    handler, context = load_handler("RunnerFunction"), LambdaContext.for_function("RunnerFunction")
    failures = []
    for _ in range(10):
        messages = sqs.receive_message(QueueUrl=run_queue.url, AttributeNames=["All"]).get("Messages", [])
        if not messages:
            break
        event = copy.deepcopy(sample("runner-sqs"))
        record = event["Records"][0]
        record.update(messageId=messages[0]["MessageId"], body=messages[0]["Body"])
        record["attributes"].update(messages[0]["Attributes"])
        failures.append(handler(event, context)["batchItemFailures"])

    assert len(failures) == 5 and all(f == [{"itemIdentifier": record["messageId"]}] for f in failures)
    [dead] = sqs.receive_message(QueueUrl=aws.queues["RunDeadLetterQueue"]).get("Messages", [])
    assert json.loads(dead["Body"])["task_id"] == task.id
    final = store.get_task("doomed", task.id)
    assert final.status is TaskStatus.ERROR
    assert final.message == "gave up after 5 deliveries: ConnectionError: DynamoDB unreachable"


# ------------------------------------------------------------------ the wait line


def test_a_stopped_waiting_run_leaves_the_line_and_the_next_one_moves_up(aws, run_queue):
    from jobdeck.domain import Overlap

    jobs.create(make_job("serial", None, overlap=Overlap.BUFFER_ALL))
    first, second, third = (tasks.run_now("serial") for _ in range(3))
    run_queue.receive()
    assert overlap.admit(store.get_job("serial"), store.get_task("serial", first.id))  # takes the one slot
    for waiting in (second, third):
        assert not overlap.admit(store.get_job("serial"), store.get_task("serial", waiting.id))
    assert store.get_job("serial").waiting == [second.id, third.id]

    tasks.stop("serial", second.id)
    assert store.get_job("serial").waiting == [third.id]
    assert run_queue.receive() == []  # the slot is still taken: nobody is woken
    store.finish_task(store.get_task("serial", first.id), 30)
    overlap.release("serial")
    [wake_up] = run_queue.bodies()
    assert wake_up["task_id"] == third.id


def test_cancel_other_with_two_slots_stops_the_oldest_run_not_yet_asked(aws, run_queue):
    from jobdeck.domain import Overlap

    jobs.create(make_job("newest-wins", None, overlap=Overlap.CANCEL_OTHER, max_concurrency=2))
    first, second, third, fourth = (tasks.run_now("newest-wins") for _ in range(4))
    run_queue.receive()
    for at_second, task in enumerate((first, second)):
        with time_machine.travel(NOW + timedelta(seconds=at_second), tick=False):
            assert overlap.admit(store.get_job("newest-wins"), store.get_task("newest-wins", task.id))
    assert not overlap.admit(store.get_job("newest-wins"), store.get_task("newest-wins", third.id))
    assert store.get_task("newest-wins", first.id).stop_requested_by.startswith("overlap policy cancel_other")
    assert store.get_task("newest-wins", second.id).stop_requested_by is None
    assert not overlap.admit(store.get_job("newest-wins"), store.get_task("newest-wins", fourth.id))
    assert store.get_task("newest-wins", second.id).stop_requested_by is not None  # the next oldest
    superseded = store.get_task("newest-wins", third.id)
    assert superseded.status is TaskStatus.SKIPPED and f"superseded by run {fourth.id}" in superseded.message
    assert store.get_job("newest-wins").waiting == [fourth.id]
