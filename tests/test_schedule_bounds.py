"""A schedule's start, end, max_runs and jitter: honoured by the tick and by the previews alike."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jobdeck import firing, jobs, store, system_jobs
from jobdeck.domain import ScheduleSpec
from jobdeck.tick import tick
from tests.support import Api, at, make_job


def _tick_minutes(start: str, minutes: int) -> None:
    now = at(start)
    for _ in range(minutes):
        tick(now=now)
        now += timedelta(minutes=1)


def _slots(job_id: str) -> list[str]:
    return sorted(task.id for task in store.list_tasks(job_id, limit=500))


def test_no_slot_before_start_nor_at_or_after_end(aws, run_queue):
    job = make_job("bounded", "*/5 * * * *")
    assert job.schedule is not None
    job.schedule.start, job.schedule.end = at("2026-11-25T10:10:00Z"), at("2026-11-25T10:30:00Z")
    jobs.create(job, now=at("2026-11-25T09:58:00Z"))
    assert store.get_job("bounded").next_fire_at == at("2026-11-25T10:10:00Z")

    _tick_minutes("2026-11-25T09:59:00Z", 45)

    fired = sorted(task.scheduled_for for task in store.list_tasks("bounded"))
    assert [t.strftime("%H:%M") for t in fired] == ["10:10", "10:15", "10:20", "10:25"]
    assert store.get_job("bounded").next_fire_at is None  # the schedule ended: out of the due index


def test_max_runs_ends_the_schedule_after_that_many_slots(aws, run_queue):
    job = make_job("three-times", "*/5 * * * *", schedule_fields={"max_runs": 3})
    jobs.create(job, now=at("2026-11-25T09:58:00Z"))

    _tick_minutes("2026-11-25T09:59:00Z", 30)

    assert len(store.list_tasks("three-times")) == 3
    stored = store.get_job("three-times")
    assert stored.runs_fired == 3 and stored.next_fire_at is None


def test_jitter_is_within_bounds_stable_and_spread():
    slots = [at("2026-11-25T10:00:00Z") + timedelta(minutes=n) for n in range(300)]
    offsets = [firing.jitter("job-a", slot, 60) for slot in slots]
    assert all(timedelta(0) <= offset <= timedelta(seconds=60) for offset in offsets)
    assert offsets == [firing.jitter("job-a", slot, 60) for slot in slots]  # the same every time
    assert len(set(offsets)) > 30  # spread, not one offset for all
    assert offsets != [firing.jitter("job-b", slot, 60) for slot in slots]  # each job its own
    assert firing.jitter("job-a", slots[0], 0) == timedelta(0)


def test_a_jittered_run_starts_when_both_previews_said(aws, run_queue):
    api = Api()
    body = {
        "id": "spread",
        "label": "Spread",
        "schedule": {"expression": "0 * * * *", "jitter_seconds": 900},
        "actions": [{"action": "log.message", "parameters": {"message": "hi"}}],
    }
    assert api("POST", "/jobs", body).status == 201
    first = api("GET", "/jobs/spread/schedule/preview", query={"count": "5"}).json()["next"]
    second = api("GET", "/jobs/spread/schedule/preview", query={"count": "5"}).json()["next"]
    assert first == second
    for run in first:
        offset = at(run["utc"]) - at(run["slot"])
        assert timedelta(0) <= offset <= timedelta(seconds=900)
    assert any(run["utc"] != run["slot"] for run in first)

    slot = at(first[0]["slot"])
    tick(now=slot - timedelta(seconds=30))
    [task] = store.list_tasks("spread")
    assert task.scheduled_for == at(first[0]["utc"])  # the run starts where the preview said
    assert task.trigger.detail["slot"] == slot.isoformat()


def test_the_preview_honours_start_end_and_max_runs(aws):
    api = Api()
    query = {
        "expression": "0 3 * * *",
        "start": "2030-01-10T00:00:00+01:00",
        "end": "2030-01-13T03:00:00Z",
        "count": "10",
    }
    answer = api("GET", "/schedule/preview", query=query).json()
    assert [run["utc"][:10] for run in answer["next"]] == ["2030-01-10", "2030-01-11", "2030-01-12"]
    answer = api("GET", "/schedule/preview", query={**query, "max_runs": "2"}).json()
    assert len(answer["next"]) == 2


@pytest.mark.parametrize(
    ("schedule", "field"),
    [
        ({"start": "2030-01-02T00:00:00Z", "end": "2030-01-01T00:00:00Z"}, "body.schedule.end"),
        ({"jitter_seconds": 3601}, "body.schedule.jitter_seconds"),
        ({"max_runs": 0}, "body.schedule.max_runs"),
        ({"start": "2030-01-01T00:00:00"}, "body.schedule.start"),  # no offset: which zone?
        ({"calendars": ["nowhere"]}, "body.schedule.calendars"),
    ],
)
def test_bad_bounds_are_refused_naming_the_field_and_nothing_is_stored(aws, schedule, field):
    system_jobs.ensure()
    body = {
        "id": "refused",
        "label": "Refused",
        "schedule": {"expression": "0 * * * *", **schedule},
        "actions": [{"action": "log.message", "parameters": {"message": "hi"}}],
    }
    reply = Api()("POST", "/jobs", body)
    assert reply.status == 422, reply
    assert [problem["field"] for problem in reply.json()["errors"]] == [field]
    assert store.get_job("refused") is None


def test_bounds_and_calendars_survive_the_store(aws):
    spec = ScheduleSpec(
        "0 * * * *",
        start=at("2030-01-01T00:00:00Z"),
        end=at("2030-02-01T00:00:00Z"),
        max_runs=4,
        jitter_seconds=30,
    )
    jobs.create(make_job("kept"), now=at("2029-12-01T00:00:00Z"))
    job = store.get_job("kept")
    job.schedule = spec
    store.save_job(job, job.version)
    assert store.get_job("kept").schedule == spec


def test_a_run_jittered_beyond_sqs_delay_is_held_for_the_tick(aws, run_queue):
    job = make_job("late-start", "0 * * * *", schedule_fields={"jitter_seconds": 3600})
    jobs.create(job, now=at("2026-11-25T09:00:00Z"))
    slot = at("2026-11-25T10:00:00Z")
    offset = firing.jitter("late-start", slot, 3600)
    assert offset > timedelta(minutes=16)  # this slot's offset: further than SQS delays a message

    tick(now=slot - timedelta(seconds=30))

    assert run_queue.bodies() == []  # not sent to come back early
    [(job_id, task_id, due)] = store.held_due(slot + timedelta(hours=2))
    assert (job_id, due) == ("late-start", slot + offset)
    tick(now=slot + offset)  # a tick whose minute covers its start sends it
    assert [body["task_id"] for body in run_queue.bodies()] == [task_id]
