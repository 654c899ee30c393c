"""User jobs: one click, one job of the user's own, started at once, acting only in their home."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest

from jobdeck import runner, store
from jobdeck.domain import JobKind, TaskStatus
from jobdeck.store.models import JobModel
from tests.support import Api


@pytest.fixture
def homes(s3, bucket):
    for owner in ("alice", "bob"):
        for name in ("a.txt", "b.txt"):
            s3.put_object(Bucket=bucket, Key=f"home/{owner}/docs/{name}", Body=f"{owner} {name}".encode())


def _keys(s3, bucket, prefix):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))


def test_a_user_copies_in_their_home_as_a_one_shot_job_of_their_own(aws, run_queue, homes, s3, bucket):
    api = Api()
    body = {"parameters": {"prefix": "home/alice/docs/", "destination": "home/alice/backup/"}}
    reply = api("POST", "/user-jobs/copy", body, user="alice")
    assert reply.status == 202, reply
    job, task = reply.json()["job"], reply.json()["task"]
    assert (job["kind"], job["owner"], job["enabled"]) == ("user", "alice", True)
    assert reply.headers["Location"] == f"/jobs/{job['id']}/tasks/{task['id']}"
    assert [j["id"] for j in api("GET", "/jobs", user="alice").json()["items"]] == [job["id"]]

    [message] = run_queue.receive()
    assert runner.run_message(message["Body"]) is TaskStatus.FINISHED
    assert _keys(s3, bucket, "home/alice/backup/") == ["home/alice/backup/a.txt", "home/alice/backup/b.txt"]
    done = store.get_task(job["id"], task["id"])
    stored = store.get_job(job["id"])
    assert stored.kind is JobKind.USER and stored.last_task.status is TaskStatus.FINISHED
    # removed a week after its task ended (DynamoDB TTL, whole seconds), with its history
    expires = JobModel.get(job["id"]).expires_at
    assert abs((expires - (done.ended_at + timedelta(days=7))).total_seconds()) < 1


def test_the_picked_keys_are_the_actions_input(aws, run_queue, homes, s3, bucket):
    body = {"parameters": {"destination": "home/alice/picked/"}, "keys": ["home/alice/docs/b.txt"]}
    assert Api()("POST", "/user-jobs/copy", body, user="alice").status == 202
    [message] = run_queue.receive()
    assert runner.run_message(message["Body"]) is TaskStatus.FINISHED
    assert _keys(s3, bucket, "home/alice/picked/") == ["home/alice/picked/b.txt"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"parameters": {"prefix": "home/bob/docs/", "destination": "home/alice/loot/"}}, "parameters.prefix"),
        ({"parameters": {"prefix": "home/alice/docs/", "destination": "home/bob/gift/"}}, "parameters.destination"),
        ({"parameters": {"prefix": "home/alice/../bob/docs/", "destination": "home/alice/x/"}}, "parameters.prefix"),
        ({"parameters": {"prefix": "home/alicex/", "destination": "home/alice/x/"}}, "parameters.prefix"),
        (
            {"parameters": {"destination": "home/alice/x/"}, "keys": ["home/alice/docs/a.txt", "home/bob/docs/a.txt"]},
            "keys[1]",
        ),
    ],
)
def test_a_user_cannot_touch_another_users_home_and_nothing_is_stored(aws, run_queue, homes, body, field):
    reply = Api()("POST", "/user-jobs/copy", body, user="alice")
    assert reply.status == 403, reply
    assert reply.json()["message"].startswith(f"{field}: ")
    assert store.list_jobs(owner="alice").items == [] and run_queue.receive() == []


def test_an_admin_may_act_anywhere(aws, run_queue, homes):
    body = {"parameters": {"prefix": "home/bob/docs/", "destination": "shared/bob-docs/"}}
    assert Api()("POST", "/user-jobs/copy", body, user="admin").status == 202


def test_bad_input_is_refused_naming_what_was_wrong(aws, run_queue):
    api = Api()
    reply = api("POST", "/user-jobs/copy", {"parameters": {"prefix": "home/alice/"}}, user="alice")
    assert reply.status == 422 and reply.json()["errors"][0]["field"] == "body.parameters", reply
    assert "destination" in reply.json()["errors"][0]["problem"]
    reply = api("POST", "/user-jobs/launch-rockets", {"parameters": {}}, user="alice")
    assert reply.status == 422 and reply.json()["errors"][0]["field"] == "path.kind", reply
    assert store.list_jobs().items == [] and run_queue.receive() == []


def test_the_user_may_stop_and_clear_their_own_user_job(aws, run_queue, homes):
    api = Api()
    body = {"parameters": {"prefix": "home/alice/docs/", "destination": "home/alice/backup/"}}
    created = api("POST", "/user-jobs/copy", body, user="alice").json()
    job_id, task_id = created["job"]["id"], created["task"]["id"]
    assert api("POST", f"/jobs/{job_id}/tasks/{task_id}/stop", user="alice").status == 202
    assert api("POST", f"/jobs/{job_id}/tasks/{task_id}/stop", user="bob").status == 404
    assert api("DELETE", f"/jobs/{job_id}/tasks", user="alice").json() == {"deleted": 1}


def test_a_user_compresses_their_own_folder_but_not_another_users_home(aws, run_queue, homes, s3, bucket):
    api = Api()
    theirs = {"parameters": {"prefix": "home/bob/docs/", "destination": "home/alice/loot.zip"}}
    refused = api("POST", "/user-jobs/compress", theirs, user="alice")
    assert refused.status == 403 and refused.json()["message"].startswith("parameters.prefix: ")
    assert run_queue.receive() == []

    mine = {"parameters": {"prefix": "home/alice/docs/", "destination": "home/alice/docs.zip"}}
    assert api("POST", "/user-jobs/compress", mine, user="alice").status == 202
    [message] = run_queue.receive()
    assert runner.run_message(message["Body"]) is TaskStatus.FINISHED
    archive = zipfile.ZipFile(io.BytesIO(s3.get_object(Bucket=bucket, Key="home/alice/docs.zip")["Body"].read()))
    assert sorted(archive.namelist()) == ["a.txt", "b.txt"]
    assert archive.read("a.txt") == b"alice a.txt"
