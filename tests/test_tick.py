"""The tick: only due jobs, each slot claimed once, delivered to the second, misfires per policy."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from jobdeck import clients, jobs, store
from jobdeck import run_queue as queue_messages  # the `run_queue` fixture is the queue itself
from jobdeck import tick as tick_module
from jobdeck.domain import Misfire, TaskStatus, slot_task_id
from jobdeck.errors import InvalidSchedule
from jobdeck.tick import TickFailed, tick
from tests.support import at, make_job


def test_tick_fires_only_due_jobs_and_advances_them(aws, run_queue):
    now = at("2026-11-25T10:00:00Z")
    jobs.create(make_job("every-5", "*/5 * * * *"), now=now - timedelta(minutes=1))
    jobs.create(make_job("daily", "0 3 * * *"), now=now - timedelta(minutes=1))
    jobs.create(make_job("manual-only", None), now=now)

    report = tick(now=now)

    assert (report.due, report.claimed, report.queued) == (1, 1, 1)
    assert run_queue.bodies() == [{"job_id": "every-5", "task_id": slot_task_id("every-5", now)}]
    [task] = store.list_tasks("every-5")
    assert task.status is TaskStatus.QUEUED and task.scheduled_for == now
    job = store.get_job("every-5")
    assert job.next_fire_at == now + timedelta(minutes=5)
    assert job.last_task.id == task.id and job.last_task.status is TaskStatus.QUEUED
    assert store.list_tasks("daily") == []


def test_slot_within_the_next_minute_is_delayed_to_its_second(aws, run_queue):
    created = at("2026-11-25T09:59:00Z")
    jobs.create(make_job("r", "R/2026-11-25T10:00:42Z/PT1H"), now=created)
    with time_machine.travel(at("2026-11-25T10:00:00Z"), tick=False) as clock:
        report = tick()
        assert report.queued == 1
        assert run_queue.receive() == []  # not before its second
        clock.shift(timedelta(seconds=43))
        assert run_queue.bodies() == [{"job_id": "r", "task_id": slot_task_id("r", at("2026-11-25T10:00:42Z"))}]


def test_a_message_sent_late_in_a_long_tick_is_still_delayed_to_its_slot(aws, run_queue, monkeypatch):
    """The delay of each message counts from when it is sent, not from when the tick began: a tick
    over many jobs takes seconds, and the last jobs' runs would start that much after their slot."""
    jobs.create(make_job("late-sent", "R/2026-11-25T10:00:42Z/PT1H"), now=at("2026-11-25T09:59:00Z"))
    seconds = [0.0]
    monkeypatch.setattr(tick_module, "clock", lambda: seconds[0])
    real_claim = store.claim_slots
    with time_machine.travel(at("2026-11-25T10:00:00Z"), tick=False) as travel:

        def slow_claim(job, *rest):  # the claims before the send took three seconds
            seconds[0] += 3
            travel.shift(timedelta(seconds=3))
            return real_claim(job, *rest)

        monkeypatch.setattr(store, "claim_slots", slow_claim)
        assert tick().queued == 1
        travel.shift(timedelta(seconds=38))  # 10:00:41
        assert run_queue.receive() == []
        travel.shift(timedelta(seconds=2))  # 10:00:43, not 10:00:45
        assert [body["job_id"] for body in run_queue.bodies()] == ["late-sent"]


def test_the_tick_sends_ten_claimed_tasks_per_request(aws, run_queue):
    now = at("2026-11-25T10:00:00Z")
    for n in range(25):
        jobs.create(make_job(f"job-{n:02}", "*/5 * * * *"), now=now - timedelta(minutes=1))
    batches: list[int] = []
    clients.sqs().meta.events.register(
        "provide-client-params.sqs.SendMessageBatch", lambda params, **_: batches.append(len(params["Entries"]))
    )

    assert tick(now=now).queued == 25

    assert batches == [10, 10, 5]
    assert sorted(body["job_id"] for body in run_queue.bodies()) == [f"job-{n:02}" for n in range(25)]


def test_two_ticks_racing_for_the_same_slot_create_one_task(aws, run_queue, monkeypatch):
    now = at("2026-11-25T10:00:00Z")
    jobs.create(make_job("race", "*/5 * * * *"), now=now - timedelta(seconds=30))
    # Both ticks read the due job before either claims it (the race); then both try to claim.
    # (Done in sequence: moto's transactions are not safe across threads, DynamoDB's are.)
    seen = store.due_jobs(now + timedelta(minutes=1))
    monkeypatch.setattr(store, "due_jobs", lambda until: seen)

    first, second = tick(now=now), tick(now=now)

    assert (first.claimed, second.claimed, second.lost_races) == (1, 0, 1)
    assert [t.scheduled_for for t in store.list_tasks("race")] == [now]
    assert len(run_queue.bodies()) == 1
    assert store.get_job("race").next_fire_at == now + timedelta(minutes=5)


