"""Actions that tell the outside world: a JSON POST to a webhook, a message on the stack's topic."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from jobdeck import notify as notifications
from jobdeck import webhooks
from jobdeck.actions.registry import ActionContext, ActionError, Node, action

MAX_NODES_IN_PAYLOAD = 1000  # the default payload lists at most this many input nodes
# SNS errors worth another attempt later (the rest are a wrong topic or missing permission).
_TRANSIENT_SNS_ERRORS = frozenset(
    {"Throttling", "ThrottlingException", "ThrottledException", "InternalError", "InternalFailure",
     "ServiceUnavailable", "KMSThrottling", "KMSThrottlingException"}
)  # fmt: skip


@action(
    "http.webhook",
    "POST JSON (the payload given, or a summary of the job, task and input) to a public http(s) URL.",
    {
        "properties": {
            "url": {"type": "string", "minLength": 1, "maxLength": 2048},
            "payload": {"type": "object"},
            "headers": {
                "type": "object",
                "additionalProperties": {"type": "string", "maxLength": 4096},
                "maxProperties": 20,
            },
        },
        "required": ["url"],
    },
)
def http_webhook(ctx: ActionContext, params: dict[str, Any], nodes: list[Node]) -> list[Node]:
    payload = params["payload"] if "payload" in params else _summary(ctx, nodes)
    try:
        status = webhooks.post_json(
            params["url"], payload, allow=ctx.settings.webhook_allow, headers=params.get("headers") or {}
        )
    except webhooks.WebhookRefused as exc:
        raise ActionError(f"webhook refused: {exc}") from None
    except webhooks.WebhookFailed as exc:
        raise ActionError(f"webhook failed: {exc}", retryable=exc.retryable) from None
    ctx.log(f"webhook answered {status}")
    return nodes


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


def _summary(ctx: ActionContext, nodes: list[Node]) -> dict[str, Any]:
    task = ctx.task
    return {
        "job": {"id": ctx.job.id, "label": ctx.job.label, "owner": ctx.job.owner},
        "task": {
            "id": task.id,
            "attempt": task.attempt,
            "started_at": task.started_at.isoformat() if task.started_at else None,
            "trigger": {"type": task.trigger.type.value, "by": task.trigger.by},
        },
        "nodes": [
            {
                "key": n.key,
                "size": n.size,
                "etag": n.etag,
                "last_modified": n.last_modified.isoformat() if n.last_modified else None,
            }
            for n in nodes[:MAX_NODES_IN_PAYLOAD]
        ],
        "nodes_total": len(nodes),
    }
