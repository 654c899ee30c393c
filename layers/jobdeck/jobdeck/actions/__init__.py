"""The action catalog. Each module registers its actions with `@action`."""

from jobdeck.actions import history, log, nodes, recycle, tree
from jobdeck.actions.registry import (
    Action,
    ActionContext,
    ActionError,
    InvalidParameters,
    Node,
    TaskStopped,
    catalog,
    get,
)

__all__ = [
    "Action",
    "ActionContext",
    "ActionError",
    "InvalidParameters",
    "Node",
    "TaskStopped",
    "catalog",
    "get",
    "history",
    "log",
    "nodes",
    "recycle",
    "tree",
]
