"""Helpers the tests share: a RunQueue reader, job builders, dates, an API caller, a webhook
receiver and an action context."""

from __future__ import annotations

import base64
import http.client
import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import TYPE_CHECKING, Any, ClassVar

import boto3

from jobdeck.actions import ActionContext
from jobdeck.config import Settings
from jobdeck.domain import ActionStep, Job, JobKind, ScheduleSpec, Task, TaskStatus, TriggerInfo, TriggerType

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageTypeDef


class RunQueue:
    """Reads RunQueue the way the runner's event source does, for assertions and for running."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqs = boto3.client("sqs")

    def receive(self) -> list[MessageTypeDef]:
        """Take every message visible now off the queue."""
        out: list[MessageTypeDef] = []
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
        content_type: str = "application/json",
        binary: bytes | None = None,
    ) -> ApiReply:
        """`raw_body` is sent as text, `binary` base64-encoded (as HTTP APIs send bodies whose type
        is not text), `body` as JSON."""
        import copy
        from urllib.parse import urlencode

        from jobdeck_local.events import sample

        event = copy.deepcopy(sample("api-get-jobs"))
        event["rawPath"] = path
        event["requestContext"]["http"].update(method=method, path=path)
        event["pathParameters"] = {"proxy": path.lstrip("/")}
        event["queryStringParameters"] = query or None
        event["rawQueryString"] = urlencode(query or {})
        if binary is not None:
            event["body"], event["isBase64Encoded"] = base64.b64encode(binary).decode(), True
            event["headers"]["content-type"] = content_type
        elif raw_body is not None or body is not None:
            event["body"] = raw_body if raw_body is not None else json.dumps(body)
            event["headers"]["content-type"] = content_type
        if user is None:
            del event["requestContext"]["authorizer"]
            del event["headers"]["authorization"]
        else:
            claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
            claims["username"] = user
            claims["cognito:groups"] = f"[{' '.join(self.USERS.get(user, ()))}]"
        return ApiReply(self._handler(event, self._context))


class HookServer:
    """A real HTTP server on 127.0.0.1, in a thread, that records every POST (webhooks) or PUT (a
    custom resource's answer to CloudFormation) it receives and answers `status` (with `reply_headers`)."""

    def __init__(self, status: int = 204, reply_headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.reply_headers = reply_headers or {}
        self.requests: list[dict[str, Any]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                recorder.requests.append({"method": self.command, "path": self.path, "headers": headers, "body": body})
                self.send_response(recorder.status)
                for name, value in recorder.reply_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_PUT = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def server_bind(self) -> None:  # no reverse DNS lookup of 127.0.0.1 (HTTPServer does one)
                TCPServer.server_bind(self)
                self.server_name, self.server_port = "127.0.0.1", self.server_address[1]

        self._httpd = Server(("127.0.0.1", 0), Handler)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def json(self, index: int = 0) -> Any:
        return json.loads(self.requests[index]["body"])

    def __enter__(self) -> HookServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)


def action_context(settings: Settings, job: Job | None = None) -> tuple[ActionContext, list[tuple[str, str]]]:
    """An action's context as the runner builds it, for a RUNNING task of `job`; and its log lines."""
    job = job or make_job("hooked", None, label="Hooked")
    task = Task(
        job_id=job.id,
        id="01JDTASK00000000000000000",
        status=TaskStatus.RUNNING,
        trigger=TriggerInfo(TriggerType.MANUAL, by="alice"),
        created_at=datetime(2026, 11, 25, 10, 0, tzinfo=UTC),
        started_at=datetime(2026, 11, 25, 10, 0, 1, tzinfo=UTC),
        attempt=2,
    )
    lines: list[tuple[str, str]] = []
    ctx = ActionContext(
        job,
        task,
        settings,
        datetime.now(UTC),
        lambda message, level="INFO": lines.append((level, message)),
        lambda fraction: None,
        lambda: None,
    )
    return ctx, lines


class TopicInbox:
    """An SQS queue subscribed to the notifications topic: what the topic published, as SNS
    delivers it (the envelope with Subject, Message and MessageAttributes)."""

    def __init__(self, topic_arn: str) -> None:
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="notifications-inbox")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        boto3.client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
        self.queue = RunQueue(url)

    def messages(self) -> list[dict[str, Any]]:
        return self.queue.bodies()


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    """The predicate's first true value, looked at every 0.2 s; AssertionError after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


def clients_at_once(port: int, token: str, clients: int, each: int, timeout: float = 60) -> list[object]:
    """`clients` threads connect at the same moment, then send `each` GET /jobs on their one
    connection: the statuses, then per client "kept alive" (or "reconnected"), or what went wrong."""
    ready = threading.Barrier(clients)
    outcomes: list[object] = []

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            ready.wait()
            connection.connect()
            first = connection.sock
            for _ in range(each):
                connection.request("GET", "/jobs", headers={"Authorization": f"Bearer {token}"})
                response = connection.getresponse()
                response.read()
                outcomes.append(response.status)
            outcomes.append("kept alive" if connection.sock is first else "reconnected")
        except OSError as e:  # a reset, a refusal, a timeout
            outcomes.append(repr(e))
        finally:
            connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
