"""GET /timeline: every enabled scheduled job's runs in a range, and how many start each minute."""

from __future__ import annotations

from jobdeck import jobs, slots
from jobdeck.access import SYSTEM
from tests.support import Api, at, make_job


def test_runs_and_busiest_minutes_of_the_enabled_jobs(aws):
    created = at("2030-01-01T00:00:00Z")
    jobs.create(make_job("nightly-a", "0 3 * * *"), now=created)
    jobs.create(make_job("nightly-b", "0 3 * * *"), now=created)
    jobs.create(make_job("half-hourly", "*/30 * * * *"), now=created)
    jobs.create(make_job("spread", "0 3 * * *", schedule_fields={"jitter_seconds": 1800}), now=created)
    jobs.create(make_job("off", "0 3 * * *", enabled=False), now=created)
    jobs.create(make_job("manual", None), now=created)

    reply = Api()(
        "GET", "/timeline", query={"from": "2030-01-02T02:00:00Z", "to": "2030-01-02T04:00:00Z"}, user="admin"
    )

    assert reply.status == 200, reply
    body = reply.json()
    assert {run["job_id"] for run in body["runs"]} == {"nightly-a", "nightly-b", "half-hourly", "spread"}
    assert [run["starts"][11:16] for run in body["runs"] if run["job_id"] == "half-hourly"] == [
        "02:00",
        "02:30",
        "03:00",
        "03:30",
    ]
    [spread] = [run for run in body["runs"] if run["job_id"] == "spread"]
    assert spread["slot"] == "2030-01-02T03:00:00Z" and spread["starts"] != spread["slot"]
    assert body["busiest"] == [{"minute": "2030-01-02T03:00:00Z", "count": 3}]
    assert sum(minute["count"] for minute in body["per_minute"]) == len(body["runs"]) == 7
    assert not body["truncated"]


def test_a_user_sees_their_own_jobs_on_it(aws):
    jobs.create(make_job("theirs", "0 3 * * *", owner="alice"), now=at("2030-01-01T00:00:00Z"))
    jobs.create(make_job("others", "0 3 * * *"), now=at("2030-01-01T00:00:00Z"))
    query = {"from": "2030-01-02T00:00:00Z", "to": "2030-01-03T00:00:00Z"}
    assert {run["job_id"] for run in Api()("GET", "/timeline", query=query, user="alice").json()["runs"]} == {"theirs"}


def test_more_than_seven_days_is_refused_naming_the_field(aws):
    reply = Api()("GET", "/timeline", query={"from": "2030-01-01T00:00:00Z", "to": "2030-01-08T00:00:01Z"})
    assert (reply.status, reply.json()["errors"][0]["field"]) == (422, "query.to")


def test_a_range_with_too_many_runs_is_cut_short_and_says_so(aws, monkeypatch):
    from jobdeck import timeline

    monkeypatch.setattr(timeline, "MAX_RUNS", 5)
    jobs.create(make_job("busy", "* * * * *"), now=at("2030-01-01T00:00:00Z"))
    body = Api()("GET", "/timeline", query={"from": "2030-01-02T00:00:00Z", "to": "2030-01-02T01:00:00Z"}).json()
    assert body["truncated"] and len(body["runs"]) == 5


def test_a_slot_skipped_by_hand_is_left_out_like_one_a_calendar_excludes(aws):
    jobs.create(make_job("half-hourly", "*/30 * * * *"), now=at("2030-01-01T00:00:00Z"))
    slots.skip("half-hourly", at("2030-01-02T02:30:00Z"), SYSTEM, now=at("2030-01-01T00:00:00Z"))
    reply = Api()("GET", "/timeline", query={"from": "2030-01-02T02:00:00Z", "to": "2030-01-02T04:00:00Z"})
    assert [run["slot"][11:16] for run in reply.json()["runs"]] == ["02:00", "03:00", "03:30"]


def test_days_are_taken_as_the_calendar_preview_takes_them(aws):
    jobs.create(make_job("nightly", "0 3 * * *"), now=at("2030-01-01T00:00:00Z"))
    reply = Api()("GET", "/timeline", query={"from": "2030-01-02", "to": "2030-01-03"})  # both days included
    assert reply.status == 200, reply
    assert [run["slot"] for run in reply.json()["runs"]] == ["2030-01-02T03:00:00Z", "2030-01-03T03:00:00Z"]
    naive = Api()("GET", "/timeline", query={"from": "2030-01-02T03:00:00"})
    assert naive.status == 422 and naive.json()["errors"][0]["field"].startswith("query.from"), naive