def test_missed_slots_with_skip_run_the_newest_within_grace_once(aws, run_queue):
    created = at("2026-11-25T09:00:00Z")
    jobs.create(make_job("skippy", "* * * * *", schedule_fields={"grace_seconds": 300}), now=created)
    now = at("2026-11-25T10:00:30Z")  # an hour of minutes missed

    report = tick(now=now)

    # 10:00 is the newest missed slot within the grace window; 10:01 is within the look-ahead
    tasks = store.list_tasks("skippy")
    assert sorted(t.scheduled_for for t in tasks) == [at("2026-11-25T10:00:00Z"), at("2026-11-25T10:01:00Z")]
    assert report.skipped_slots >= 4  # 09:55 .. 09:59 at least, dropped
    assert store.get_job("skippy").next_fire_at == at("2026-11-25T10:02:00Z")
    missed = slot_task_id("skippy", at("2026-11-25T10:00:00Z"))
    assert [m["task_id"] for m in run_queue.bodies()] == [missed]  # now; the other in 30 s


def test_missed_slots_older_than_grace_are_dropped(aws):
    jobs.create(make_job("late", "0 * * * *", schedule_fields={"grace_seconds": 60}), now=at("2026-11-25T06:30:00Z"))
    tick(now=at("2026-11-25T09:20:00Z"))
    assert store.list_tasks("late") == []
    assert store.get_job("late").next_fire_at == at("2026-11-25T10:00:00Z")


def test_catch_up_runs_every_missed_slot_within_its_window(aws, run_queue):
    fields = {"misfire": Misfire.CATCH_UP, "catch_up_seconds": 3 * 3600}
    jobs.create(make_job("catchy", "0 * * * *", schedule_fields=fields), now=at("2026-11-25T01:30:00Z"))

    tick(now=at("2026-11-25T09:20:00Z"))

    slots = sorted(t.scheduled_for for t in store.list_tasks("catchy"))
    assert slots == [at("2026-11-25T07:00:00Z"), at("2026-11-25T08:00:00Z"), at("2026-11-25T09:00:00Z")]
    assert len(run_queue.bodies()) == 3
    assert store.get_job("catchy").next_fire_at == at("2026-11-25T10:00:00Z")


def test_repetition_count_starts_at_the_first_real_run_not_the_old_start(aws):
    jobs.create(make_job("thrice", "R3/2012-01-01T00:00:00Z/PT10M"), now=at("2026-11-25T09:55:00Z"))
    for minute in range(0, 60, 10):
        tick(now=at("2026-11-25T10:00:00Z") + timedelta(minutes=minute))
    fired = sorted(t.scheduled_for for t in store.list_tasks("thrice"))
    assert fired == [at("2026-11-25T10:00:00Z"), at("2026-11-25T10:10:00Z"), at("2026-11-25T10:20:00Z")]
    job = store.get_job("thrice")
    assert job.next_fire_at is None and job.runs_fired == 3


def test_one_time_schedule_fires_once_and_leaves_the_due_index(aws):
    jobs.create(make_job("once", "at(2026-12-01T09:00:00)", "Europe/Paris"), now=at("2026-11-25T00:00:00Z"))
    assert store.get_job("once").next_fire_at == at("2026-12-01T08:00:00Z")
    tick(now=at("2026-12-01T08:00:00Z"))
    tick(now=at("2026-12-01T08:01:00Z"))
    assert len(store.list_tasks("once")) == 1
    assert store.due_jobs(at("2030-01-01T00:00:00Z")) == []


def test_disabled_job_is_not_due_and_enable_resumes_from_now(aws):
    jobs.create(make_job("pausable", "*/5 * * * *"), now=at("2026-11-25T09:00:00Z"))
    jobs.set_enabled("pausable", False, now=at("2026-11-25T09:01:00Z"))
    tick(now=at("2026-11-25T09:05:00Z"))
    assert store.list_tasks("pausable") == []

    enabled = jobs.set_enabled("pausable", True, now=at("2026-11-25T11:02:00Z"))
    assert enabled.next_fire_at == at("2026-11-25T11:05:00Z")  # nothing replayed from the off time
    assert enabled.version == 3


