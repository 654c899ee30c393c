"""Overlap policies under 10 concurrent triggers, as docs/policies.md documents them.

Each test queues 10 runs of one job (Run Now, 10 times) and delivers the 10 messages on 10 runner
threads while the first run holds its seat (the `faults.hold` action waits until the test lets go).
moto is made serializable for the threads (`serialize_dynamodb`, and SQS one request at a time):
each DynamoDB request is atomic, as in DynamoDB, and the threads interleave between requests in
whatever order the scheduler picks. Two ways of arriving:

- `ordered`: each trigger is delivered once the previous one reached its decision (it started, or
  it waits, or it was skipped): the order of arrival is known, so the tests can name which run does
  what.
- `racing`: the 10 deliveries are released at the same instant; the outcome must still be one the
  policy allows (read against the job's line as the test saw it once every trigger had arrived).

Then the test lets go and drains RunQueue (the wake-ups of waiting runs) with several threads,
and checks how every run ended, the order and overlap of the runs (from the action's own ledger),
the RUNNING tasks seen at each start, and that the job's seats are back to `running` 0 and an
empty line.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from jobdeck import execution, jobs, notify, overlap, runner, store, tasks
from jobdeck.domain import ActionStep, Job, Overlap, Task, TaskStatus
from jobdeck_local.moto_quirks import serialize_dynamodb
from tests.harness import WAIT_SECONDS, Ledger, Poller, registered_actions, serialized_sqs
from tests.support import make_job

TRIGGERS = 10
JOB = "overlapping"


@pytest.fixture
def ledger(aws, monkeypatch) -> Iterator[Ledger]:
    serialize_dynamodb()
    monkeypatch.setattr(execution, "PROGRESS_EVERY_SECONDS", 0.0)  # every progress report reads stop requests
    with registered_actions() as ledger, serialized_sqs():
        yield ledger


@pytest.fixture
def failures(monkeypatch) -> list[tuple[str, TaskStatus]]:
    """The failure notifications the runner sends (task id, status)."""
    sent: list[tuple[str, TaskStatus]] = []
    real = notify.task_failed

    def spy(job, task, settings=None):
        sent.append((task.id, task.status))
        real(job, task, settings)

    monkeypatch.setattr(notify, "task_failed", spy)
    return sent


@dataclass
class Outcome:
    triggers: list[str]  # task ids, in the order the triggers were made
    line: list[str]  # the job's line once every trigger had arrived
    running: int  # the job's `running` then
    holders: list[str]  # the runs holding a seat then, in the order they started
    ended: dict[str, Task]  # every task, as it ended


def _job(policy: Overlap, limit: int | None = None) -> Job:
    return make_job(JOB, None, actions=[ActionStep("faults.hold")], overlap=policy, max_concurrency=limit)


def _trigger_and_run(ledger: Ledger, run_queue, mode: str) -> Outcome:
    triggers = [tasks.run_now(JOB).id for _ in range(TRIGGERS)]
    poller = Poller(run_queue.url)
    by_task = {json.loads(m["Body"])["task_id"]: m for m in poller.receive(visibility=600)}
    assert sorted(by_task) == sorted(triggers)
    messages = [by_task[task_id] for task_id in triggers]
    store.get_task(JOB, triggers[0])  # PynamoDB makes each model's client on first use: once, not per thread

    start = threading.Barrier(TRIGGERS)

    def deliver(index: int) -> None:
        if mode == "racing":
            start.wait(WAIT_SECONDS)
        poller.deliver(messages[index], again_at_once=True)
        ledger.arrive(triggers[index])

    threads = [threading.Thread(target=deliver, args=(i,), daemon=True) for i in range(TRIGGERS)]
    for index, thread in enumerate(threads):
        thread.start()
        if mode == "ordered":
            _wait_for(lambda i=index: ledger.has_arrived(triggers[i]), "trigger {index} to arrive")
    _wait_for(lambda: ledger.has_arrived(*triggers), "every trigger to arrive")

    job = store.get_job(JOB)
    assert job is not None
    holders = ledger.starts(JOB)
    ledger.gate.set()
    for thread in threads:
        thread.join(WAIT_SECONDS)
        assert not thread.is_alive()
    poller.drain(threads=4)  # the wake-ups, and deliveries that failed (none expected)

    assert [str(d.error) for d in poller.failures] == []
    ended = {task_id: task for task_id in triggers if (task := store.get_task(JOB, task_id)) is not None}
    assert ended.keys() == set(triggers), "a triggered task is gone"
    final = store.get_job(JOB)
    assert final is not None
    assert (final.running, final.waiting) == (0, []), "the job's seats drifted"
    assert max(ledger.running_seen.get(JOB, [0])) <= final.concurrency_limit
    return Outcome(triggers, job.waiting, job.running, holders, ended)


def _wait_for(condition, what: str) -> None:
    deadline = threading.Event()
    for _ in range(int(WAIT_SECONDS * 100)):
        if condition():
            return
        deadline.wait(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def _statuses(outcome: Outcome) -> dict[TaskStatus, list[str]]:
    by: dict[TaskStatus, list[str]] = {}
    for task_id in outcome.triggers:
        by.setdefault(outcome.ended[task_id].status, []).append(task_id)
    return by


MODES = ["ordered", "racing"]


@pytest.mark.parametrize("mode", MODES)
def test_skip_runs_one_and_skips_nine_saying_why(ledger, run_queue, mode):
    jobs.create(_job(Overlap.SKIP))
    outcome = _trigger_and_run(ledger, run_queue, mode)

    statuses = _statuses(outcome)
    assert len(statuses[TaskStatus.FINISHED]) == 1 and len(statuses[TaskStatus.SKIPPED]) == 9
    assert statuses[TaskStatus.FINISHED] == outcome.holders
    for task_id in statuses[TaskStatus.SKIPPED]:
        assert outcome.ended[task_id].message == "skipped: 1 of 1 seats taken (overlap policy skip)"
    assert ledger.starts(JOB) == outcome.holders  # the skipped ones never ran
    assert (outcome.running, outcome.line) == (1, [])
    if mode == "ordered":
        assert outcome.holders == outcome.triggers[:1]


@pytest.mark.parametrize("mode", MODES)
def test_buffer_one_runs_two_one_after_the_other_and_skips_eight(ledger, run_queue, mode):
    jobs.create(_job(Overlap.BUFFER_ONE))
    outcome = _trigger_and_run(ledger, run_queue, mode)

    statuses = _statuses(outcome)
    assert len(statuses[TaskStatus.FINISHED]) == 2 and len(statuses[TaskStatus.SKIPPED]) == 8
    [waiter] = outcome.line
    assert ledger.starts(JOB) == [*outcome.holders, waiter]
    assert ledger.max_at_once(JOB) == 1
    for task_id in statuses[TaskStatus.SKIPPED]:
        reason = f"skipped: run {waiter} already waits (overlap policy buffer_one)"
        assert outcome.ended[task_id].message == reason
    if mode == "ordered":
        assert [*outcome.holders, waiter] == outcome.triggers[:2]


@pytest.mark.parametrize("mode", MODES)
def test_buffer_all_runs_all_ten_one_at_a_time_in_arrival_order(ledger, run_queue, mode):
    jobs.create(_job(Overlap.BUFFER_ALL))
    outcome = _trigger_and_run(ledger, run_queue, mode)

    assert all(task.status is TaskStatus.FINISHED for task in outcome.ended.values())
    assert len(outcome.holders) == 1 and len(outcome.line) == 9
    assert ledger.starts(JOB) == [*outcome.holders, *outcome.line]  # first come, first started
    assert ledger.max_at_once(JOB) == 1
    assert max(ledger.running_seen[JOB]) == 1
    if mode == "ordered":
        assert ledger.starts(JOB) == outcome.triggers


@pytest.mark.parametrize("mode", MODES)
def test_cancel_other_stops_the_running_one_and_only_the_newest_runs(ledger, run_queue, failures, mode):
    jobs.create(_job(Overlap.CANCEL_OTHER))
    outcome = _trigger_and_run(ledger, run_queue, mode)

    statuses = _statuses(outcome)
    [first] = outcome.holders
    [newest] = outcome.line
    assert statuses[TaskStatus.INTERRUPTED] == [first]
    assert outcome.ended[first].message.startswith("stopped by overlap policy cancel_other (run ")
    assert statuses[TaskStatus.FINISHED] == [newest]
    assert len(statuses[TaskStatus.SKIPPED]) == 8
    for task_id in statuses[TaskStatus.SKIPPED]:
        message = outcome.ended[task_id].message
        assert message.startswith("skipped: superseded by run ") and message.endswith("(overlap policy cancel_other)")
    assert ledger.starts(JOB) == [first, newest]
    assert [run.outcome for run in ledger.of(JOB)] == ["stopped", "done"]
    assert ledger.max_at_once(JOB) == 1
    assert failures == []  # stopped on purpose: not a failure to announce
    if mode == "ordered":
        assert (first, newest) == (outcome.triggers[0], outcome.triggers[-1])


@pytest.mark.parametrize("mode", MODES)
def test_allow_all_with_max_concurrency_3_runs_all_ten_never_more_than_3_at_once(ledger, run_queue, mode):
    jobs.create(_job(Overlap.ALLOW_ALL, limit=3))
    outcome = _trigger_and_run(ledger, run_queue, mode)

    assert all(task.status is TaskStatus.FINISHED for task in outcome.ended.values())
    assert (outcome.running, len(outcome.holders), len(outcome.line)) == (3, 3, 7)
    assert sorted(ledger.starts(JOB)) == sorted(outcome.triggers)  # each ran, once
    assert ledger.max_at_once(JOB) == 3
    assert max(ledger.running_seen[JOB]) == 3  # RUNNING tasks in the index, at each start
    assert max(ledger.counter_seen[JOB]) == 3  # and the job's own count
    if mode == "ordered":
        assert ledger.starts(JOB) == outcome.triggers


def test_a_run_arriving_while_a_freed_seat_awaits_the_first_in_line_waits_behind_it(ledger, run_queue):
    """The seat a run gives back belongs to the first in line until its wake-up arrives: a run that
    comes meanwhile joins the line (it used to find neither a seat nor a place, round after round)."""
    jobs.create(make_job(JOB, None, actions=[ActionStep("faults.count")], overlap=Overlap.BUFFER_ALL))
    first, second, third = (tasks.run_now(JOB) for _ in range(3))
    poller = Poller(run_queue.url)
    messages = {json.loads(m["Body"])["task_id"]: m for m in poller.receive(visibility=600)}
    assert store.start_task(first, first.created_at, store.get_job(JOB)) is store.Outcome.DONE  # a runner runs it
    assert poller.deliver(messages[second.id])  # no seat: it waits
    first.status, first.ended_at = TaskStatus.FINISHED, first.created_at
    # The seat is free, and the finish says someone waits: the wake-up of `second` is on its way.
    assert store.finish_task(first, 30) is store.Freed.SOMEONE_WAITS

    assert poller.deliver(messages[third.id]), poller.failures
    job = store.get_job(JOB)
    assert (job.running, job.waiting) == (0, [second.id, third.id])

    overlap.release(JOB)  # the wake-up `first`'s runner sends once it recorded its end
    poller.drain()
    assert ledger.starts(JOB) == [second.id, third.id]
    assert [store.get_task(JOB, t.id).status for t in (second, third)] == [TaskStatus.FINISHED] * 2
    final = store.get_job(JOB)
    assert (final.running, final.waiting) == (0, [])


def test_a_run_nobody_waits_for_gives_its_seat_back_without_reading_its_job_again(ledger, run_queue, monkeypatch):
    """The finish is written on the condition that the line is empty: the common case learns there
    is no one to wake from the write itself, so the job is read once per run (at its start)."""
    jobs.create(make_job(JOB, None, actions=[ActionStep("faults.count")], overlap=Overlap.BUFFER_ALL))
    task = tasks.run_now(JOB)
    reads: list[str] = []
    real, real_together = store.get_job, store.get_task_and_job

    def counted(job_id: str) -> Job | None:
        reads.append(job_id)
        return real(job_id)

    def counted_together(job_id: str, task_id: str) -> tuple[Task | None, Job | None]:
        reads.append(job_id)  # the run's one read: its task and its job
        return real_together(job_id, task_id)

    monkeypatch.setattr(store, "get_job", counted)
    monkeypatch.setattr(store, "get_task_and_job", counted_together)
    assert runner.run_task(JOB, task.id) is TaskStatus.FINISHED
    assert reads == [JOB]
    job = real(JOB)
    assert (job.running, job.waiting) == (0, [])
    done = store.get_task(JOB, task.id)
    done.status = TaskStatus.RUNNING  # as another delivery would see it, had this one not ended it
    assert not store.finish_task(done, 30)  # already ended: MOVED, falsy
    assert store.finish_task(done, 30) is store.Freed.MOVED
