"""Every route x {anonymous, another user, the owner, an admin}: the status each one gets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from jobdeck import calendars, jobs, slots, store, system_jobs, tasks
from jobdeck.access import SYSTEM, Principal
from jobdeck.domain import Calendar, CalendarRule, HookTrigger, JobKind
from tests.support import Api, make_job

WHO = ["anonymous", "bob", "alice", "admin"]  # in this order; alice owns alice-job (a user job)
BODY = {
    "label": "x",
    "schedule": {"expression": "0 * * * *"},
    "actions": [{"action": "log.message", "parameters": {"message": "hi"}}],
}

CALENDAR = {"mode": "only", "rules": [{"weekdays": ["MON-FRI"]}, {"hours": {"from": "08:00", "to": "18:00"}}]}

# route template -> (method, path, body, statuses for WHO). The task id is filled in per test.
MATRIX = {
    "GET /jobs": ("GET", "/jobs", None, [401, 200, 200, 200]),
    "POST /jobs": ("POST", "/jobs", BODY, [401, 403, 403, 201]),
    "GET /jobs/{job_id}": ("GET", "/jobs/alice-job", None, [401, 404, 200, 200]),
    "PUT /jobs/{job_id}": ("PUT", "/jobs/alice-job", {**BODY, "version": 1}, [401, 404, 403, 200]),
    "DELETE /jobs/{job_id}": ("DELETE", "/jobs/alice-job", None, [401, 404, 403, 204]),
    "POST /jobs/{job_id}/enable": ("POST", "/jobs/alice-job/enable", None, [401, 404, 403, 200]),
    "POST /jobs/{job_id}/disable": ("POST", "/jobs/alice-job/disable", None, [401, 404, 403, 200]),
    "POST /jobs/enable": ("POST", "/jobs/enable", {"ids": ["alice-job"]}, [401, 403, 403, 200]),
    "POST /jobs/disable": ("POST", "/jobs/disable", {"ids": ["alice-job"]}, [401, 403, 403, 200]),
    "GET /jobs/{job_id}/schedule/preview": ("GET", "/jobs/alice-job/schedule/preview", None, [401, 404, 200, 200]),
    "GET /schedule/preview": ("GET", "/schedule/preview?expression=0+*+*+*+*", None, [401, 200, 200, 200]),
    "POST /jobs/{job_id}/run": ("POST", "/jobs/alice-job/run", {}, [401, 404, 202, 202]),
    "GET /jobs/{job_id}/tasks": ("GET", "/jobs/alice-job/tasks", None, [401, 404, 200, 200]),
    "DELETE /jobs/{job_id}/tasks": ("DELETE", "/jobs/alice-job/tasks", None, [401, 404, 200, 200]),
    "GET /jobs/{job_id}/tasks/{task_id}": ("GET", "/jobs/alice-job/tasks/{task}", None, [401, 404, 200, 200]),
    "POST /jobs/{job_id}/tasks/{task_id}/stop": (
        "POST",
        "/jobs/alice-job/tasks/{task}/stop",
        None,
        [401, 404, 202, 409],
    ),
    # the task is QUEUED: it cannot be paused or resumed, which only someone who may see it learns
    "POST /jobs/{job_id}/tasks/{task_id}/pause": (
        "POST",
        "/jobs/alice-job/tasks/{task}/pause",
        None,
        [401, 404, 409, 409],
    ),
    "POST /jobs/{job_id}/tasks/{task_id}/resume": (
        "POST",
        "/jobs/alice-job/tasks/{task}/resume",
        None,
        [401, 404, 409, 409],
    ),
    "POST /jobs/{job_id}/backfill": (
        "POST",
        "/jobs/alice-job/backfill",
        {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T03:00:00Z"},
        [401, 404, 202, 202],
    ),
    # any signed-in user, in their own home only (bob is refused alice's; admins act anywhere)
    "POST /user-jobs/{kind}": (
        "POST",
        "/user-jobs/copy",
        {"parameters": {"prefix": "home/alice/docs/", "destination": "home/alice/copy/"}},
        [401, 403, 202, 202],
    ),
    "GET /actions": ("GET", "/actions", None, [401, 200, 200, 200]),
    "GET /vocabulary": ("GET", "/vocabulary", None, [401, 200, 200, 200]),
    "GET /audit": ("GET", "/audit", None, [401, 403, 403, 200]),
    "GET /jobs/{job_id}/external-triggers": ("GET", "/jobs/alice-job/external-triggers", None, [401, 404, 200, 200]),
    # slots: the owner may read them; skipping and moving runs is for admins
    "GET /jobs/{job_id}/slots": ("GET", "/jobs/alice-job/slots", None, [401, 404, 200, 200]),
    "POST /jobs/{job_id}/slots/{slot}/skip": ("POST", "/jobs/alice-job/slots/{slot}/skip", None, [401, 404, 403, 200]),
    "DELETE /jobs/{job_id}/slots/{slot}/skip": (
        "DELETE",
        "/jobs/alice-job/slots/{skipped_slot}/skip",
        None,
        [401, 404, 403, 200],
    ),
    "POST /jobs/{job_id}/slots/{slot}/move": (
        "POST",
        "/jobs/alice-job/slots/{slot}/move",
        {"to": "{move_to}"},
        [401, 404, 403, 202],
    ),
    "GET /timeline": ("GET", "/timeline", None, [401, 200, 200, 200]),
    # calendars: admins write them, anyone signed in reads them
    "GET /calendars": ("GET", "/calendars", None, [401, 200, 200, 200]),
    "GET /datasources": ("GET", "/datasources", None, [401, 200, 200, 200]),
    "GET /datasources/{name}": ("GET", "/datasources/default", None, [401, 200, 200, 200]),
    "POST /calendars": ("POST", "/calendars", CALENDAR | {"name": "new-cal"}, [401, 403, 403, 201]),
    "GET /calendars/{name}": ("GET", "/calendars/office", None, [401, 200, 200, 200]),
    "PUT /calendars/{name}": ("PUT", "/calendars/office", CALENDAR | {"version": 1}, [401, 403, 403, 200]),
    "DELETE /calendars/{name}": ("DELETE", "/calendars/office", None, [401, 403, 403, 204]),
    "GET /calendars/{name}/preview": ("GET", "/calendars/office/preview", None, [401, 200, 200, 200]),
    # any signed-in user may call a hook that is not admins-only
    "POST /hooks/{slug}": ("POST", "/hooks/alice-hook", {"note": "hi"}, [401, 202, 202, 202]),
}
# alice may see a custom job she owns, but system and custom jobs are the admins' to run or clear.
CUSTOM = {
    "run a custom job": ("POST", "/jobs/alice-custom/run", {}, [401, 404, 403, 202]),
    "clear a custom job": ("DELETE", "/jobs/alice-custom/tasks", None, [401, 404, 403, 200]),
    "stop a custom job's task": ("POST", "/jobs/alice-custom/tasks/{custom_task}/stop", None, [401, 404, 403, 202]),
    "backfill a custom job": (
        "POST",
        "/jobs/alice-custom/backfill",
        {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T03:00:00Z"},
        [401, 404, 403, 422],  # it has no schedule
    ),
    "see a system job": ("GET", "/jobs/purge-recycle-bin", None, [401, 404, 404, 200]),
    "run a system job": ("POST", "/jobs/purge-recycle-bin/run", {}, [401, 404, 404, 202]),
}
PUBLIC = {"GET /openapi.json": ("GET", "/openapi.json", None, [200, 200, 200, 200])}


@pytest.fixture
def world(aws):
    system_jobs.ensure()
    store.create_job(
        make_job("alice-job", "0 * * * *", owner="alice", kind=JobKind.USER, hooks=[HookTrigger("alice-hook")])
    )
    jobs.create(make_job("alice-custom", None, owner="alice"))
    calendars.create(Calendar("office", rules=[CalendarRule(weekdays=["SAT", "SUN"])]), SYSTEM)
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    skipped = (hour + timedelta(hours=3)).isoformat()
    slots.skip("alice-job", hour + timedelta(hours=3), SYSTEM)
    return {
        "slot": (hour + timedelta(hours=2)).isoformat(),
        "skipped_slot": skipped,
        "move_to": (hour + timedelta(hours=2, minutes=10)).isoformat(),
        "task": tasks.run_now("alice-job").id,
        "custom_task": tasks.run_now("alice-custom").id,
        "api": Api(),
    }


@pytest.mark.parametrize("route", [*MATRIX, *CUSTOM, *PUBLIC])
def test_each_route_answers_each_kind_of_caller_as_documented(world, route):
    method, path, body, expected = {**MATRIX, **CUSTOM, **PUBLIC}[route]
    path, query = path.format(**world).partition("?")[::2]
    if body and "to" in body:
        body = {"to": body["to"].format(**world)}
    got = []
    for who in WHO:
        reply = world["api"](
            method,
            path,
            body,
            user=None if who == "anonymous" else who,
            query=dict(p.split("=") for p in query.replace("+", " ").split("&")) if query else None,
        )
        got.append(reply.status)
    assert got == expected


def test_the_matrix_covers_every_route_of_the_openapi_document(world):
    document = world["api"]("GET", "/openapi.json", user=None).json()
    routes = {f"{m.upper()} {p}" for p, ops in document["paths"].items() for m in ops}
    assert routes == set(MATRIX)


def test_a_user_lists_only_their_own_jobs(world):
    api = world["api"]
    assert {j["id"] for j in api("GET", "/jobs", user="alice").json()["items"]} == {"alice-job", "alice-custom"}
    assert api("GET", "/jobs", user="bob").json()["items"] == []
    admin_view = {j["id"] for j in api("GET", "/jobs").json()["items"]}
    assert {"alice-job", "purge-recycle-bin"} <= admin_view


def test_an_anonymous_call_is_told_how_to_authenticate(world):
    reply = world["api"]("GET", "/jobs", user=None)
    assert reply.status == 401 and "Authorization: Bearer" in json.loads(reply.text)["message"]


def test_the_owner_runs_with_their_name_on_the_task(world):
    task = world["api"]("POST", "/jobs/alice-job/run", {}, user="alice").json()
    assert task["trigger"]["by"] == "alice"
    assert store.get_task("alice-job", task["id"]).trigger.by == "alice"
    assert tasks.history("alice-job", Principal("alice")).items[0].id == task["id"]