@pytest.mark.parametrize(
    ("local_night", "expected", "next_day"),
    [
        # 02:30 does not exist on 29 March: it runs at 03:00 CEST, right after the gap
        ("2026-03-28T23:00:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"),
        # 02:30 happens twice on 25 October: it runs at the first one only
        ("2026-10-24T22:00:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"),
    ],
)
def test_daily_job_in_paris_runs_once_on_dst_days(aws, local_night, expected, next_day):
    midnight = at(local_night)  # 00:00 in Paris
    jobs.create(make_job("nightly", "30 2 * * *", "Europe/Paris"), now=midnight - timedelta(hours=1))
    for minute in range(0, 5 * 60):  # a tick every minute from 00:00 to 05:00 local, as the rule does
        tick(now=midnight + timedelta(minutes=minute))
    fired = [t.scheduled_for for t in store.list_tasks("nightly")]
    assert fired == [at(expected)]
    assert store.get_job("nightly").next_fire_at == at(next_day)  # nothing else that day


def test_invalid_schedule_is_refused_naming_the_expression_and_nothing_is_stored(aws):
    with pytest.raises(InvalidSchedule, match=r"'61 \* \* \* \*'.*minute"):
        jobs.create(make_job("broken", "61 * * * *"))
    with pytest.raises(InvalidSchedule, match="Mars/Base"):
        jobs.create(make_job("zoneless", "0 * * * *", "Mars/Base"))
    assert store.get_job("broken") is None and store.get_job("zoneless") is None


def test_a_lost_message_is_sent_again_once_after_five_minutes(aws, run_queue):
    now = at("2026-11-25T10:00:00Z")
    jobs.create(make_job("lossy", "0 * * * *"), now=now - timedelta(minutes=1))
    tick(now=now)
    run_queue.receive()  # the message is lost: nobody runs the task

    redelivered = [tick(now=now + timedelta(minutes=m)).redelivered for m in range(1, 9)]

    assert redelivered == [0, 0, 0, 0, 0, 1, 0, 0]  # at 10:06, the first tick past five minutes
    assert run_queue.bodies() == [{"job_id": "lossy", "task_id": slot_task_id("lossy", now)}]


def test_tasks_claimed_but_not_sent_fail_the_tick_and_are_sent_by_a_later_one(aws, run_queue, monkeypatch):
    """A send refused after the claims: the tick fails (EventBridge retries it, the slots are not
    claimed twice) and the stale-task redelivery sends what was claimed five minutes on."""
    now = at("2026-11-25T10:00:00Z")
    jobs.create(make_job("unsent", "0 * * * *"), now=now - timedelta(minutes=1))

    def refused(tasks, at, settings=None):
        raise queue_messages.SendError("RunQueue refused the batch")

    with monkeypatch.context() as patched:
        patched.setattr(queue_messages, "send", refused)
        with pytest.raises(TickFailed, match="1 failures over 1 due jobs"):
            tick(now=now)
    assert [t.status for t in store.list_tasks("unsent")] == [TaskStatus.QUEUED]
    assert run_queue.bodies() == []

    assert tick(now=now + timedelta(minutes=1)).queued == 0  # claimed once, not again
    assert [tick(now=now + timedelta(minutes=m)).redelivered for m in range(2, 7)] == [0, 0, 0, 0, 1]
    assert run_queue.bodies() == [{"job_id": "unsent", "task_id": slot_task_id("unsent", now)}]


def test_due_jobs_are_claimed_together_in_one_transaction(aws, run_queue, monkeypatch):
    now = at("2026-11-25T10:00:00Z")
    for n in range(30):
        jobs.create(make_job(f"job-{n:02}", "*/5 * * * *"), now=now - timedelta(minutes=1))
    together: list[int] = []
    alone: list[str] = []
    real_together, real_alone = store.claim_together, store.claim_slots
    monkeypatch.setattr(store, "claim_together", lambda claims: together.append(len(claims)) or real_together(claims))
    monkeypatch.setattr(store, "claim_slots", lambda job, *rest: alone.append(job.id) or real_alone(job, *rest))

    report = tick(now=now)

    assert (report.claimed, report.queued, report.lost_races) == (30, 30, 0)
    assert together == [25, 5] and alone == []  # two transactions for thirty jobs
    assert sorted(body["job_id"] for body in run_queue.bodies()) == [f"job-{n:02}" for n in range(30)]


