"""Helpers the tests share: a RunQueue reader, job builders, dates."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, ClassVar

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
        while batch := self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
            "Messages", []
        ):
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
        schedule=ScheduleSpec(expression, timezone, **fields.pop("schedule_fields", {})) if expression else None,
        actions=actions if actions is not None else [ActionStep("log.message", {"message": "hello"})],
        **fields,
    )


def at(text: str) -> datetime:
    """An aware UTC datetime from ISO text ("2026-12-01T00:00:00Z")."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class ApiReply:
    def __init__(self, response: dict[str, Any]) -> None:
        self.status: int = response["statusCode"]
        self.headers: dict[str, str] = response.get("headers") or {}
        self.text: str = response.get("body") or ""

    def json(self) -> Any:
        return json.loads(self.text)

    def __repr__(self) -> str:
        return f"<{self.status} {self.text[:300]}>"


class Api:
    """Calls the API function the way API Gateway does: an HTTP API v2.0 event built from
    events/api-get-jobs.json, with the JWT authorizer's claims for the user given (None: anonymous)."""

    USERS: ClassVar[dict[str, tuple[str, ...]]] = {"admin": ("admins",), "alice": (), "bob": ()}

    def __init__(self) -> None:
        from jobdeck_local.lambda_runtime import LambdaContext, load_handler

        self._handler = load_handler("ApiFunction")
        self._context = LambdaContext.for_function("ApiFunction")

    def __call__(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        user: str | None = "admin",
        query: dict[str, str] | None = None,
        raw_body: str | None = None,
    ) -> ApiReply:
        import copy
        from urllib.parse import urlencode

        from jobdeck_local.events import sample

        event = copy.deepcopy(sample("api-get-jobs"))
        event["rawPath"] = path
        event["requestContext"]["http"].update(method=method, path=path)
        event["pathParameters"] = {"proxy": path.lstrip("/")}
        event["queryStringParameters"] = query or None
        event["rawQueryString"] = urlencode(query or {})
        if raw_body is not None or body is not None:
            event["body"] = raw_body if raw_body is not None else json.dumps(body)
            event["headers"]["content-type"] = "application/json"
        if user is None:
            del event["requestContext"]["authorizer"]
            del event["headers"]["authorization"]
        else:
            claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
            claims["username"] = user
            claims["cognito:groups"] = f"[{' '.join(self.USERS.get(user, ()))}]"
        return ApiReply(self._handler(event, self._context))
