"""The CloudFormation custom-resource protocol: answer the stack on its presigned URL, always, so a
failure shows in the stack events instead of a deploy that hangs for an hour. That includes a
handler still at work when its function's time runs out: Lambda would end it without a word, so
FAILED goes out just before."""

from __future__ import annotations

import functools
import json
import threading
import urllib.request
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger

logger = Logger()

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

# How long before the function's timeout an unanswered request is answered FAILED: room for the PUT.
DEADLINE_MARGIN_SECONDS = 5.0


def custom_resource(handler: Handler) -> Handler:
    @functools.wraps(handler)
    def wrapper(event: dict[str, Any], context: Any) -> dict[str, Any]:
        answer = _Answer(event)
        deadline = _deadline(answer, context)
        try:
            data = handler(event, context)
            answer.send("SUCCESS", data=data)
            return data
        except Exception as exc:
            logger.exception("custom resource failed")
            answer.send("FAILED", reason=f"{type(exc).__name__}: {exc}")
            return {}
        finally:
            if deadline is not None:
                deadline.cancel()

    return wrapper


class _Answer:
    """One answer per request, from whichever comes first: the handler or its deadline."""

    def __init__(self, event: dict[str, Any]) -> None:
        self.event = event
        self.sent = False
        self._lock = threading.Lock()

    def send(self, status: str, data: dict[str, Any] | None = None, reason: str = "") -> None:
        with self._lock:
            if not self.sent:
                self.sent = True
                respond(self.event, status, data=data, reason=reason)


def _deadline(answer: _Answer, context: Any) -> threading.Timer | None:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    timer = threading.Timer(max(remaining() / 1000 - DEADLINE_MARGIN_SECONDS, 0.0), _out_of_time, (answer,))
    timer.daemon = True
    timer.start()
    return timer


def _out_of_time(answer: _Answer) -> None:
    logger.error("custom resource out of time: answering FAILED before Lambda ends the function")
    answer.send("FAILED", reason="no answer before the function's timeout; see its log")


def respond(event: dict[str, Any], status: str, data: dict[str, Any] | None = None, reason: str = "") -> None:
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason[:1000] or "see the function's log",
            "PhysicalResourceId": event.get("PhysicalResourceId") or event["LogicalResourceId"],
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "Data": data or {},
        }
    ).encode()
    request = urllib.request.Request(
        event["ResponseURL"],
        data=body,
        method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
