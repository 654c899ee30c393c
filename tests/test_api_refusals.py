"""Malformed requests answer a 4xx naming what was wrong, and store nothing: hand-made and altered
page cursors, bodies that are not JSON text, values DynamoDB cannot hold. Each case here answered
500 before (or, in moto, a page DynamoDB would have refused to read)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from jobdeck import jobs, store, system_jobs, tasks
from jobdeck.domain import EventFilter, EventSource, EventTrigger, HookTrigger, JobParameter
from tests.support import Api, ApiReply, make_job


@pytest.fixture
def api(aws) -> Api:
    system_jobs.ensure()
    job = make_job("nightly", "30 2 * * *", hooks=[HookTrigger("nightly-hook")])
    job.parameters = [JobParameter("team", default="ops")]
    jobs.create(job)
    jobs.create(make_job("other", "0 3 * * *"))
    for job_id in ("nightly", "nightly", "other"):
        tasks.run_now(job_id)
    return Api()


def cursor(value: Any) -> str:
    """A cursor as the API makes them: base64url of JSON, unpadded."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def refused(reply: ApiReply, field: str) -> str:
    assert reply.status == 422, reply
    [problem] = reply.json()["errors"]
    assert problem["field"] == field, reply
    return str(problem["problem"])


def task_ids(job_id: str) -> list[str]:
    return [t.id for t in store.list_tasks(job_id, limit=100)]


# ------------------------------------------------------------------ cursors

HAND_MADE = [
    ("/jobs", {}, [1, 2]),  # JSON, not an object
    ("/jobs", {}, None),  # null: no cursor? Not one this API returned
    ("/jobs", {}, {}),
    ("/jobs", {}, {"id": "nightly"}),  # a value that is no attribute value
    ("/jobs", {}, {"id": {"N": "1"}}),  # the wrong type
    ("/jobs", {}, {"id": {"S": ""}}),  # no key is empty
    ("/jobs", {}, {"id": {"S": "x" * 1025}}),  # past DynamoDB's key size
    ("/jobs", {}, {"id": {"S": "nightly", "N": "1"}}),
    ("/jobs", {}, {"job_id": {"S": "nightly"}, "id": {"S": "01"}}),  # another table's key
    ("/jobs", {"owner": "admin"}, {"id": {"S": "nightly"}}),  # the table's key, not the index's
    ("/jobs", {"owner": "admin"}, {"owner": {"S": "alice"}, "id": {"S": "a"}}),  # another owner's list
    ("/jobs/nightly/tasks", {}, {"job_id": {"S": "other"}, "id": {"S": "01"}}),  # another job's history
    ("/jobs/nightly/tasks", {}, {"id": {"S": "nightly"}}),
    ("/audit", {"job_id": "nightly"}, {"month": {"S": "2026-11"}, "id": {"S": "01"}}),  # no job_id
    ("/audit", {}, {"month": "2026-11"}),  # the whole trail's cursor has a key, even null
    ("/audit", {}, {"month": "November", "key": None}),
    ("/audit", {}, {"month": 202611, "key": None}),
    ("/audit", {}, {"month": "9999-12", "key": None}),  # would query every month back to now
    ("/audit", {}, {"month": "2026-11", "key": {"month": {"S": "2026-10"}, "id": {"S": "01"}}}),
    ("/audit", {}, {"month": "2026-11", "key": "01"}),
]


def test_a_cursor_the_listing_did_not_make_is_a_422_naming_the_cursor(api):
    # One test for all: each case costs a request, a fresh moto account costs a second.
    for path, query, value in HAND_MADE:
        reply = api("GET", path, query={**query, "cursor": cursor(value)})
        assert reply.status == 422 and reply.json()["errors"][0]["field"] == "query.cursor", (path, value, reply)


