"""The admin HTTP API through its Lambda handler, with API Gateway's event shape."""

from __future__ import annotations

import json

import pytest
from openapi_spec_validator import validate

from jobdeck import store, system_jobs, tasks
from jobdeck.domain import JobKind, TaskStatus
from jobdeck.runner import run_message
from tests.support import Api, make_job

NIGHTLY = {
    "id": "nightly-report",
    "label": "Nightly report",
    "schedule": {"expression": "30 2 * * *", "timezone": "Europe/Paris"},
    "actions": [{"action": "log.message", "parameters": {"message": "report for {{ parameters.team }}"}}],
    "parameters": [{"name": "team", "type": "string", "default": "ops", "choices": ["ops", "dev"]}],
}


@pytest.fixture
def api(aws) -> Api:
    system_jobs.ensure()
    return Api()


def _run_queue(run_queue) -> None:
    for message in run_queue.receive():
        run_message(message["Body"])


def test_create_read_list_a_custom_job(api):
    created = api("POST", "/jobs", NIGHTLY)
    assert created.status == 201, created
    job = created.json()
    assert created.headers["Location"] == "/jobs/nightly-report"
    assert job["kind"] == "custom" and job["owner"] == "admin" and job["version"] == 1
    assert job["trigger"] == "periodic: 30 2 * * *"
    assert job["next_run"] is not None

    assert api("GET", "/jobs/nightly-report").json() == job
    listed = api("GET", "/jobs").json()
    assert {j["id"] for j in listed["items"]} == {"nightly-report", *(j.id for j in system_jobs.definitions())}


def test_a_job_id_is_made_from_the_label_when_absent(api):
    job = api("POST", "/jobs", {"label": "Clean Tmp!", "actions": []}).json()
    assert job["id"].startswith("clean-tmp-")


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({**NIGHTLY, "label": ""}, "body.label", "at least 1 character"),
        ({**NIGHTLY, "colour": "red"}, "body.colour", "Extra inputs are not permitted"),
        ({**NIGHTLY, "timeout_seconds": "soon"}, "body.timeout_seconds", "valid integer"),
        ({**NIGHTLY, "schedule": {"expression": "61 * * * *"}}, "schedule.expression", "Bad minute"),
        (
            {**NIGHTLY, "schedule": {"expression": "* * * * *", "timezone": "Mars/Base"}},
            "schedule.expression",
            "Mars/Base",
        ),
        ({**NIGHTLY, "actions": [{"action": "rm.rf"}]}, "body.actions[0].action", "unknown action 'rm.rf'"),
        ({**NIGHTLY, "actions": [{"action": "tree.delete", "parameters": {}}]}, "body.actions[0].parameters", "prefix"),
        (
            {**NIGHTLY, "parameters": [{"name": "n", "type": "integer", "default": "x"}]},
            "body.parameters[0].default",
            "not a integer",
        ),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_nothing_is_stored(api, body, field, words):
    reply = api("POST", "/jobs", body)
    assert reply.status == 422, reply
    error = reply.json()
    assert error["error"] == "invalid"
    assert any(p["field"] == field and words in p["problem"] for p in error["errors"]), error
    assert store.get_job("nightly-report") is None
    assert api("GET", "/audit").json()["items"] == []


def test_malformed_json_and_oversized_bodies_are_refused(api):
    malformed = api("POST", "/jobs", raw_body='{"label": ')
    assert malformed.status == 422 and "JSON" in malformed.text
    huge = api("POST", "/jobs", {**NIGHTLY, "description": "x" * (300 * 1024)})
    assert huge.status == 413 and huge.json()["error"] == "too_large"
    assert store.get_job("nightly-report") is None


def test_replace_needs_the_version_read_and_conflicts_otherwise(api):
    api("POST", "/jobs", NIGHTLY)
    replaced = api("PUT", "/jobs/nightly-report", {**NIGHTLY, "label": "Nightly report v2", "version": 1})
    assert replaced.status == 200, replaced
    assert replaced.json()["version"] == 2 and replaced.json()["label"] == "Nightly report v2"

    stale = api("PUT", "/jobs/nightly-report", {**NIGHTLY, "label": "lost update", "version": 1})
    assert stale.status == 409 and "version 2" in stale.json()["message"]
    assert store.get_job("nightly-report").label == "Nightly report v2"


def test_system_jobs_can_be_disabled_and_run_but_not_edited_or_deleted(api):
    assert api("PUT", "/jobs/purge-recycle-bin", {**NIGHTLY, "version": 1}).status == 409
    assert api("DELETE", "/jobs/purge-recycle-bin").status == 409
    assert api("POST", "/jobs/purge-recycle-bin/disable").json()["enabled"] is False
    assert api("POST", "/jobs/purge-recycle-bin/run", {}).status == 202


