"""Helpers the tests share: a RunQueue reader, job builders, dates."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import boto3

from jobdeck.domain import ActionStep, Job, JobKind, ScheduleSpec


class RunQueue:
    """Reads RunQueue the way the runner's event source does, for assertions and for running."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqs = boto3.client("sqs")

    def receive(self) -> list[dict[str, Any]]:
        """Take every message visible now off the queue."""
        out: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", []):
            out.extend(batch)
            self.sqs.delete_message_batch(
                QueueUrl=self.url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
            )
        return out

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(m["Body"]) for m in self.receive()]


def make_job(
    job_id: str = "job-1",
    expression: str | None = "*/5 * * * *",
    timezone: str = "UTC",
    actions: list[ActionStep] | None = None,
    **fields: Any,
) -> Job:
    """A custom job with a schedule (or none), logging a line unless told other actions."""
    return Job(
        id=job_id,
        label=fields.pop("label", job_id.replace("-", " ").title()),
        owner=fields.pop("owner", "admin"),
        kind=fields.pop("kind", JobKind.CUSTOM),
        schedule=ScheduleSpec(expression, timezone, **fields.pop("schedule_fields", {}))
        if expression
        else None,
        actions=actions if actions is not None else [ActionStep("log.message", {"message": "hello"})],
        **fields,
    )


def at(text: str) -> datetime:
    """An aware UTC datetime from ISO text ("2026-12-01T00:00:00Z")."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
