"""The action catalog. Each module registers its actions with `@action`."""

from jobdeck.actions import history, log, nodes, notify, recycle, tree
from jobdeck.actions.filters import select
from jobdeck.actions.registry import (
    Action,
    ActionContext,
    ActionError,
    InvalidParameters,
    Node,
    OutOfTime,
    TaskPaused,
    TaskStopped,
    TaskTimedOut,
    catalog,
    get,
)

__all__ = [
    "Action",
    "ActionContext",
    "ActionError",
    "InvalidParameters",
    "Node",
    "OutOfTime",
    "TaskPaused",
    "TaskStopped",
    "TaskTimedOut",
    "catalog",
    "get",
    "history",
    "log",
    "nodes",
    "notify",
    "recycle",
    "select",
    "tree",
]
