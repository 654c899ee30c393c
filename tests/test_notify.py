"""Failure notifications: the stack's topic (moto SNS, read through an SQS queue subscribed to
it), the job's webhook (a real server on 127.0.0.1), and the notify action."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from jobdeck import actions, notify
from jobdeck.actions import ActionError, InvalidParameters, Node
from jobdeck.domain import NotifyPolicy, Task, TaskStatus, TriggerInfo, TriggerType
from tests.support import HookServer, TopicInbox, action_context, make_job


@pytest.fixture
def inbox(aws, settings) -> TopicInbox:
    assert settings.notify_topic_arn == aws.topics["NotificationsTopic"]
    return TopicInbox(settings.notify_topic_arn)


@pytest.fixture
def hook_server():
    with HookServer() as server:
        yield server


def _failed_task(status: TaskStatus = TaskStatus.ERROR, message: str = "step 2 (tree.copy): AccessDenied") -> Task:
    return Task(
        job_id="nightly-report",
        id="01JDFAILED000000000000000",
        status=status,
        trigger=TriggerInfo(TriggerType.SCHEDULE, by="system"),
        created_at=datetime(2026, 11, 25, 2, 0, tzinfo=UTC),
        started_at=datetime(2026, 11, 25, 2, 0, 3, tzinfo=UTC),
        ended_at=datetime(2026, 11, 25, 2, 4, 9, tzinfo=UTC),
        message=message,
        attempt=3,
    )


def _expected_document(status: str = "ERROR", message: str = "step 2 (tree.copy): AccessDenied") -> dict[str, Any]:
    return {
        "type": "jobdeck.task_failed",
        "job": {"id": "nightly-report", "label": "Nightly report", "owner": "ops"},
        "task": {
            "id": "01JDFAILED000000000000000",
            "status": status,
            "message": message,
            "attempt": 3,
            "started_at": "2026-11-25T02:00:03+00:00",
            "ended_at": "2026-11-25T02:04:09+00:00",
            "trigger": {"type": "schedule", "by": "system"},
        },
    }


def _job(**notify_fields: Any) -> Any:
    return make_job("nightly-report", label="Nightly report", owner="ops", notify=NotifyPolicy(**notify_fields))


@pytest.mark.parametrize("status", [TaskStatus.ERROR, TaskStatus.INTERRUPTED])
def test_a_failed_task_publishes_one_message_to_the_topic(settings, inbox, status):
    notify.task_failed(_job(), _failed_task(status), settings)

    [delivered] = inbox.messages()
    assert delivered["Subject"] == f"Jobdeck: Nightly report ended {status.value}"
    assert json.loads(delivered["Message"]) == _expected_document(status.value)
    attributes = {name: a["Value"] for name, a in delivered["MessageAttributes"].items()}
    assert attributes == {"job_id": "nightly-report", "status": status.value}


def test_a_job_that_opted_out_of_the_topic_publishes_nothing(settings, inbox):
    notify.task_failed(_job(topic=False), _failed_task(), settings)
    assert inbox.messages() == []


def test_without_a_topic_configured_nothing_is_published(settings, inbox):
    notify.task_failed(_job(), _failed_task(), dataclasses.replace(settings, notify_topic_arn=""))
    assert inbox.messages() == []


def test_a_task_that_did_not_fail_is_not_announced(settings, inbox):
    notify.task_failed(_job(), dataclasses.replace(_failed_task(), status=TaskStatus.FINISHED), settings)
    assert inbox.messages() == []


def test_the_webhook_receives_the_same_json(aws, inbox, hook_server, monkeypatch):
    monkeypatch.setenv("JOBDECK_WEBHOOK_ALLOW", "127.0.0.1")
    job = _job(topic=False, webhook=hook_server.url("/hooks/jobdeck?token=s3cret"))

    notify.task_failed(job, _failed_task())  # settings read from the environment, as the runner's

    [request] = hook_server.requests
    assert request["path"] == "/hooks/jobdeck?token=s3cret"
    assert request["headers"]["content-type"] == "application/json"
    assert json.loads(request["body"]) == _expected_document()
    assert inbox.messages() == []  # topic=False holds for the topic only


@pytest.mark.parametrize("failure", ["answers 500", "refused address", "nothing listening"])
def test_a_broken_webhook_does_not_raise_and_the_topic_still_hears(settings, inbox, hook_server, failure):
    hook_server.status = 500
    url = {
        "answers 500": hook_server.url(),
        "refused address": "http://169.254.169.254/latest/meta-data/",
        "nothing listening": "http://127.0.0.1:9/",
    }[failure]
    allowed = dataclasses.replace(settings, webhook_allow=("127.0.0.1/32",))

    assert notify.task_failed(_job(webhook=url), _failed_task(), allowed) is None

    assert len(inbox.messages()) == 1
    assert len(hook_server.requests) == (1 if failure == "answers 500" else 0)


def test_a_topic_that_fails_does_not_stop_the_webhook(settings, hook_server):
    boto3.client("sns").delete_topic(TopicArn=settings.notify_topic_arn)  # another topic would be AccessDenied
    broken = dataclasses.replace(settings, webhook_allow=("127.0.0.1",))
    notify.task_failed(_job(webhook=hook_server.url()), _failed_task(), broken)
    assert json.loads(hook_server.requests[0]["body"]) == _expected_document()


def test_a_long_or_non_ascii_label_still_makes_a_valid_subject(settings, inbox):
    job = make_job("big", label="Rapport général " + "très long " * 20 + "\nfin")
    notify.task_failed(job, _failed_task(), settings)

    [delivered] = inbox.messages()
    subject = delivered["Subject"]
    assert len(subject) <= 100 and subject.isascii() and "\n" not in subject
    assert subject.startswith("Jobdeck: Rapport general tres long") and subject.endswith("... ended ERROR")


def test_a_long_task_message_is_shortened_in_the_document(settings, inbox):
    notify.task_failed(_job(), _failed_task(message="x" * 10_000), settings)
    document = json.loads(inbox.messages()[0]["Message"])
    assert len(document["task"]["message"]) == notify.MESSAGE_MAX_CHARS


# ------------------------------------------------------------------ the notify action


def test_the_notify_action_publishes_the_rendered_subject_and_message(settings, inbox):
    action = actions.get("notify")
    assert action is not None and action.summary and "\n" not in action.summary
    ctx, lines = action_context(settings)
    nodes = [Node("reports/2026-11.csv", 42)]
    params = action.validate({"subject": "Report ready", "message": "reports/2026-11.csv is ready"})

    assert action.run(ctx, params, nodes) == nodes

    [delivered] = inbox.messages()
    assert (delivered["Subject"], delivered["Message"]) == ("Report ready", "reports/2026-11.csv is ready")
    attributes = {name: a["Value"] for name, a in delivered["MessageAttributes"].items()}
    assert attributes == {"job_id": ctx.job.id, "task_id": ctx.task.id}
    assert lines[-1][1].startswith("published message ")


def test_the_notify_action_needs_subject_and_message(aws):
    action = actions.get("notify")
    with pytest.raises(InvalidParameters, match=r"must contain \['message', 'subject'\]"):
        action.validate({})
    with pytest.raises(InvalidParameters, match="subject"):
        action.validate({"subject": "", "message": "m"})


def test_the_notify_action_without_a_topic_fails_saying_so(settings):
    action = actions.get("notify")
    ctx, _ = action_context(dataclasses.replace(settings, notify_topic_arn=""))
    with pytest.raises(ActionError, match="no notifications topic is configured") as failed:
        action.run(ctx, action.validate({"subject": "s", "message": "m"}), [])
    assert failed.value.retryable is False


def test_the_notify_action_with_a_topic_that_does_not_exist_fails_for_good(settings):
    action = actions.get("notify")
    boto3.client("sns").delete_topic(TopicArn=settings.notify_topic_arn)  # another topic would be AccessDenied
    ctx, _ = action_context(settings)
    with pytest.raises(ActionError, match="notify: NotFound") as failed:
        action.run(ctx, action.validate({"subject": "s", "message": "m"}), [])
    assert failed.value.retryable is False