def test_delete_removes_the_job_and_its_history(api, run_queue):
    api("POST", "/jobs", NIGHTLY)
    api("POST", "/jobs/nightly-report/run", {})
    _run_queue(run_queue)
    assert api("DELETE", "/jobs/nightly-report").status == 204
    assert api("GET", "/jobs/nightly-report").status == 404
    assert store.list_tasks("nightly-report") == []


def test_run_now_with_parameters_runs_and_shows_as_last_execution(api, run_queue):
    api("POST", "/jobs", NIGHTLY)
    started = api("POST", "/jobs/nightly-report/run", {"parameters": {"team": "dev"}})
    assert started.status == 202, started
    task = started.json()
    assert task["status"] == "QUEUED" and task["trigger"] == {"type": "manual", "by": "admin", "detail": {}}
    assert task["parameters"] == {"team": "dev"}

    _run_queue(run_queue)

    detail = api("GET", f"/jobs/nightly-report/tasks/{task['id']}").json()
    assert detail["status"] == "FINISHED" and detail["progress"] == 1.0
    assert [line["message"] for line in detail["logs"]] == ["report for dev"]
    assert detail["duration_seconds"] >= 0
    row = next(j for j in api("GET", "/jobs").json()["items"] if j["id"] == "nightly-report")
    assert row["last_task"]["id"] == task["id"] and row["last_task"]["status"] == "FINISHED"


@pytest.mark.parametrize(
    ("values", "words"),
    [({"team": "sales"}, "not one of"), ({"colour": 1}, "declares no parameter"), ({"team": 3}, "not a string")],
)
def test_run_now_parameters_are_checked_against_the_declarations(api, values, words):
    api("POST", "/jobs", NIGHTLY)
    reply = api("POST", "/jobs/nightly-report/run", {"parameters": values})
    assert reply.status == 422 and words in reply.text
    assert store.list_tasks("nightly-report") == []


def test_enable_and_disable_one_and_many(api):
    api("POST", "/jobs", NIGHTLY)
    assert api("POST", "/jobs/nightly-report/disable").json()["next_run"] is None
    assert store.due_jobs(store.get_job("purge-recycle-bin").next_fire_at) != []
    bulk = api("POST", "/jobs/disable", {"ids": ["purge-recycle-bin", "nightly-report", "ghost"]}).json()
    assert bulk["results"] == [
        {"id": "purge-recycle-bin", "outcome": "disabled"},
        {"id": "nightly-report", "outcome": "unchanged"},
        {"id": "ghost", "outcome": "not found"},
    ]
    enabled = api("POST", "/jobs/enable", {"ids": ["purge-recycle-bin", "nightly-report"]}).json()
    assert [r["outcome"] for r in enabled["results"]] == ["enabled", "enabled"]
    assert api("POST", "/jobs/enable", {"ids": []}).status == 422


def test_history_is_newest_first_filtered_and_paginated(api, run_queue):
    api("POST", "/jobs", NIGHTLY)
    ids = [api("POST", "/jobs/nightly-report/run", {}).json()["id"] for _ in range(5)]
    _run_queue(run_queue)
    queued = api("POST", "/jobs/nightly-report/run", {}).json()["id"]

    first = api("GET", "/jobs/nightly-report/tasks", query={"limit": "2"}).json()
    assert [t["id"] for t in first["items"]] == [queued, ids[-1]]
    rest = api("GET", "/jobs/nightly-report/tasks", query={"limit": "10", "cursor": first["cursor"]}).json()
    assert [t["id"] for t in rest["items"]] == ids[-2::-1] and rest["cursor"] is None
    finished = api("GET", "/jobs/nightly-report/tasks", query={"status": "FINISHED"}).json()
    assert len(finished["items"]) == 5
    assert api("GET", "/jobs/nightly-report/tasks", query={"status": "DONE"}).status == 422
    assert api("GET", "/jobs/nightly-report/tasks", query={"cursor": "garbage!"}).status == 422


def test_clear_all_keeps_active_tasks(api, run_queue):
    api("POST", "/jobs", NIGHTLY)
    for _ in range(3):
        api("POST", "/jobs/nightly-report/run", {})
    _run_queue(run_queue)
    queued = api("POST", "/jobs/nightly-report/run", {}).json()["id"]
    assert api("DELETE", "/jobs/nightly-report/tasks").json() == {"deleted": 3}
    assert [t["id"] for t in api("GET", "/jobs/nightly-report/tasks").json()["items"]] == [queued]


