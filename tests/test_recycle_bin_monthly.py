"""The canonical example: the system job purges the recycle bin at 00:00 on the 1st of the month."""

from __future__ import annotations

import time_machine

from jobdeck import store, system_jobs
from jobdeck.domain import TaskStatus, TriggerType
from jobdeck.runner import run_message
from jobdeck.tick import tick
from tests.support import at


def test_first_of_the_month_purges_old_recycle_bin_objects_and_keeps_recent_ones(aws, s3, bucket, run_queue):
    with time_machine.travel(at("2026-10-15T09:00:00Z"), tick=False):
        s3.put_object(Bucket=bucket, Key="recycle_bin/home/alice/old-report.pdf", Body=b"old")
        s3.put_object(Bucket=bucket, Key="home/alice/keep.txt", Body=b"not in the bin")
    with time_machine.travel(at("2026-11-20T09:00:00Z"), tick=False):
        system_jobs.ensure()
        s3.put_object(Bucket=bucket, Key="recycle_bin/home/bob/recent.txt", Body=b"recent")
        assert store.get_job("purge-recycle-bin").next_fire_at == at("2026-12-01T00:00:00Z")

    with time_machine.travel(at("2026-12-01T00:00:00Z"), tick=False):
        report = tick()
        messages = run_queue.receive()
        purge = [m for m in messages if "purge-recycle-bin" in m["Body"]]
        assert report.queued >= 1 and len(purge) == 1
        for message in messages:
            run_message(message["Body"])

    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert keys == {"recycle_bin/home/bob/recent.txt", "home/alice/keep.txt"}

    [task] = store.list_tasks("purge-recycle-bin")
    assert task.status is TaskStatus.FINISHED
    assert task.trigger.type is TriggerType.SCHEDULE
    assert task.scheduled_for == at("2026-12-01T00:00:00Z")
    assert "purged 1 objects" in task.logs[-1].message
    job = store.get_job("purge-recycle-bin")
    assert job.last_task is not None and job.last_task.id == task.id
    assert job.last_task.status is TaskStatus.FINISHED
    assert job.next_fire_at == at("2027-01-01T00:00:00Z")
