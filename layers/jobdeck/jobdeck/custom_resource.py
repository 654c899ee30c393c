"""The CloudFormation custom-resource protocol: answer the stack on its presigned URL, always, so a
failure shows in the stack events instead of a deploy that hangs for an hour."""

from __future__ import annotations

import functools
import json
import urllib.request
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger

logger = Logger()

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def custom_resource(handler: Handler) -> Handler:
    @functools.wraps(handler)
    def wrapper(event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            data = handler(event, context)
            respond(event, "SUCCESS", data=data)
            return data
        except Exception as exc:
            logger.exception("custom resource failed")
            respond(event, "FAILED", reason=f"{type(exc).__name__}: {exc}")
            return {}

    return wrapper


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