def test_stop_a_queued_task_ends_it_before_it_starts(api, run_queue):
    api("POST", "/jobs", NIGHTLY)
    task = api("POST", "/jobs/nightly-report/run", {}).json()
    stopped = api("POST", f"/jobs/nightly-report/tasks/{task['id']}/stop")
    assert stopped.status == 202 and stopped.json()["status"] == "INTERRUPTED"
    _run_queue(run_queue)  # the message still arrives: it must not start the task
    final = store.get_task("nightly-report", task["id"])
    assert final.status is TaskStatus.INTERRUPTED and final.message == "stopped by admin before it started"
    assert api("POST", f"/jobs/nightly-report/tasks/{task['id']}/stop").status == 409


def test_stop_a_running_task_interrupts_it_at_the_next_step(api, run_queue):
    steps = [{"action": "log.message", "parameters": {"message": f"step {i}"}} for i in range(3)]
    api("POST", "/jobs", {**NIGHTLY, "actions": steps})
    task = tasks.run_now("nightly-report")
    [message] = run_queue.receive()
    original = store.start_task

    def start_then_stop(task, at, job, *saw):  # the user clicks Stop right after the task starts
        started = original(task, at, job, *saw)
        assert api("POST", f"/jobs/nightly-report/tasks/{task.id}/stop").status == 202
        return started

    store.start_task = start_then_stop
    try:
        assert run_message(message["Body"]) is TaskStatus.INTERRUPTED
    finally:
        store.start_task = original
    final = store.get_task("nightly-report", task.id)
    assert final.message == "stopped by admin" and final.logs[0].message == "step 0"


def test_schedule_preview_in_the_schedules_time_zone(api):
    api("POST", "/jobs", NIGHTLY)
    preview = api("GET", "/jobs/nightly-report/schedule/preview", query={"count": "3"}).json()
    assert len(preview["next"]) == 3
    assert all(t["local"].endswith(("+01:00", "+02:00")) and "T02:30:00" in t["local"] for t in preview["next"])
    assert preview["description"].startswith("At 02:30")
    checked = api("GET", "/schedule/preview", query={"expression": "cron(0 12 ? * MON-FRI *)"}).json()
    assert len(checked["next"]) == 5
    bad = api("GET", "/schedule/preview", query={"expression": "every tuesday"})
    assert bad.status == 422 and "every tuesday" in bad.json()["message"]


def test_the_action_catalog_serves_each_parameter_schema(api):
    catalog = {a["name"]: a for a in api("GET", "/actions").json()}
    assert catalog["tree.delete"]["parameters"]["required"] == ["prefix"]


def test_every_change_is_in_the_audit_trail_with_versions(api, run_queue):
    api("POST", "/jobs", NIGHTLY)
    api("PUT", "/jobs/nightly-report", {**NIGHTLY, "version": 1})
    api("POST", "/jobs/nightly-report/disable")
    task = api("POST", "/jobs/nightly-report/run", {}).json()
    api("POST", f"/jobs/nightly-report/tasks/{task['id']}/stop")
    api("DELETE", "/jobs/nightly-report/tasks")
    api("DELETE", "/jobs/nightly-report")

    trail = api("GET", "/audit", query={"job_id": "nightly-report"}).json()["items"]
    assert [(e["action"], e["version_before"], e["version_after"]) for e in reversed(trail)] == [
        ("job.create", None, 1),
        ("job.replace", 1, 2),
        ("job.disable", 2, 3),
        ("job.run", None, None),
        ("task.stop", None, None),
        ("tasks.clear", None, None),
        ("job.delete", 3, None),
    ]
    assert {e["actor"] for e in trail} == {"admin"}
    everything = api("GET", "/audit", query={"limit": "4"}).json()
    assert len(everything["items"]) == 4 and everything["cursor"]
    more = api("GET", "/audit", query={"limit": "10", "cursor": everything["cursor"]}).json()
    assert len(more["items"]) == 3


def test_openapi_document_is_valid_and_the_docs_page_is_served(api):
    reply = api("GET", "/openapi.json", user=None)
    assert reply.status == 200
    document = reply.json()
    validate(document)
    assert "/jobs/{job_id}/tasks/{task_id}/stop" in document["paths"]
    docs = api("GET", "/docs", user=None)
    assert docs.status == 200 and "swagger" in docs.text.lower()


def test_list_needs_no_request_per_row(api, run_queue):
    for i in range(3):
        api("POST", "/jobs", {**NIGHTLY, "id": f"job-{i}"})
        api("POST", f"/jobs/job-{i}/run", {})
    _run_queue(run_queue)
    rows = api("GET", "/jobs", query={"kind": "custom"}).json()["items"]
    assert len(rows) == 3 and all(r["last_task"]["status"] == "FINISHED" for r in rows)
    assert all(r["kind"] == JobKind.CUSTOM.value for r in rows)
    store.create_job(make_job("other", None))
    assert json.loads(api("GET", "/jobs", query={"enabled": "false"}).text)["items"] == []
