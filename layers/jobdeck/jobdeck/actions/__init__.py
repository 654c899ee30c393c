"""The action catalog. Each module registers its actions with `@action`; `registry.MODULES` says
which module has which action, and a lookup imports it then, not this package."""

import importlib
from types import ModuleType

from jobdeck.actions.filters import select
from jobdeck.actions.registry import (
    MODULES,
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
    "archive",
    "catalog",
    "datasource",
    "get",
    "http",
    "images",
    "log",
    "nodes",
    "notify",
    "recycle",
    "select",
    "share",
    "tasks",
    "tree",
]


def __getattr__(name: str) -> ModuleType:
    """`actions.archive` and the like: the action modules are imported when first used (see get)."""
    if name in MODULES.values():
        return importlib.import_module(f"jobdeck.actions.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
