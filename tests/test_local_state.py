"""The local stack's state on disk (moto_state, state_dir, request_gate), the provisioning and the
run recovery a restart relies on, in this process and quickly; tests/test_local_restart.py stops
and starts the real stack."""

from __future__ import annotations

import json
import stat
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from jobdeck import jobs, store, tasks
from jobdeck.domain import ActionStep, TaskStatus
from jobdeck.runner import run_message
from jobdeck_local.moto_state import MotoState
from jobdeck_local.provision import physical_name, provision
from jobdeck_local.recovery import recover_runs
from jobdeck_local.request_gate import EVERY, Gate, _changed_service
from jobdeck_local.state_dir import MANIFEST, StateDir, StateRefused
from jobdeck_local.tokens import signing_key
from tests.support import make_job

TABLE = physical_name("JobsTable")
BUCKET = physical_name("DatasourceBucket")


def _save(folder: Path) -> MotoState:
    state = MotoState(StateDir(folder), Gate())
    state.save()
    return state


def _load(folder: Path) -> int:
    return MotoState(StateDir(folder), Gate()).load()


def test_a_snapshot_brings_back_items_objects_messages_rules_and_schedules(tmp_path):
    with mock_aws():
        resources = provision()
        queue = resources.queues["RunQueue"]
        boto3.client("dynamodb").put_item(TableName=TABLE, Item={"id": {"S": "kept"}, "label": {"S": "Kept"}})
        s3 = boto3.client("s3")
        s3.put_object(Bucket=BUCKET, Key="inbox/a.txt", Body=b"hello", ContentType="text/plain", Metadata={"by": "me"})
        modified = s3.head_object(Bucket=BUCKET, Key="inbox/a.txt")["LastModified"]
        sqs = boto3.client("sqs")
        sqs.send_message(QueueUrl=queue, MessageBody="later", DelaySeconds=600)
        sqs.send_message(QueueUrl=queue, MessageBody="in flight")
        assert [m["Body"] for m in sqs.receive_message(QueueUrl=queue)["Messages"]] == ["in flight"]
        events = boto3.client("events")  # made by hand at the endpoint, as with `aws --endpoint-url`
        events.put_rule(Name="by-hand", ScheduleExpression="rate(5 minutes)")
        events.put_targets(Rule="by-hand", Targets=[{"Id": "1", "Arn": resources.queue_arns["RunQueue"]}])
        boto3.client("scheduler").create_schedule(
            Name="nightly",
            ScheduleExpression="cron(0 3 * * ? *)",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": resources.queue_arns["RunQueue"], "RoleArn": "arn:aws:iam::123456789012:role/x"},
        )
        _save(tmp_path)

    with mock_aws():  # a new moto: empty until loaded
        assert boto3.client("dynamodb").list_tables()["TableNames"] == []
        assert _load(tmp_path) >= 5
        provision()  # as a restarted stack does: what exists stays as it is
        item = boto3.client("dynamodb").get_item(TableName=TABLE, Key={"id": {"S": "kept"}})["Item"]
        assert item["label"] == {"S": "Kept"}
        kept = boto3.client("s3").get_object(Bucket=BUCKET, Key="inbox/a.txt")
        assert (kept["Body"].read(), kept["ContentType"], kept["Metadata"]) == (b"hello", "text/plain", {"by": "me"})
        assert kept["LastModified"] == modified
        sqs = boto3.client("sqs")
        # Nobody holds the message in flight any more: visible at once, its receive counted.
        (message,) = sqs.receive_message(QueueUrl=queue, AttributeNames=["All"])["Messages"]
        assert (message["Body"], message["Attributes"]["ApproximateReceiveCount"]) == ("in flight", "2")
        delayed = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
        assert delayed["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "1"  # still waiting its 10 minutes
        assert "RedrivePolicy" in sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        events = boto3.client("events")
        assert events.describe_rule(Name="by-hand")["ScheduleExpression"] == "rate(5 minutes)"
        assert events.list_targets_by_rule(Rule="by-hand")["Targets"][0]["Arn"] == resources.queue_arns["RunQueue"]
        assert boto3.client("scheduler").get_schedule(Name="nightly")["ScheduleExpression"] == "cron(0 3 * * ? *)"


def test_a_save_writes_only_the_services_that_changed_and_those_that_deliver(tmp_path):
    with mock_aws():
        provision()
        state = _save(tmp_path)
        first = dict(state.manifest.parts)
        assert {"dynamodb", "s3", "sqs", "events", "sns"} <= first.keys()
        assert state.save() is False  # nothing changed: nothing written
        state.gate.changed_again({"dynamodb"})
        assert state.save() is True
        second = state.manifest.parts
    assert {s for s in second if second[s] != first[s]} == {"dynamodb", "sqs", "sns", "events"}
    assert sorted(p.name for p in tmp_path.glob("*.pickle")) == sorted(second.values())  # the old ones deleted
    with mock_aws():
        state.gate.changed_again({EVERY})  # a request whose service could not be told: everything
        provision()
        assert state.save() is True
    assert all(state.manifest.parts[s] != second[s] for s in second)


def test_a_state_saved_by_another_moto_is_refused_saying_what_to_do(tmp_path):
    with mock_aws():
        provision()
        _save(tmp_path)
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    (tmp_path / MANIFEST).write_text(json.dumps({**manifest, "moto": "4.0.0"}))
    with mock_aws(), pytest.raises(StateRefused, match=r"saved by moto 4\.0\.0.*--fresh.*moto==4\.0\.0"):
        _load(tmp_path)


def test_a_damaged_part_is_refused_saying_what_to_do(tmp_path):
    with mock_aws():
        provision()
        state = _save(tmp_path)
    (tmp_path / state.manifest.parts["dynamodb"]).write_bytes(b"not a pickle")
    with mock_aws(), pytest.raises(StateRefused, match=r"dynamodb\.1\.pickle cannot be loaded .* --fresh"):
        _load(tmp_path)


def test_a_save_that_dies_before_its_manifest_leaves_the_previous_state_whole(tmp_path, monkeypatch, capfd):
    with mock_aws():
        provision()
        state = _save(tmp_path)
        boto3.client("dynamodb").put_item(TableName=TABLE, Item={"id": {"S": "lost"}})
        state.gate.changed_again({"dynamodb"})
        real_replace = Path.replace

        def power_cut(self: Path, target: Any) -> Path:
            raise OSError("power cut")

        monkeypatch.setattr(Path, "replace", power_cut)
        with pytest.raises(RuntimeError, match=r"saving the state .* failed"):
            state.save()
        monkeypatch.setattr(Path, "replace", real_replace)
        assert "OSError: power cut" in capfd.readouterr().err  # the saving child said why
    with mock_aws():
        _load(tmp_path)
        assert "Item" not in boto3.client("dynamodb").get_item(TableName=TABLE, Key={"id": {"S": "lost"}})
        assert state.save() is True  # what failed is still noted as changed, and the strays go
    assert sorted(p.name for p in tmp_path.glob("*.pickle")) == sorted(state.manifest.parts.values())


def test_a_second_owner_of_a_state_folder_is_refused_naming_the_first(tmp_path):
    folder = StateDir(tmp_path)
    with (
        folder.locked(wait=0),
        pytest.raises(StateRefused, match=r"in use by process \d+"),
        StateDir(tmp_path).locked(wait=0.2),
    ):
        pass
    with folder.locked(wait=0):  # free again once the first let go
        pass


def test_fresh_moves_the_state_aside_rather_than_deleting_it(tmp_path):
    state = tmp_path / "state"
    assert StateDir(state).move_aside(wait=0) is None  # nothing there
    signing_key(StateDir(state).key_file)
    aside = StateDir(state).move_aside(wait=0)
    assert aside is not None and (aside / "issuer-key.pem").exists()
    assert not state.exists()


def test_the_issuer_key_is_kept_private_and_the_same_across_restarts(tmp_path):
    key = signing_key(tmp_path / "issuer-key.pem")
    assert stat.S_IMODE((tmp_path / "issuer-key.pem").stat().st_mode) == 0o600
    assert signing_key(tmp_path / "issuer-key.pem").private_numbers() == key.private_numbers()


# ---------------------------------------------------------------------- the gate


def _environ(method: str = "POST", target: str = "", service: str | None = None) -> dict[str, Any]:
    environ = {"REQUEST_METHOD": method, "HTTP_X_AMZ_TARGET": target}
    if service:
        environ["HTTP_AUTHORIZATION"] = (
            f"AWS4-HMAC-SHA256 Credential=local/20261207/us-east-1/{service}/aws4_request, Signature=x"
        )
    return environ


@pytest.mark.parametrize(
    ("environ", "noted"),
    [
        (_environ("GET", service="s3"), None),
        (_environ(target="DynamoDB_20120810.GetItem", service="dynamodb"), None),
        (_environ(target="DynamoDB_20120810.Query", service="dynamodb"), None),
        (_environ(target="AmazonSQS.ReceiveMessage", service="sqs"), None),
        (_environ(target="DynamoDB_20120810.TransactWriteItems", service="dynamodb"), "dynamodb"),
        (_environ(target="AmazonSQS.SendMessage", service="sqs"), "sqs"),
        (_environ("PUT", service="s3"), "s3"),
        (_environ("POST"), EVERY),  # unsigned (moto's own /moto-api/reset): anything may change
    ],
)
def test_the_gate_notes_the_service_a_request_may_change(environ, noted):
    assert _changed_service(environ) == noted


def test_a_snapshot_waits_for_the_requests_inside_and_holds_new_ones_at_the_gate():
    gate = Gate()
    inside, release = threading.Event(), threading.Event()
    order: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        order.append(f"{environ['name']} in")
        inside.set()
        release.wait(5) if environ["name"] == "first" else None
        order.append(f"{environ['name']} out")
        return [b""]

    gated = gate.wrap(app)

    def request(name: str) -> threading.Thread:
        environ = {**_environ(target="AmazonSQS.SendMessage", service="sqs"), "name": name}
        thread = threading.Thread(target=gated, args=(environ, None))
        thread.start()
        return thread

    first = request("first")
    inside.wait(5)

    def snapshot() -> None:
        with gate.closed() as changed:
            order.append(f"snapshot of {sorted(changed)}")
            time.sleep(0.1)  # a request arriving now waits

    taker = threading.Thread(target=snapshot)
    taker.start()
    time.sleep(0.1)
    second = threading.Thread(target=lambda: (time.sleep(0.05), request("second").join()))
    second.start()
    time.sleep(0.1)
    release.set()
    for thread in (first, taker, second):
        thread.join(5)
    assert order == ["first in", "first out", "snapshot of ['sqs']", "second in", "second out"]


def test_a_long_poll_steps_out_of_the_gate_while_it_waits(aws):
    gate = Gate()
    undo = gate.let_long_polls_step_out()
    try:
        queue = aws.queues["EventsQueue"]
        sqs = boto3.client("sqs")

        def long_poll(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            return [json.dumps(sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=3)).encode()]

        poll = threading.Thread(target=gate.wrap(long_poll), args=(_environ(target="AmazonSQS.ReceiveMessage"), None))
        poll.start()
        time.sleep(0.3)
        started = time.monotonic()
        with gate.closed():
            pass
        assert time.monotonic() - started < 1  # not the poll's 3 s
        sqs.send_message(QueueUrl=queue, MessageBody="wake up")
        poll.join(5)
    finally:
        undo()


# ---------------------------------------------------------------------- a restart's provisioning and runs


def test_provisioning_again_keeps_what_exists_and_adds_what_the_template_added():
    with mock_aws():
        provision()
        dynamodb = boto3.client("dynamodb")
        dynamodb.put_item(TableName=TABLE, Item={"id": {"S": "kept"}})
        tasks_table = physical_name("TasksTable")
        described = dynamodb.describe_table(TableName=tasks_table)["Table"]
        dynamodb.delete_table(TableName=tasks_table)  # an older template's table, without its indexes
        keys = {key["AttributeName"] for key in described["KeySchema"]}
        dynamodb.create_table(
            TableName=tasks_table,
            KeySchema=described["KeySchema"],
            AttributeDefinitions=[a for a in described["AttributeDefinitions"] if a["AttributeName"] in keys],
            BillingMode="PAY_PER_REQUEST",
        )
        provision()
        assert "Item" in dynamodb.get_item(TableName=TABLE, Key={"id": {"S": "kept"}})
        indexes = dynamodb.describe_table(TableName=tasks_table)["Table"]["GlobalSecondaryIndexes"]
        assert {i["IndexName"] for i in indexes} == {i["IndexName"] for i in described["GlobalSecondaryIndexes"]}


def test_runs_left_running_continue_from_their_checkpoint_or_end_as_the_reaper_ends_them(aws, run_queue):
    steps = [ActionStep("log.message", {"message": "one"}), ActionStep("log.message", {"message": "two"})]
    jobs.create(make_job("plain", None))
    jobs.create(make_job("checkpointed", None, actions=steps))
    now = datetime.now(UTC)
    plain = tasks.run_now("plain")
    store.start_task(plain, now - timedelta(seconds=30), store.get_job("plain"))
    long = tasks.run_now("checkpointed")
    store.start_task(long, now - timedelta(seconds=30), store.get_job("checkpointed"))
    long.resume = {"step": 1, "nodes": [], "state": {}}  # paused after its first step, then resumed
    store.pause_task(long, "admin")
    tasks.resume("checkpointed", long.id)
    store.start_task(store.get_task("checkpointed", long.id), now, store.get_job("checkpointed"))
    run_queue.receive()  # the stack that sent these is gone

    recovered = recover_runs(datetime.now(UTC))

    assert (recovered.resumed, recovered.ended) == (1, 1)
    ended = store.get_task("plain", plain.id)
    assert (ended.status, ended.message) == (TaskStatus.ERROR, "Task stuck: the local stack stopped while it ran")
    assert store.get_job("plain").running == 0  # its seat is free again
    (message,) = run_queue.receive()
    assert json.loads(message["Body"]) == {"job_id": "checkpointed", "task_id": long.id}
    run_message(message["Body"])
    done = store.get_task("checkpointed", long.id)
    assert done.status is TaskStatus.FINISHED
    assert [line.message for line in done.logs][-2:] == ["continuing at step 2, attempt 1", "two"]
