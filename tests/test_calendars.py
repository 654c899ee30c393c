"""Calendars: written by admins, read by anyone signed in, honoured by the tick and the previews,
each judged in its own time zone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jobdeck import calendars, jobs, store
from jobdeck.firing import Firing
from jobdeck.tick import tick
from tests.support import Api, at, make_job

HOLIDAYS = {
    "name": "holidays-fr",
    "description": "French public holidays",
    "timezone": "Europe/Paris",
    "mode": "exclude",
    "rules": [{"yearly": ["12-25", "05-01"]}, {"dates": ["2026-10-25", "2027-03-28"]}],
}


@pytest.fixture
def api(aws) -> Api:
    return Api()


def _hourly_utc_job(api: Api, job_id: str, calendars: list[str], start: str) -> None:
    job = make_job(job_id, "0 * * * *")
    assert job.schedule is not None
    job.schedule.calendars = calendars
    jobs.create(job, now=at(start))


def _tick_hours(first_slot: str, hours: int) -> None:
    """One tick 30 s before each hour: each claims the slot of that hour, or passes it."""
    slot = at(first_slot)
    for _ in range(hours):
        tick(now=slot - timedelta(seconds=30))
        slot += timedelta(hours=1)


def test_admins_write_calendars_and_anyone_signed_in_reads_them(api):
    assert api("POST", "/calendars", HOLIDAYS, user="alice").status == 403
    created = api("POST", "/calendars", HOLIDAYS)
    assert created.status == 201, created
    assert created.headers["Location"] == "/calendars/holidays-fr"
    assert api("POST", "/calendars", HOLIDAYS).status == 409  # the name is taken

    listed = api("GET", "/calendars", user="alice").json()["items"]
    assert [c["name"] for c in listed] == ["holidays-fr"]
    one = api("GET", "/calendars/holidays-fr", user="alice").json()
    assert one["rules"][0] == {"yearly": ["12-25", "05-01"], "dates": None, "weekdays": None, "hours": None}
    assert one["version"] == 1

    edit = {**{k: v for k, v in HOLIDAYS.items() if k != "name"}, "version": 1, "description": "and more"}
    assert api("PUT", "/calendars/holidays-fr", edit, user="alice").status == 403
    assert api("PUT", "/calendars/holidays-fr", edit).json()["version"] == 2
    assert api("PUT", "/calendars/holidays-fr", edit).status == 409  # version 1 is gone

    trail = [(e["action"], e["detail"]) for e in api("GET", "/audit").json()["items"]]
    assert ("calendar.replace", {"calendar": "holidays-fr"}) in trail
    assert api("DELETE", "/calendars/holidays-fr", user="alice").status == 403
    assert api("DELETE", "/calendars/holidays-fr").status == 204
    assert api("GET", "/calendars/holidays-fr").status == 404


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ([{"dates": ["2026-02-30"]}], "body.rules[0].dates[0]"),
        ([{"dates": ["2026-12-31..2026-12-01"]}], "body.rules[0].dates[0]"),
        ([{"weekdays": ["SAT"]}, {"weekdays": ["MONDAY"]}], "body.rules[1].weekdays[0]"),
        ([{"yearly": ["13-01"]}], "body.rules[0].yearly[0]"),
        ([{"hours": {"from": "25:00", "to": "04:00"}}], "body.rules[0].hours.from"),
        ([{"hours": {"from": "04:00", "to": "04:00"}}], "body.rules[0].hours.to"),
        ([{"weekdays": ["SAT"], "yearly": ["12-25"]}], "body.rules[0]"),
    ],
)
def test_a_bad_rule_is_refused_naming_it_and_nothing_is_stored(api, rules, field):
    reply = api("POST", "/calendars", {**HOLIDAYS, "rules": rules})
    assert reply.status == 422, reply
    assert [problem["field"] for problem in reply.json()["errors"]] == [field]
    assert api("GET", "/calendars").json()["items"] == []


def test_an_unknown_zone_is_refused_naming_it(api):
    reply = api("POST", "/calendars", {**HOLIDAYS, "timezone": "Mars/Base"})
    assert (reply.status, reply.json()["errors"][0]["field"]) == (422, "body.timezone")


def test_deleting_a_calendar_jobs_use_is_refused_naming_them(api):
    api("POST", "/calendars", HOLIDAYS)
    _hourly_utc_job(api, "report", ["holidays-fr"], "2026-12-01T00:00:00Z")
    reply = api("DELETE", "/calendars/holidays-fr")
    assert reply.status == 409 and "report" in reply.json()["message"], reply
    assert api("GET", "/calendars/holidays-fr").status == 200


def test_paris_christmas_removes_the_utc_slots_of_that_paris_day(api, run_queue):
    """Paris is UTC+1 in December: its 25th runs from 24 December 23:00 UTC to 25 December 23:00 UTC."""
    api("POST", "/calendars", HOLIDAYS)
    _hourly_utc_job(api, "hourly", ["holidays-fr"], "2026-12-24T20:30:00Z")

    _tick_hours("2026-12-24T21:00:00Z", 28)  # 21:00 on the 24th to 00:00 on the 26th, UTC

    ran = sorted(task.scheduled_for.strftime("%d %H:%M") for task in store.list_tasks("hourly", limit=100))
    assert ran == ["24 21:00", "24 22:00", "25 23:00", "26 00:00"]
    passed = store.skipped_slots("hourly", at("2026-12-24T00:00:00Z"), at("2026-12-27T00:00:00Z"), timedelta(0))
    assert len(passed) == 24 and {p.reason for p in passed} == {"calendar:holidays-fr"}
    assert (passed[0].slot, passed[-1].slot) == (at("2026-12-24T23:00:00Z"), at("2026-12-25T22:00:00Z"))


@pytest.mark.parametrize(
    ("day", "first_utc", "hours"),
    [
        ("2026-10-25", "2026-10-24T22:00:00+00:00", 25),  # summer time ends: a 25-hour Paris day
        ("2027-03-28", "2027-03-27T23:00:00+00:00", 23),  # summer time begins: a 23-hour Paris day
    ],
)
def test_an_excluded_paris_day_across_a_dst_change_is_that_whole_local_day(api, day, first_utc, hours):
    api("POST", "/calendars", HOLIDAYS)
    start = at(first_utc) - timedelta(hours=2)
    _hourly_utc_job(api, "dst", ["holidays-fr"], start.isoformat())

    runs = Firing(store.get_job("dst"), calendars.known(["holidays-fr"])).upcoming(start, 3)

    # The UTC hours of that Paris day, 23 or 25 of them, are left out; the hours around it run.
    assert runs == [
        at(first_utc) - timedelta(hours=1),
        at(first_utc) + timedelta(hours=hours),
        at(first_utc) + timedelta(hours=hours + 1),
    ]
    [covered] = api("GET", "/calendars/holidays-fr/preview", query={"from": day, "to": day}).json()["days"]
    span = covered["windows"][0]
    assert covered["all_day"] and at(span["end"]) - at(span["start"]) == timedelta(hours=hours)


def test_only_weekdays_mon_fri(api, run_queue):
    workdays = {"name": "workdays", "timezone": "UTC", "mode": "only", "rules": [{"weekdays": ["MON-FRI"]}]}
    assert api("POST", "/calendars", workdays).status == 201
    job = make_job("daily", "0 9 * * *")
    assert job.schedule is not None
    job.schedule.calendars = ["workdays"]
    jobs.create(job, now=at("2026-12-04T00:00:00Z"))  # a Friday

    for day in range(4, 12):  # Friday 4th to Friday 11th
        tick(now=at(f"2026-12-{day:02}T08:59:30Z"))

    ran = sorted(task.scheduled_for.strftime("%a %d") for task in store.list_tasks("daily"))
    assert ran == ["Fri 04", "Fri 11", "Mon 07", "Thu 10", "Tue 08", "Wed 09"]
    passed = store.skipped_slots("daily", at("2026-12-01T00:00:00Z"), at("2026-12-31T00:00:00Z"), timedelta(0))
    assert [(p.slot.strftime("%a"), p.reason) for p in passed] == [
        ("Sat", "calendar:workdays"),
        ("Sun", "calendar:workdays"),
    ]


def test_an_hours_window_leaves_its_slots_out_of_the_preview(api):
    window = {"name": "backups", "timezone": "UTC", "rules": [{"hours": {"from": "02:00", "to": "04:00"}}]}
    api("POST", "/calendars", window)
    query = {
        "expression": "*/30 * * * *",
        "calendars": "backups",
        "start": "2030-01-01T01:00:00Z",
        "count": "4",
    }
    answer = api("GET", "/schedule/preview", query=query).json()
    assert [run["utc"][11:16] for run in answer["next"]] == ["01:00", "01:30", "04:00", "04:30"]


def test_a_window_past_midnight_and_the_calendar_preview(api):
    night = {
        "name": "night",
        "timezone": "Europe/Paris",
        "mode": "only",
        "rules": [{"hours": {"from": "22:00", "to": "02:00"}}, {"dates": ["2030-01-02"]}],
    }
    api("POST", "/calendars", night)
    answer = api("GET", "/calendars/night/preview", query={"from": "2030-01-01", "to": "2030-01-03"}, user="bob")
    assert answer.status == 200, answer
    days = answer.json()["days"]
    assert [(d["date"], d["all_day"]) for d in days] == [
        ("2030-01-01", False),
        ("2030-01-02", True),
        ("2030-01-03", False),
    ]
    assert days[0]["windows"] == [{"start": "2030-01-01T22:00:00+01:00", "end": "2030-01-02T02:00:00+01:00"}]
    reply = api("GET", "/calendars/night/preview", query={"from": "2030-01-03", "to": "2030-01-01"})
    assert (reply.status, reply.json()["errors"][0]["field"]) == (422, "query.to")
