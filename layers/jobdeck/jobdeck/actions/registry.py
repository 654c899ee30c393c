"""What an action is, the context it runs in, and the catalog of them all."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import fastjsonschema

from jobdeck import clients
from jobdeck.config import Settings
from jobdeck.datasources import DEFAULT, Datasource
from jobdeck.domain import Job, Task

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


T = TypeVar("T")


@dataclass(frozen=True)
class Node:
    """An object of a datasource, the unit that flows from one action of a chain to the next. Its
    key is relative to its datasource's prefix (see jobdeck.datasources)."""

    key: str
    size: int = 0
    etag: str | None = None
    last_modified: datetime | None = None
    datasource: str = DEFAULT


class ActionError(Exception):
    """An action could not do its work; the message is what the task shows."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class TaskStopped(Exception):
    """Raised at a checkpoint once a user asked the task to stop."""

    def __init__(self, by: str) -> None:
        super().__init__(f"stopped by {by}")
        self.by = by


class TaskPaused(Exception):
    """Raised at a checkpoint once a user asked the task to pause: it parks, and Resume continues it."""

    def __init__(self, by: str) -> None:
        super().__init__(f"paused by {by}")
        self.by = by


class TaskTimedOut(Exception):
    """Raised at a checkpoint past the job's or the step's timeout."""


class OutOfTime(Exception):
    """Raised at a checkpoint when the invocation is about to end: the task continues in a new one."""


class InvalidParameters(ValueError):
    def __init__(self, action: str, problem: str) -> None:
        super().__init__(f"{action}: {problem}")
        self.action = action
        self.problem = problem


@dataclass
class ActionContext:
    job: Job
    task: Task
    settings: Settings
    now: datetime
    log: Callable[..., None]  # log(message, level="INFO")
    report_progress: Callable[[float], None]  # the fraction of this action done, 0..1
    checkpoint: Callable[[], None]  # call between items: raises when the task must stop running here
    # Where the action is, kept when the task pauses or hands over to a new invocation and given
    # back when it continues (JSON values only). `each` keeps it for actions that walk a list.
    state: dict[str, Any] = field(default_factory=dict)
    # The step's `datasource` parameter: where the action lists, writes and looks up keys. Its input
    # nodes keep their own (`datasource_of`): a step may read one datasource and write another.
    datasource_name: str = DEFAULT

    def each(self, items: Sequence[T]) -> Iterator[T]:
        """The items not done yet, with a checkpoint before each and the progress after it. The
        order of `items` must not change between invocations (S3 lists keys in order)."""
        for index in range(int(self.state.get("done", 0)), len(items)):
            self.checkpoint()
            yield items[index]
            self.state["done"] = index + 1
            self.report_progress((index + 1) / len(items))

    @property
    def datasource(self) -> Datasource:
        return self.datasource_named(self.datasource_name)

    def datasource_of(self, node: Node) -> Datasource:
        return self.datasource_named(node.datasource)

    def datasource_named(self, name: str) -> Datasource:
        found = self.settings.datasources.get(name)
        if found is None:
            known = ", ".join(self.settings.datasources)
            raise ActionError(f"no datasource {name!r} in this stack (it has {known})")
        if not found.bucket:
            raise ActionError(f"the datasource {name!r} has no bucket configured")
        return found

    @property
    def s3(self) -> S3Client:
        return clients.s3()


Runner = Callable[[ActionContext, dict[str, Any], list[Node]], list[Node]]

# The parameter of every action that acts in a datasource (jobs.validate checks the name exists).
DATASOURCE_PARAMETER = {
    "type": "string",
    "default": DEFAULT,
    "description": "the datasource the step works in (GET /datasources); keys are relative to its prefix",
}


@dataclass(frozen=True)
class Action:
    name: str
    summary: str
    parameters: dict[str, Any]  # a JSON Schema object; GET /actions serves it as is
    run: Runner

    @cached_property
    def _validator(self) -> Callable[[Any], Any]:
        return fastjsonschema.compile(self.parameters)

    def validate(self, parameters: dict[str, Any]) -> dict[str, Any]:
        """The parameters with their defaults filled in; InvalidParameters names what is wrong."""
        try:
            return self._validator(dict(parameters))
        except fastjsonschema.JsonSchemaValueException as exc:
            raise InvalidParameters(self.name, exc.message.replace("data", "parameters", 1)) from None


_CATALOG: dict[str, Action] = {}
# The module (of this package) that registers each action. The modules are imported on the first
# lookup, not with the package: a cold start then pays only for its own actions' imports (Pillow
# for a thumbnail, tarfile and zipfile for an archive), not for every action's.
MODULES = {
    "archive.compress": "archive",
    "archive.extract": "archive",
    "datasource.sync": "datasource",
    "http.webhook": "http",
    "images.thumbnail": "images",
    "log.message": "log",
    "nodes.index": "nodes",
    "nodes.list": "nodes",
    "notify": "notify",
    "recycle.purge": "recycle",
    "share.create": "share",
    "share.expire": "share",
    "tasks.deadlines": "tasks",
    "tasks.prune": "tasks",
    "tasks.reap": "tasks",
    "tree.copy": "tree",
    "tree.delete": "tree",
    "tree.move": "tree",
}


def action(
    name: str, summary: str, parameters: dict[str, Any], *, datasource: bool = True
) -> Callable[[Runner], Runner]:
    """Register an action. One that acts in a datasource (`datasource`, the default) takes the
    `datasource` parameter."""
    schema = {"type": "object", "additionalProperties": False, **parameters}
    if datasource:
        schema["properties"] = {"datasource": DATASOURCE_PARAMETER, **schema.get("properties", {})}

    def register(run: Runner) -> Runner:
        _CATALOG[name] = Action(name, summary, schema, run)
        return run

    return register


def get(name: str) -> Action | None:
    if name not in _CATALOG:
        _load(name)
    return _CATALOG.get(name)


def catalog() -> list[Action]:
    _load()
    return sorted(_CATALOG.values(), key=lambda a: a.name)


def _load(name: str | None = None) -> None:
    """Import the module of action `name`; every module of the package when `name` is not in
    MODULES (the whole catalog, a name no module registers, or one left out of MODULES)."""
    if name in MODULES:
        modules = [MODULES[name]]
    else:
        import pkgutil  # here: the whole catalog is rare (GET /actions, an unknown name), cold starts are not

        modules = [found.name for found in pkgutil.iter_modules([str(Path(__file__).parent)])]
    for module in modules:
        importlib.import_module(f"jobdeck.actions.{module}")
