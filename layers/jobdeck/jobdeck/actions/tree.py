from __future__ import annotations

from itertools import groupby
from typing import Any

from jobdeck.actions.objects import any_under, copy_node, delete_nodes, list_nodes
from jobdeck.actions.registry import ActionContext, ActionError, Node, action


@action(
    "tree.delete",
    "Delete the objects under a prefix: into the recycle bin (kept under the same key there) unless "
    "`permanent` is set. Objects already in the recycle bin are deleted permanently.",
    {
        "properties": {
            "prefix": {"type": "string", "minLength": 1, "description": "key prefix, e.g. home/alice/tmp/"},
            "permanent": {"type": "boolean", "default": False},
        },
        "required": ["prefix"],
    },
)
def tree_delete(ctx: ActionContext, params: dict[str, Any], nodes: list[Node]) -> list[Node]:
    prefix = params["prefix"].lstrip("/")
    if not prefix:
        raise ActionError("refusing to delete the whole datasource: give a prefix below its root")
    targets = list(list_nodes(ctx.s3, ctx.datasource, prefix))
    recycle = ctx.settings.recycle_prefix  # each datasource has its own recycle bin
    permanent = params["permanent"] or prefix.startswith(recycle)
    if not permanent:
        for node in ctx.each(targets):
            copy_node(ctx, node, recycle + node.key)
    deleted = delete_nodes(ctx.s3, ctx.datasource, targets)
    ctx.report_progress(1.0)
    where = "permanently" if permanent else f"to {recycle}"
    ctx.log(f"deleted {deleted} objects under {prefix} {where}")
    return targets


@action(
    "tree.copy",
    "Copy objects into a destination prefix of the step's datasource: those under `prefix` (in the "
    "same datasource), or else the action's input (the event's object, or what the previous step "
    "produced, from any datasource). Outputs the copies.",
    {
        "properties": {
            "destination": {"type": "string", "minLength": 1, "description": "e.g. archive/2026/"},
            "prefix": {"type": "string", "minLength": 1, "description": "copy what is under it"},
        },
        "required": ["destination"],
    },
)
def tree_copy(ctx: ActionContext, params: dict[str, Any], nodes: list[Node]) -> list[Node]:
    destination = params["destination"].lstrip("/")
    if "prefix" in params:
        prefix = params["prefix"].lstrip("/")
        sources = [(n, n.key[len(prefix) :]) for n in list_nodes(ctx.s3, ctx.datasource, prefix)]
    else:
        sources = [(n, n.key.rsplit("/", 1)[-1]) for n in nodes]
    here = ctx.datasource.name
    for node, relative in ctx.each(sources):
        if destination + relative == node.key and node.datasource == here:
            raise ActionError(f"{node.key} would be copied onto itself")
        copy_node(ctx, node, destination + relative)
    copies = [Node(destination + relative, node.size, node.etag, datasource=here) for node, relative in sources]
    ctx.log(f"copied {len(copies)} objects to {destination}")
    return copies


MOVE_BATCH = 1000  # sources deleted per DeleteObjects request, once copied


@action(
    "tree.move",
    "Move objects into a destination prefix of the step's datasource: those under `prefix` (in the "
    "same datasource), or else the action's input (the event's object, or what the previous step "
    "produced, from any datasource). Each object is copied, then deleted: nothing stays at the old "
    "key. Outputs the moved objects at their new keys.",
    {
        "properties": {
            "destination": {"type": "string", "minLength": 1, "description": "e.g. archive/2026/"},
            "prefix": {"type": "string", "minLength": 1, "description": "move what is under it"},
        },
        "required": ["destination"],
    },
)
def tree_move(ctx: ActionContext, params: dict[str, Any], nodes: list[Node]) -> list[Node]:
    destination = params["destination"].lstrip("/")
    if not destination:
        raise ActionError("give a destination below the datasource's root")
    if "prefix" in params:
        return _move_prefix(ctx, params["prefix"].lstrip("/"), destination)
    sources = [(n, destination + n.key.rsplit("/", 1)[-1]) for n in nodes]
    _refuse_collisions(sources, ctx.datasource.name)
    mover = _Mover(ctx)
    with mover:
        for node, target in ctx.each(sources):
            mover.move(node, target)
    moved = [Node(target, node.size, node.etag, datasource=ctx.datasource.name) for node, target in sources]
    ctx.log(f"moved {len(moved)} objects to {destination}")
    return moved


