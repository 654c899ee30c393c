"""GET /jobs/{id}/slots: every slot accounted for, each reason produced by what really happened
(the tick's records, the tasks, the audit trail); skip, undo and move one upcoming slot."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from jobdeck import calendars, jobs, runner, slots, store, tasks
from jobdeck import run_queue as messages
from jobdeck import tick as tick_module
from jobdeck.access import SYSTEM
from jobdeck.domain import ActionStep, Calendar, CalendarRule, Overlap, TaskStatus, slot_task_id
from jobdeck.tick import tick
from tests.support import Api, at, make_job

DAY = "2027-01-04"  # a Monday


def _at(hhmm: str):
    return at(f"{DAY}T{hhmm}:00Z")


def _deliver(task) -> TaskStatus | None:
    return runner.run_message(messages.message(task.job_id, task.id))


def _slots(api: Api, job_id: str, start: str, end: str) -> list[tuple[str, str, str | None]]:
    reply = api("GET", f"/jobs/{job_id}/slots", query={"from": _at(start).isoformat(), "to": _at(end).isoformat()})
    assert reply.status == 200, reply
    return [(s["slot"][11:16], s["state"], s["reason"]) for s in reply.json()["items"]]


@pytest.fixture
def day(aws, run_queue):
    """Three hourly jobs through a morning in which every reason a slot can have happens."""
    with time_machine.travel(_at("08:30"), tick=False) as clock:
        calendars.create(Calendar("lunch", rules=[CalendarRule(hours={"from": "12:00", "to": "13:00"})]), SYSTEM)
        hourly = make_job("hourly", "0 * * * *", overlap=Overlap.SKIP)
        assert hourly.schedule is not None
        hourly.schedule.calendars = ["lunch"]
        jobs.create(hourly)
        bounded = make_job("bounded", "0 * * * *")
        assert bounded.schedule is not None
        bounded.schedule.start, bounded.schedule.end, bounded.schedule.max_runs = _at("09:30"), _at("16:00"), 3
        jobs.create(bounded)
        failing = [ActionStep("log.message", {"message": "{{ parameters.missing.deeper }}"})]
        jobs.create(make_job("fragile", "0 * * * *", actions=failing, pause_after_failures=1))
        api = Api()

        clock.move_to(_at("08:59:30"))
        tick()
        clock.move_to(_at("09:00:01"))
        for task in [*store.list_tasks("hourly"), *store.list_tasks("fragile")]:
            _deliver(task)  # hourly's 09:00 runs; fragile's fails and suspends it
        # 10:00: no tick came (the stack was down) until 10:06, past the grace window
        clock.move_to(_at("10:06"))
        tick()
        clock.move_to(_at("10:30"))
        assert api("POST", f"/jobs/hourly/slots/{_at('11:00').isoformat()}/skip").status == 200
        for hhmm in ("10:59:30", "11:59:30"):
            clock.move_to(_at(hhmm))
            tick()  # 11:00 passed as skipped, 12:00 as out of the calendar
        clock.move_to(_at("12:30"))
        jobs.set_enabled("hourly", False)
        clock.move_to(_at("12:59:30"))
        tick()
        clock.move_to(_at("13:30"))
        jobs.set_enabled("hourly", True)
        # 14:00: a run started by hand still holds the one seat when the slot's run arrives
        seat = tasks.run_now("hourly")
        assert store.start_task(seat, _at("13:31"), store.get_job("hourly"))
        clock.move_to(_at("13:59:30"))
        tick()
        clock.move_to(_at("14:00:01"))
        assert _deliver(store.get_task("hourly", slot_task_id("hourly", _at("14:00")))) is TaskStatus.SKIPPED
        clock.move_to(_at("14:30"))
        yield api


def test_every_reason_comes_from_what_happened(day):
    assert _slots(day, "hourly", "08:00", "17:00") == [
        ("09:00", "ran", None),
        ("10:00", "skipped", "misfire"),
        ("11:00", "skipped", "manual"),
        ("12:00", "skipped", "calendar:lunch"),
        ("13:00", "skipped", "disabled"),
        ("14:00", "skipped", "overlap"),
        ("15:00", "upcoming", None),
        ("16:00", "upcoming", None),
    ]


def test_a_misfire_says_how_late(day):
    reply = day("GET", "/jobs/hourly/slots", query={"from": _at("10:00").isoformat(), "to": _at("10:01").isoformat()})
    [slot] = reply.json()["items"]
    assert slot["reason"] == "misfire" and slot["late_seconds"] == 360


def test_bounds_and_runs_left(day):
    assert _slots(day, "bounded", "09:00", "17:00") == [
        ("09:00", "skipped", "before_start"),
        ("10:00", "skipped", "misfire"),
        ("11:00", "queued", None),
        ("12:00", "queued", None),
        ("13:00", "queued", None),
        ("14:00", "skipped", "max_runs"),
        ("15:00", "skipped", "max_runs"),
        ("16:00", "skipped", "after_end"),
    ]


def test_a_suspended_job_past_and_future(day):
    assert _slots(day, "fragile", "09:00", "16:00") == [
        ("09:00", "ran", None),
        ("10:00", "skipped", "paused_after_failures"),
        ("11:00", "skipped", "paused_after_failures"),
        ("12:00", "skipped", "paused_after_failures"),
        ("13:00", "skipped", "paused_after_failures"),
        ("14:00", "skipped", "paused_after_failures"),
        ("15:00", "skipped", "paused_after_failures"),
    ]


def test_the_slots_of_a_disabled_job_to_come_say_so(day):
    jobs.set_enabled("hourly", False)
    assert _slots(day, "hourly", "15:00", "16:01") == [
        ("15:00", "skipped", "disabled"),
        ("16:00", "skipped", "disabled"),
    ]


def test_skip_then_undo_is_audited_and_the_tick_runs_it(day, run_queue):
    slot = _at("16:00").isoformat()
    skipped = day("POST", f"/jobs/hourly/slots/{slot}/skip")
    assert (skipped.status, skipped.json()["state"], skipped.json()["reason"]) == (200, "skipped", "manual")
    undone = day("DELETE", f"/jobs/hourly/slots/{slot}/skip")
    assert (undone.status, undone.json()["state"]) == (200, "upcoming")
    assert day("DELETE", f"/jobs/hourly/slots/{slot}/skip").status == 404  # not skipped any more
    actions = [e["action"] for e in day("GET", "/audit", query={"job_id": "hourly"}).json()["items"]]
    assert actions[:2] == ["slot.unskip", "slot.skip"]
    with time_machine.travel(_at("15:59:30"), tick=False):
        tick(now=_at("14:59:30"))
        tick()
    assert store.get_task("hourly", slot_task_id("hourly", _at("16:00"))) is not None


def test_a_skip_the_tick_has_passed_stays_skipped_until_its_time(day):
    # The tick passes a slot a minute ahead and takes it off the job's skips: in that minute the
    # slot was shown upcoming again, with Skip and Move offered, though it would not run.
    assert day("POST", f"/jobs/hourly/slots/{_at('16:00').isoformat()}/skip").status == 200
    with time_machine.travel(_at("15:59:30"), tick=False):
        tick(now=_at("14:59:30"))
        tick()
        assert store.get_job("hourly").skipped_slots == []
        assert _slots(day, "hourly", "15:30", "17:30") == [("16:00", "skipped", "manual"), ("17:00", "upcoming", None)]


def test_skip_refusals(day):
    assert day("POST", f"/jobs/hourly/slots/{_at('16:00').isoformat()}/skip", user="alice").status == 404
    assert day("POST", f"/jobs/hourly/slots/{_at('16:30').isoformat()}/skip").status == 404  # no slot then
    assert day("POST", f"/jobs/hourly/slots/{_at('09:00').isoformat()}/skip").status == 409  # past
    reply = day("POST", "/jobs/hourly/slots/2027-01-04T16:00:00/skip")
    assert (reply.status, reply.json()["errors"][0]["field"]) == (422, "path.slot")
    # tomorrow's noon is out of the lunch calendar already: a skip would hide that reason as `manual`
    noon = (_at("12:00") + timedelta(days=1)).isoformat()
    reply = day("POST", f"/jobs/hourly/slots/{noon}/skip")
    assert reply.status == 409 and "the calendar 'lunch' leaves it out" in reply.text, reply


def test_a_slot_encoded_in_its_path_segment_is_the_same_slot(day):
    # what encodeURIComponent makes of "2027-01-04T17:00:00+01:00"
    skipped = day("POST", "/jobs/hourly/slots/2027-01-04T17%3A00%3A00%2B01%3A00/skip")
    assert (skipped.status, skipped.json()["slot"], skipped.json()["reason"]) == (200, "2027-01-04T16:00:00Z", "manual")
    assert day("DELETE", "/jobs/hourly/slots/2027-01-04T16%3A00%3A00Z/skip").status == 200


def test_move_runs_that_one_slot_at_another_time_instead(day, run_queue):
    moved = day("POST", f"/jobs/hourly/slots/{_at('16:00').isoformat()}/move", {"to": "2027-01-04T16:20:00Z"})
    assert moved.status == 202, moved
    task = moved.json()
    assert task["id"] == slot_task_id("hourly", _at("16:00")) and task["scheduled_for"] == "2027-01-04T16:20:00Z"
    listed = day("GET", "/jobs/hourly/slots", query={"from": _at("16:00").isoformat(), "to": _at("16:01").isoformat()})
    [slot] = listed.json()["items"]
    assert (slot["state"], slot["task_id"], slot["starts"]) == ("queued", task["id"], "2027-01-04T16:20:00Z")
    with time_machine.travel(_at("15:59:30"), tick=False):
        tick(now=_at("14:59:30"))
        tick()  # the tick passes 16:00 itself: its task is there already
    later = sorted(
        t.scheduled_for for t in store.list_tasks("hourly") if t.scheduled_for and t.scheduled_for >= _at("15:00")
    )
    assert later == [_at("15:00"), _at("16:20")]  # 16:00 ran once, at 16:20, and the tick moved on
    assert store.get_job("hourly").next_fire_at == _at("17:00")
    entry = day("GET", "/audit", query={"job_id": "hourly"}).json()["items"][0]
    assert entry["action"] == "slot.move" and entry["detail"]["to"] == "2027-01-04T16:20:00+00:00"
    again = day("POST", f"/jobs/hourly/slots/{_at('16:00').isoformat()}/move", {"to": "2027-01-04T16:40:00Z"})
    assert again.status == 409


def test_a_claim_planned_before_a_skip_is_refused_and_planned_again(aws, run_queue):
    """The tick reads the job, someone skips its next slot, the tick claims: the claim must not run
    the slot the skip was for (it is conditioned on the job's count of slot changes)."""
    with time_machine.travel(_at("08:30"), tick=False) as clock:
        jobs.create(make_job("raced", "0 * * * *"))
        clock.move_to(_at("08:59:30"))
        read_by_tick = store.get_job("raced")
        slots.skip("raced", _at("09:00"), SYSTEM)
        task = tick_module.scheduled_task(read_by_tick, _at("09:00"), _at("08:59:30"))
        assert not store.claim_slots(read_by_tick, [task], _at("10:00"))
        tick()  # reads the job again: the slot is passed, as skipped
    assert store.list_tasks("raced") == []
    [record] = store.skipped_slots("raced", _at("09:00"), _at("09:01"), timedelta(0))
    assert record.reason == "manual"
    assert store.get_job("raced").skipped_slots == []  # passed: no longer kept on the job


def test_a_calendar_edit_counts_from_the_next_slot(aws):
    api = Api()
    api("POST", "/calendars", {"name": "quiet", "rules": [{"dates": ["2030-01-02"]}]})
    job = make_job("daily", "0 9 * * *")
    assert job.schedule is not None
    job.schedule.calendars = ["quiet"]
    jobs.create(job, now=at("2029-12-01T00:00:00Z"))
    query = {"from": "2030-01-01T00:00:00Z", "to": "2030-01-05T00:00:00Z"}
    before = [s["state"] for s in api("GET", "/jobs/daily/slots", query=query).json()["items"]]
    version = api("GET", "/calendars/quiet").json()["version"]
    edit = {"rules": [{"dates": ["2030-01-02..2030-01-03"]}], "version": version}
    assert api("PUT", "/calendars/quiet", edit).status == 200
    after = [s["state"] for s in api("GET", "/jobs/daily/slots", query=query).json()["items"]]
    assert (before, after) == (
        ["upcoming", "skipped", "upcoming", "upcoming"],
        ["upcoming", "skipped", "skipped", "upcoming"],
    )