def test_a_claim_refused_together_is_retried_job_by_job_and_each_slot_is_claimed_once(aws, run_queue, monkeypatch):
    """Another tick claimed one of the jobs between this tick's read and its claim: the transaction
    of all of them is refused (nothing written), then each job is claimed alone; the one already
    claimed is a lost race, the others run."""
    now = at("2026-11-25T10:00:00Z")
    names = ("first", "taken", "third")
    for job_id in names:
        jobs.create(make_job(job_id, "*/5 * * * *"), now=now - timedelta(seconds=30))
    seen = store.due_jobs(now + timedelta(minutes=1))
    monkeypatch.setattr(store, "due_jobs", lambda until: [j for j in seen if j.id == "taken"])
    assert tick(now=now).claimed == 1  # the other tick, first for "taken"
    monkeypatch.setattr(store, "due_jobs", lambda until: seen)
    outcomes: list[tuple[int, bool]] = []
    real_together = store.claim_together

    def together(claims):
        claimed = real_together(claims)
        outcomes.append((len(claims), claimed))
        return claimed

    monkeypatch.setattr(store, "claim_together", together)

    report = tick(now=now)

    assert outcomes == [(3, False)]
    assert (report.claimed, report.lost_races) == (2, 1)
    assert sorted(body["job_id"] for body in run_queue.bodies()) == sorted(names)  # each slot sent once
    assert {job_id: len(store.list_tasks(job_id)) for job_id in names} == dict.fromkeys(names, 1)


def test_a_group_claim_written_before_its_answer_was_lost_is_sent_not_counted_lost(aws, run_queue, monkeypatch):
    """The transaction of a group of claims went through, and then its answer was lost (a timeout
    after botocore's last retry): the tick does not know. Each job claimed alone is refused (its next
    run has moved), but its tasks are there: they are sent, and nothing reads as a lost race."""
    now = at("2026-11-25T10:00:00Z")
    names = ("one", "two", "three")
    for job_id in names:
        jobs.create(make_job(job_id, "*/5 * * * *"), now=now - timedelta(seconds=30))
    real_together = store.claim_together

    def written_then_lost(claims):
        assert real_together(claims)
        raise ConnectionError("read timeout: the answer was lost")

    monkeypatch.setattr(store, "claim_together", written_then_lost)

    report = tick(now=now)

    assert (report.claimed, report.lost_races, report.failed, report.queued) == (3, 0, 0, 3)
    assert sorted(body["job_id"] for body in run_queue.bodies()) == sorted(names)
    assert {job_id: len(store.list_tasks(job_id)) for job_id in names} == dict.fromkeys(names, 1)


def test_a_refused_send_leaves_only_its_own_tasks_to_the_redelivery(aws, run_queue, monkeypatch):
    now = at("2026-11-25T10:00:00Z")
    for n in range(25):
        jobs.create(make_job(f"job-{n:02}", "*/5 * * * *"), now=now - timedelta(minutes=1))
    real_send, sends = queue_messages.send, []

    def second_refused(tasks, at, settings=None):
        sends.append(len(tasks))
        if len(sends) == 2:
            raise queue_messages.SendError("RunQueue refused the batch")
        real_send(tasks, at, settings)

    monkeypatch.setattr(queue_messages, "send", second_refused)
    with pytest.raises(TickFailed, match="1 failures over 25 due jobs"):
        tick(now=now)

    assert sends == [10, 10, 5]  # the batch after the refused one was still sent
    sent = {body["job_id"] for body in run_queue.bodies()}
    assert len(sent) == 15
    unsent = [f"job-{n:02}" for n in range(25) if f"job-{n:02}" not in sent]
    assert all(store.list_tasks(job_id)[0].status is TaskStatus.QUEUED for job_id in unsent)  # for the redelivery


def test_a_lone_claim_written_before_its_answer_was_lost_is_sent(aws, run_queue, monkeypatch):
    """The same for a job claimed alone (the only one due, or retried alone): its tasks are there,
    so they are sent and the tick does not fail; a catch-up slot older than the redelivery window
    would otherwise stay QUEUED for good."""
    now = at("2026-11-25T10:00:00Z")
    jobs.create(make_job("alone", "*/5 * * * *"), now=now - timedelta(seconds=30))
    real_claim = store.claim_slots

    def written_then_lost(job, *rest):
        assert real_claim(job, *rest)
        raise ConnectionError("read timeout: the answer was lost")

    monkeypatch.setattr(store, "claim_slots", written_then_lost)

    report = tick(now=now)

    assert (report.claimed, report.failed, report.queued) == (1, 0, 1)
    assert [body["job_id"] for body in run_queue.bodies()] == ["alone"]


def test_claimed_tasks_are_sent_even_when_reading_the_due_jobs_fails_midway(aws, run_queue, monkeypatch):
    now = at("2026-11-25T10:00:00Z")
    for n in range(3):
        jobs.create(make_job(f"job-{n}", "*/5 * * * *"), now=now - timedelta(seconds=30))
    due = store.due_jobs(now + timedelta(minutes=1))

    def then_broken(until):
        yield from due[:2]
        raise ConnectionError("the due index's next page could not be read")

    monkeypatch.setattr(store, "due_jobs", then_broken)
    with pytest.raises(ConnectionError):
        tick(now=now)
    assert sorted(body["job_id"] for body in run_queue.bodies()) == ["job-0", "job-1"]