def test_a_listings_own_cursor_reads_its_next_page_and_every_other_listing_refuses_it(api):
    listings = [("/jobs", {}), ("/jobs", {"owner": "admin"}), ("/jobs/nightly/tasks", {}), ("/audit", {})]
    listings.append(("/audit", {"job_id": "nightly"}))
    made = {}
    for path, query in listings:
        first = api("GET", path, query={**query, "limit": "1"}).json()
        second = api("GET", path, query={**query, "limit": "1", "cursor": first["cursor"]})
        assert second.status == 200 and second.json()["items"] not in ([], first["items"]), (path, query, second)
        made[(path, tuple(query.items()))] = first["cursor"]
    for source, value in made.items():
        for path, query in made.keys() - {source}:
            reply = api("GET", path, query={**dict(query), "cursor": value})
            assert reply.status == 422, (source, path, query, reply)
    admins = made[("/jobs", ())]
    assert api("GET", "/jobs", query={"cursor": admins}, user="alice").status == 422  # her list is her own


# ------------------------------------------------------------------ bodies


def test_a_body_is_read_as_json_whatever_its_declared_type(api):
    # curl -d declares application/x-www-form-urlencoded, which API Gateway sends base64-encoded;
    # read as a form, this body was the field "{}".
    reply = api("POST", "/hooks/nightly-hook", binary=b"{}", content_type="application/x-www-form-urlencoded")
    assert reply.status == 202, reply
    assert reply.json()[0]["trigger"]["detail"]["event"]["body"] == {}


NOT_JSON_TEXT = [
    ({"binary": b"\xff\xfe{}"}, "not UTF-8 text"),
    ({"binary": b"\x89PNG\r\n", "content_type": "image/png"}, "not UTF-8 text"),
    ({"raw_body": "--b\r\n", "content_type": "multipart/form-data"}, "not JSON"),  # no boundary: was a 500
    ({"raw_body": '{"label": NaN}'}, "NaN is not a JSON number"),
    (
        {"raw_body": '{"label": "x", "parameters": [{"name": "n", "type": "number", "default": -Infinity}]}'},
        "-Infinity",
    ),
    ({"raw_body": '{"label": "x", "parameters": [{"name": "n", "type": "number", "default": 1e400}]}'}, "1e400"),
    ({"raw_body": '{"label": "x", "timeout_seconds": ' + "9" * 5000 + "}"}, "5000 digits"),
    ({"raw_body": '{"label": "\\ud800"}'}, "surrogate"),
    ({"raw_body": "[" * 50_000 + "]" * 50_000}, "nested too deep"),
]


def test_a_body_that_is_not_json_text_is_a_422_naming_the_body(api):
    for request, words in NOT_JSON_TEXT:
        reply = api("POST", "/jobs", **request)
        assert reply.status == 422, (request, reply)
        [problem] = reply.json()["errors"]
        assert problem["field"] == "body" and words in problem["problem"], (request, reply)
    assert {j.id for j in store.all_jobs()} == {j.id for j in system_jobs.definitions()} | {"nightly", "other"}


# ------------------------------------------------------------------ values DynamoDB cannot hold


def _log(**parameters: Any) -> list[dict[str, Any]]:
    return [{"action": "log.message", "parameters": {"message": "m", **parameters}}]


UNSTORABLE_JOBS = [
    ({"actions": _log(n=1e-200)}, "body.actions.0.parameters", "n: out of range"),
    ({"actions": _log(n=10**39 + 1)}, "body.actions.0.parameters", "38 significant digits"),
    ({"actions": _log(n={"": 1})}, "body.actions.0.parameters", "a key must be"),
    (
        {"events": [{"source": "custom", "type": "t", "filter": {"detail": {"": 1}}}]},
        "body.events.0.filter.detail",
        "key",
    ),
    ({"parameters": [{"name": "n", "type": "integer", "default": 10**130}]}, "body.parameters.0.default", "range"),
    (
        {
            "actions": [
                {"action": "tree.copy", "parameters": {"destination": "d/"}, "filter": {"newer_than_days": 1e-200}}
            ]
        },
        "body.actions.0.filter.newer_than_days",
        "out of range",
    ),
    (
        {"events": [{"source": "s3", "type": "ObjectCreated", "filter": {"max_size": 10**40}}]},
        "body.events.0.filter.max_size",
        "less than or equal",
    ),
]


