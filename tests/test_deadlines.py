"""Deadlines (docs/deadlines.md): when a run must have FINISHED, and the one announcement of a miss."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import boto3
import pytest

from jobdeck import deadlines, jobs, store, tasks
from jobdeck.deadline import Deadline
from jobdeck.domain import TaskStatus
from tests.support import Api, at, make_job

PARIS = ZoneInfo("Europe/Paris")


def test_a_run_must_finish_by_the_first_such_time_after_it_was_due_or_its_duration():
    by_eight = Deadline(finish_by="08:00", timezone="Europe/Paris")
    assert by_eight.of_run(at("2026-12-08T01:00:00Z"), None) == at("2026-12-08T07:00:00Z")  # 08:00 in Paris, UTC+1
    assert by_eight.of_run(at("2026-12-08T08:30:00Z"), None) == at("2026-12-09T07:00:00Z")  # past it: tomorrow's
    summer = by_eight.of_run(at("2026-07-01T01:00:00Z"), None)
    assert summer == at("2026-07-01T06:00:00Z")  # UTC+2
    both = Deadline(finish_by="08:00", timezone="Europe/Paris", max_duration_seconds=1800)
    assert both.of_run(at("2026-12-08T01:00:00Z"), at("2026-12-08T01:05:00Z")) == at("2026-12-08T01:35:00Z")
    assert Deadline(max_duration_seconds=60).of_run(at("2026-12-08T01:00:00Z"), None) is None  # not started


def _started(job_id: str, started: str) -> str:
    task, job = tasks.run_now(job_id), store.get_job(job_id)
    assert job is not None
    assert store.start_task(task, at(started), job)
    return task.id


def _listening(aws) -> tuple[str, str]:
    """A queue on the notifications topic and one on a rule for missed-deadline events."""
    sqs = boto3.client("sqs")
    urls = []
    for name in ("on-topic", "on-bus"):
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        urls.append(url)
    arn = [sqs.get_queue_attributes(QueueUrl=u, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"] for u in urls]
    boto3.client("sns").subscribe(TopicArn=aws.topics["NotificationsTopic"], Protocol="sqs", Endpoint=arn[0])
    bus = boto3.client("events")
    pattern = {"source": ["jobdeck"], "detail-type": ["Jobdeck Deadline Missed"]}
    bus.put_rule(Name="missed", EventPattern=json.dumps(pattern), State="ENABLED")
    bus.put_targets(Rule="missed", Targets=[{"Id": "q", "Arn": arn[1]}])
    return urls[0], urls[1]


def _bodies(url: str) -> list[dict]:
    sqs = boto3.client("sqs")
    return [
        json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    ]


def test_a_run_past_its_deadline_is_announced_once_everywhere(aws, run_queue):
    topic_queue, bus_queue = _listening(aws)
    jobs.create(make_job("slow", None, deadline=Deadline(max_duration_seconds=60)))
    jobs.create(make_job("quick", None, deadline=Deadline(max_duration_seconds=600)))
    late = _started("slow", "2026-12-08T01:00:00Z")
    _started("quick", "2026-12-08T01:00:00Z")

    assert deadlines.watch(at("2026-12-08T01:00:30Z")) == []  # not yet
    [miss] = deadlines.watch(at("2026-12-08T01:02:00Z"))
    assert (miss.job.id, miss.task.id, miss.deadline) == ("slow", late, at("2026-12-08T01:01:00Z"))
    assert deadlines.watch(at("2026-12-08T01:03:00Z")) == []  # once per run

    [notified] = _bodies(topic_queue)
    assert "missed its deadline" in notified["Subject"] and json.loads(notified["Message"])["task_id"] == late
    [event] = _bodies(bus_queue)
    assert event["detail"]["job_id"] == "slow" and event["detail"]["deadline"] == "2026-12-08T01:01:00+00:00"
    assert store.get_task("slow", late).deadline_missed_at == at("2026-12-08T01:02:00Z")
    shown = Api()("GET", "/jobs/slow").json()
    assert shown["deadline_missed"] == {"task_id": late, "at": "2026-12-08T01:02:00Z"}
    assert Api()("GET", f"/jobs/slow/tasks/{late}").json()["deadline_missed_at"] == "2026-12-08T01:02:00Z"


def test_a_run_that_finished_in_time_is_fine_and_one_that_failed_missed_it(aws, run_queue):
    jobs.create(make_job("nightly", None, deadline=Deadline(finish_by="08:00", timezone="Europe/Paris")))
    fine = _started("nightly", "2026-12-08T01:00:00Z")
    failed = _started("nightly", "2026-12-08T01:00:00Z")
    for task_id, status in ((fine, TaskStatus.FINISHED), (failed, TaskStatus.ERROR)):
        task = store.get_task("nightly", task_id)
        task.status, task.ended_at = status, at("2026-12-08T02:00:00Z")
        store.finish_task(task, 30)
    assert deadlines.watch(at("2026-12-08T06:59:00Z")) == []
    assert [m.task.id for m in deadlines.watch(at("2026-12-08T07:00:00Z"))] == [failed]


@pytest.mark.parametrize(
    ("deadline", "problem"),
    [
        ({}, "give finish_by, max_duration_seconds or both"),
        ({"finish_by": "8:00"}, "should match pattern"),
        ({"finish_by": "08:00", "timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
    ],
)
def test_a_deadline_that_cannot_be_kept_is_refused_naming_it(aws, deadline, problem):
    body = {"id": "d", "label": "d", "deadline": deadline}
    reply = Api()("POST", "/jobs", body)
    assert reply.status == 422 and problem in reply.text, reply
    assert reply.json()["errors"][0]["field"].startswith("body.deadline")
    ok = Api()("POST", "/jobs", {**body, "deadline": {"finish_by": "08:00", "timezone": "Europe/Paris"}})
    assert ok.status == 201 and ok.json()["deadline"]["finish_by"] == "08:00", ok
    assert store.get_job("d").deadline == Deadline("08:00", "Europe/Paris")


def test_the_watch_is_a_system_job_every_five_minutes(aws):
    from jobdeck import system_jobs

    system_jobs.ensure()
    job = store.get_job("watch-deadlines")
    assert job.schedule.expression == "*/5 * * * *" and job.actions[0].action == "tasks.deadlines"
    assert timedelta(days=job.history_days) == timedelta(days=1)
