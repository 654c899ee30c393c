"""http.webhook: POST JSON to a public http(s) address (the address guard is `jobdeck.webhooks`)."""

from __future__ import annotations

from typing import Any

from jobdeck import webhooks
from jobdeck.actions.registry import ActionContext, ActionError, Node, action

MAX_NODES_IN_PAYLOAD = 1000  # the default payload lists at most this many input nodes


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
    datasource=False,
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