def test_a_job_with_values_dynamodb_cannot_hold_is_a_422_naming_them_and_nothing_is_stored(api):
    for body, field, words in UNSTORABLE_JOBS:
        reply = api("POST", "/jobs", {"id": "refused", "label": "x", **body})
        assert reply.status == 422, (body, reply)
        assert any(p["field"] == field and words in p["problem"] for p in reply.json()["errors"]), (body, reply)
        assert store.get_job("refused") is None


UNSTORABLE_RUNS = [
    ("/jobs/nightly/run", {"parameters": {"team": 10**200}}, "body.parameters"),
    (
        "/jobs/nightly/backfill",
        {"start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z", "parameters": {"team": 1e-300}},
        "body.parameters",
    ),
    ("/hooks/nightly-hook", {"file": {"": "x"}}, "body"),
    ("/hooks/nightly-hook", {"deep": json.loads("[" * 20 + "]" * 20)}, "body"),
    ("/hooks/nightly-hook", {"parameters": 5}, "body.parameters"),  # was a TypeError
    ("/hooks/nightly-hook", {"parameters": "team=ops"}, "body.parameters"),
    ("/hooks/nightly-hook", {"parameters": ["ops"]}, "body.parameters"),
    ("/jobs/nightly/backfill", {"start": "0001-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "body.start"),
]


def test_a_run_with_values_it_cannot_take_is_a_422_naming_them_and_queues_nothing(api):
    before = task_ids("nightly")
    for path, body, field in UNSTORABLE_RUNS:
        reply = api("POST", path, body)
        assert reply.status == 422, (path, body, reply)
        assert [p["field"] for p in reply.json()["errors"]] == [field], (path, body, reply)
    assert task_ids("nightly") == before


# ------------------------------------------------------------------ query parameters


def test_a_preview_names_the_query_parameter_that_is_wrong(api):
    zone = api("GET", "/schedule/preview", query={"expression": "0 3 * * *", "timezone": "Mars/Base"})
    assert "Mars/Base" in refused(zone, "query.timezone")
    expression = api("GET", "/schedule/preview", query={"expression": "0 3 * *", "timezone": "Europe/Paris"})
    assert "'0 3 * *'" in refused(expression, "query.expression")


def test_a_job_stored_before_these_bounds_is_still_shown(api):
    # The bounds are on input; what is stored (by an older version, or jobs kept as code) is shown
    # as it is, or one such job would make the whole list a 500.
    deep: Any = "leaf"
    for _ in range(20):
        deep = [deep]
    big = 10 * 1024**4
    triggers = [
        EventTrigger(EventSource.S3, "ObjectCreated", filter=EventFilter(max_size=big)),
        EventTrigger(EventSource.CUSTOM, "Deep", filter=EventFilter(detail={"a": deep})),
    ]
    jobs.create(make_job("older", None, events=triggers))
    shown = api("GET", "/jobs/older")
    assert shown.status == 200, shown
    assert [e["filter"]["max_size"] for e in shown.json()["events"]] == [big, None]
    assert "older" in [j["id"] for j in api("GET", "/jobs", query={"limit": "200"}).json()["items"]]


def test_an_offset_whose_plus_became_a_space_is_refused_saying_how_to_write_it(api):
    # What a browser or curl sends for ?from=2026-12-08T10:00:00+01:00 unencoded: the '+' is a space.
    reply = api("GET", "/timeline", query={"from": "2026-12-08T10:00:00 01:00"})
    assert reply.status == 422, reply
    [problem] = reply.json()["errors"]
    assert problem["field"] == "query.from" and "write the offset as %2B01:00, or use Z" in problem["problem"]
    assert api("GET", "/timeline", query={"from": "2026-12-08T10:00:00+01:00"}).status == 200
