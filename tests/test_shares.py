"""share.create and share.expire: presigned links recorded in the Shares table, removed once expired."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import requests
import time_machine

from jobdeck import actions, jobs, runner, store, tasks
from jobdeck.actions import ActionError, Node
from jobdeck.domain import ActionStep, TaskStatus
from jobdeck.store import shares as share_store
from tests.support import action_context, at, make_job

NOW = at("2026-11-25T10:00:00Z")


def _share(settings, nodes=(), **params):
    action = actions.get("share.create")
    ctx, lines = action_context(settings)
    return action.run(ctx, action.validate(params), list(nodes)), [message for _, message in lines]


def _shares(table: str) -> list[dict]:
    import boto3

    return boto3.client("dynamodb").scan(TableName=table)["Items"]


def test_a_share_is_a_presigned_get_of_the_key_for_its_expiry_recorded_with_who_made_it(aws, settings, s3, bucket):
    s3.put_object(Bucket=bucket, Key="reports/q3 résumé.pdf", Body=b"%PDF q3")
    with time_machine.travel(NOW, tick=False):
        shared, lines = _share(settings, key="reports/q3 résumé.pdf", expires_in=3600)

    assert shared == [Node("reports/q3 résumé.pdf")]
    [item] = _shares(aws.tables["SharesTable"])
    share = share_store.get_share(item["id"]["S"])
    assert (share.key, share.datasource, share.created_by) == ("reports/q3 résumé.pdf", "default", "alice")
    assert (share.created_at, share.expires_at) == (NOW, NOW + timedelta(hours=1))
    assert (share.job_id, share.task_id) == ("hooked", "01JDTASK00000000000000000")
    assert share.url in lines  # the task's log shows the link
    assert f"share {share.id}: reports/q3 résumé.pdf until 2026-11-25T11:00:00+00:00, by alice" in lines

    url = urlsplit(share.url)
    query = parse_qs(url.query)
    assert (url.netloc, unquote(url.path)) == (f"{bucket}.s3.amazonaws.com", "/reports/q3 résumé.pdf")
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["3600"] and query["X-Amz-Date"] == ["20261125T100000Z"]
    assert "host" in query["X-Amz-SignedHeaders"][0] and query["X-Amz-Signature"]
    fetched = requests.get(share.url, timeout=10)  # moto answers the signed GET
    assert fetched.status_code == 200 and fetched.content == b"%PDF q3"


def test_input_objects_are_shared_each_and_a_missing_one_is_a_clear_error(aws, settings, s3, bucket):
    for key in ("a.txt", "b.txt"):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    shared, _ = _share(settings, [Node("a.txt"), Node("b.txt")])
    assert [n.key for n in shared] == ["a.txt", "b.txt"]
    stored = [share_store.get_share(i["id"]["S"]) for i in _shares(aws.tables["SharesTable"])]
    assert sorted(share.key for share in stored) == ["a.txt", "b.txt"]

    with pytest.raises(ActionError, match=r"cannot share gone\.txt: no such object in the datasource"):
        _share(settings, key="gone.txt")
    with pytest.raises(ActionError, match="nothing to share"):
        _share(settings)


def test_expires_in_is_capped_at_sigv4s_seven_days(aws):
    action = actions.get("share.create")
    assert action.validate({"key": "x", "expires_in": 604_800})["expires_in"] == 604_800
    with pytest.raises(actions.InvalidParameters, match="expires_in"):
        action.validate({"key": "x", "expires_in": 604_801})


def test_share_expire_removes_only_the_expired_shares(aws, run_queue, s3, bucket):
    s3.put_object(Bucket=bucket, Key="f.txt", Body=b"f")
    jobs.create(make_job("short", None, actions=[ActionStep("share.create", {"key": "f.txt", "expires_in": 60})]))
    jobs.create(make_job("long", None, actions=[ActionStep("share.create", {"key": "f.txt", "expires_in": 7200})]))
    jobs.create(make_job("expire", None, actions=[ActionStep("share.expire", {})]))

    def run(job_id: str):
        task = tasks.run_now(job_id)
        for message in run_queue.receive():
            runner.run_message(message["Body"])
        return store.get_task(job_id, task.id)

    with time_machine.travel(NOW, tick=False):
        assert run("short").status is TaskStatus.FINISHED
        assert run("long").status is TaskStatus.FINISHED
        assert run("expire").logs[-1].message == "removed 0 expired shares"
    with time_machine.travel(NOW + timedelta(minutes=30), tick=False):
        done = run("expire")
    assert done.status is TaskStatus.FINISHED and done.logs[-1].message == "removed 1 expired shares"
    [left] = _shares(aws.tables["SharesTable"])
    assert share_store.get_share(left["id"]["S"]).expires_at == NOW + timedelta(hours=2)
    with time_machine.travel(NOW + timedelta(hours=3), tick=False):
        assert run("expire").logs[-1].message == "removed 1 expired shares"
    assert _shares(aws.tables["SharesTable"]) == []