def _move_prefix(ctx: ActionContext, prefix: str, destination: str) -> list[Node]:
    """What is under `prefix`, moved in key order. The place kept between invocations is the last
    key moved (copied and deleted): a continuation lists from there, and what was copied but not yet
    deleted when an invocation ended is copied again (a copy is idempotent)."""
    if not prefix:
        raise ActionError("refusing to move the whole datasource: give a prefix below its root")
    if destination.startswith(prefix):
        raise ActionError(f"the destination {destination} is inside the source {prefix}: it would move into itself")
    if prefix.startswith(destination) and any_under(ctx.s3, ctx.datasource, prefix + prefix[len(destination) :]):
        # e.g. a/b/ into a/: a/b/b/x would land on a/b/x, itself a source not moved yet.
        raise ActionError(f"moving {prefix} into {destination} would overwrite objects still to be moved")
    state = ctx.state
    if "total" not in state:
        state.update(total=sum(1 for _ in list_nodes(ctx.s3, ctx.datasource, prefix)), after=None, moved=[])
    total = max(1, int(state["total"]))
    mover = _Mover(ctx, prefix)
    with mover:
        for node in list_nodes(ctx.s3, ctx.datasource, prefix, after=state["after"]):
            ctx.checkpoint()
            mover.move(node, destination + node.key[len(prefix) :])
            ctx.report_progress(min(1.0, (len(state["moved"]) + len(mover.pending)) / total))
    here = ctx.datasource.name
    moved = [Node(destination + relative, size, etag, datasource=here) for relative, size, etag in state["moved"]]
    ctx.log(f"moved {len(moved)} objects from {prefix} to {destination}")
    return moved


class _Mover:
    """Copies now and deletes the copied sources in batches: before the batch grows past
    MOVE_BATCH, and whatever ends the loop (done, a checkpoint's stop, pause or hand-over, an error),
    so that what was copied is never left at its old key too."""

    def __init__(self, ctx: ActionContext, prefix: str | None = None) -> None:
        self.ctx, self.prefix = ctx, prefix
        self.pending: list[Node] = []

    def move(self, node: Node, target: str) -> None:
        if target == node.key and node.datasource == self.ctx.datasource.name:
            raise ActionError(f"{node.key} would be moved onto itself")
        copy_node(self.ctx, node, target)
        self.pending.append(node)
        if len(self.pending) >= MOVE_BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        # Input nodes may come from several datasources: each is deleted where it is.
        for name, group in groupby(sorted(self.pending, key=lambda n: n.datasource), key=lambda n: n.datasource):
            delete_nodes(self.ctx.s3, self.ctx.datasource_named(name), group)
        if self.prefix is not None:  # moving a prefix: its place is the last key moved
            state = self.ctx.state
            state["moved"].extend([n.key[len(self.prefix) :], n.size, n.etag] for n in self.pending)
            state["after"] = self.pending[-1].key
        self.pending = []

    def __enter__(self) -> _Mover:
        return self

    def __exit__(self, *exc: object) -> None:
        self.flush()


def _refuse_collisions(sources: list[tuple[Node, str]], here: str) -> None:
    """Before anything moves: two sources onto one key, or one onto itself, would lose data."""
    seen: dict[str, str] = {}
    for node, target in sources:
        if target == node.key and node.datasource == here:
            raise ActionError(f"{node.key} would be moved onto itself")
        if target in seen:
            raise ActionError(f"{seen[target]} and {node.key} would both be moved to {target}")
        seen[target] = node.key
