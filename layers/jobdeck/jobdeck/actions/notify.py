"""notify: a message on the stack's notifications topic (SNS)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from jobdeck import notify as notifications
from jobdeck.actions.registry import ActionContext, ActionError, Node, action

# SNS errors worth another attempt later (the rest are a wrong topic or missing permission).
_TRANSIENT_SNS_ERRORS = frozenset(
    {"Throttling", "ThrottlingException", "ThrottledException", "InternalError", "InternalFailure",
     "ServiceUnavailable", "KMSThrottling", "KMSThrottlingException"}
)  # fmt: skip


@action(
    "notify",
    "Publish a message to the stack's notifications topic (SNS); passes its input on unchanged.",
    {
        "properties": {
            "subject": {"type": "string", "minLength": 1, "maxLength": 1000},
            "message": {"type": "string", "minLength": 1, "maxLength": 200_000},
        },
        "required": ["subject", "message"],
    },
    datasource=False,
)
def notify(ctx: ActionContext, params: dict[str, Any], nodes: list[Node]) -> list[Node]:
    topic = ctx.settings.notify_topic_arn
    if not topic:
        raise ActionError("no notifications topic is configured (JOBDECK_NOTIFY_TOPIC_ARN is empty)")
    try:
        message_id = notifications.publish(
            topic, params["subject"], params["message"], {"job_id": ctx.job.id, "task_id": ctx.task.id}
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        raise ActionError(f"notify: {code}: {exc}", retryable=code in _TRANSIENT_SNS_ERRORS) from None
    except BotoCoreError as exc:  # no connection, timed out
        raise ActionError(f"notify: {exc}", retryable=True) from None
    ctx.log(f"published message {message_id}")
    return nodes
