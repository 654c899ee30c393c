from __future__ import annotations

from typing import Any

from jobdeck.actions.registry import ActionContext, Node, action


@action(
    "log.message",
    "Write a line to the task's log; passes its input on unchanged.",
    {
        "properties": {
            "message": {"type": "string", "minLength": 1, "maxLength": 2000},
            "level": {"enum": ["INFO", "WARNING", "ERROR"], "default": "INFO"},
        },
        "required": ["message"],
    },
    datasource=False,
)
def log_message(ctx: ActionContext, params: dict[str, Any], nodes: list[Node]) -> list[Node]:
    ctx.log(params["message"], params["level"])
    return nodes
