"""Which item of a transaction failed its condition: DynamoDB reports the reasons in the order
PynamoDB sends the items (puts before updates), not in the order the code added them."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib

import pytest
from pynamodb.exceptions import TransactWriteError

from jobdeck import audit, jobs, store, tasks
from jobdeck.access import SYSTEM
from jobdeck.domain import TaskStatus
from jobdeck.errors import Conflict
from jobdeck.store.connections import PYNAMODB_VERSION
from jobdeck.store.convert import audit_item
from jobdeck.store.models import AuditModel, JobModel, TaskModel
from jobdeck.store.transactions import transaction
from locks import pins
from tests.support import at, make_job


def test_asking_a_task_that_just_ended_to_stop_says_no_rather_than_failing(aws, run_queue):
    jobs.create(make_job("quick", None))
    task = tasks.run_now("quick")
    store.start_task(task, at("2026-11-25T10:00:00Z"), store.get_job("quick"))
    running = store.get_task("quick", task.id)
    ended = store.get_task("quick", task.id)
    ended.status, ended.ended_at = TaskStatus.FINISHED, at("2026-11-25T10:00:05Z")
    assert store.finish_task(ended, 30)  # it ends between the read and the click
    # the audit entry is a put, sent before the task's update: the task's reason is the second
    assert store.request(running, "stop", "admin", audit.entry(SYSTEM, "task.stop", "quick")) is False


def test_an_edit_racing_another_is_a_conflict_not_a_crash(aws):
    jobs.create(make_job("raced", "0 * * * *"))
    first, second = store.get_job("raced"), store.get_job("raced")
    first.label, first.version = "first edit", 2
    store.save_job(first, 1, audit.entry(SYSTEM, "job.replace", "raced", 1, 2))
    second.label = "second edit"
    second.version = 2
    with pytest.raises(Conflict, match="changed since version 1"):
        store.save_job(second, 1, audit.entry(SYSTEM, "job.replace", "raced", 1, 2))


def test_stopping_an_older_queued_task_while_a_newer_one_shows_keeps_the_newer_summary(aws, run_queue):
    jobs.create(make_job("busy", None))
    older, newer = tasks.run_now("busy"), tasks.run_now("busy")
    stopped = tasks.stop("busy", older.id)
    assert store.get_task("busy", older.id).status is stopped.status
    assert store.get_job("busy").last_task.id == newer.id


def test_after_connect_a_burst_of_first_requests_makes_no_client(aws, monkeypatch):
    """The local stack connects at start: its invocations share a process, and each of many first
    reads at once would otherwise make a client of its own (PynamoDB makes one unlocked)."""
    import threading

    import botocore.session

    jobs.create(make_job("burst", None))
    task = tasks.run_now("burst")
    store.reset()
    store.connect(at_once=8)
    made: list[str] = []
    real = botocore.session.Session.create_client

    def create_client(self, service_name, *args, **kwargs):
        made.append(service_name)
        return real(self, service_name, *args, **kwargs)

    monkeypatch.setattr(botocore.session.Session, "create_client", create_client)
    start = threading.Barrier(8)

    def first_requests() -> None:
        start.wait()
        assert store.get_task("burst", task.id) is not None and store.get_job("burst") is not None

    threads = [threading.Thread(target=first_requests) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.start_task(store.get_task("burst", task.id), at("2026-11-25T10:00:00Z"), store.get_job("burst"))
    assert made == []
    # a connection for each of the eight at once: urllib3 would discard those past its default ten
    assert TaskModel._get_connection().connection.client.meta.config.max_pool_connections == 8
    store.reset()  # and PynamoDB's own pool again after
    assert TaskModel._get_connection().connection.client.meta.config.max_pool_connections == 10


def test_the_reasons_are_matched_to_items_in_the_order_pynamodb_sends_them(aws):
    """PynamoDB sends deletes, then puts, then updates, whatever order they were added in, and
    DynamoDB gives the reasons in the order it received the items: the one failed update, added
    first, is the last reason."""
    jobs.create(make_job("ordered", None))
    task = tasks.run_now("ordered")
    tx = transaction()
    with pytest.raises(TransactWriteError) as caught, tx:
        tx.update(JobModel("ordered"), actions=[JobModel.label.set("moved")], condition=JobModel.version == 99)
        tx.save(audit_item(audit.entry(SYSTEM, "job.replace", "ordered")))
        tx.delete(TaskModel("ordered", task.id))
    reasons = [reason.code if reason else None for reason in caught.value.cancellation_reasons or []]
    assert reasons == [None, None, "ConditionalCheckFailed"]
    assert tx.failed(caught.value, JobModel)
    assert not tx.failed(caught.value, TaskModel) and not tx.failed(caught.value, AuditModel)
    assert store.get_task("ordered", task.id) is not None  # nothing was written


def test_another_pynamodb_fails_the_stores_import_naming_both_versions(tmp_path):
    """The store reaches into PynamoDB's model connections (jobdeck/store/connections.py): with
    another version it refuses to load rather than misbehave."""
    (tmp_path / "sitecustomize.py").write_text("import pynamodb\npynamodb.__version__ = '6.2.0'\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", "import jobdeck.store"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert (
        "PynamoDBMismatch: PynamoDB 6.2.0 is installed, but jobdeck.store.connections reaches into "
        "PynamoDB 6.1.0's Model._connection and Model._get_connection()"
    ) in done.stderr


def test_pyproject_and_both_locks_pin_the_pynamodb_the_store_reaches_into():
    assert (
        f"pynamodb=={PYNAMODB_VERSION}"
        in tomllib.loads((pins.ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    )
    for lock in ("locks/dev.txt", pins.LAYER_LOCK):
        assert [pin.version for pin in pins.pins((pins.ROOT / lock).read_text())["pynamodb"]] == [PYNAMODB_VERSION]
