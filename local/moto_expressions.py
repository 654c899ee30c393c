"""moto's DynamoDB expressions, parsed and checked once rather than at every request: the quirk
`cached_dynamodb_expressions()`, installed with the others by local/moto_quirks.py.

moto parses every update and condition expression of every request from its text,
tokenizing it with regular expressions compiled afresh, parses a transaction's update expressions
twice, deep-copies each parsed update before validating it, and its nine validators each walk the
tree asking, at every node, for a freshly made map of the node kinds they process and whether the
node is one (an isinstance() on an abstract base class, each time). A job's start or finish writes
the same few expressions again and again. `cached_dynamodb_expressions()` parses an update
expression once and keeps the parse with its pickle, to load a fresh copy from; walks the tree
node for node as moto does, with each validator's map made once and which of its kinds takes a
node class found once; skips an update's checks that read neither the item nor the values (its
clause counts, overlapping paths, a key among its targets: a third of the walks, and the costliest)
when the kept parse passed them with the same names and keys; and keeps a condition's parse for the
same expression, names and values, and its tokens for the same expression. Parse errors and failed
checks are not kept: they are raised again the next time.
"""

# ruff: noqa: E402  (moto's modules are imported after the pin's check)

from __future__ import annotations

import functools
import json
import pickle
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from jobdeck_local import moto_pin, reaches

moto_pin.require()  # before the imports of moto below: moto_quirks says why

from moto.dynamodb import comparisons
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import Table
from moto.dynamodb.models.utilities import bytesize
from moto.dynamodb.parsing import validators

# moto's expression parsers carry no annotations mypy reads (their modules are not checked).
from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, Node, UpdateExpression  # type: ignore[attr-defined]
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

ITEM_SIZE_LIMIT = 405_000  # moto's, between DynamoDB's measured 409 and 410 KB
EXPRESSIONS_KEPT = 2048  # per kind; the store writes a few dozen distinct ones


def cached_dynamodb_expressions() -> None:
    """Idempotent: an update expression is parsed once, a condition once per names and values."""
    reaches.install(UpdateExpressionParser, "make", _parsed_once)
    reaches.install(comparisons.ConditionExpressionParser, "parse", _condition_parsed_once)
    reaches.install(comparisons.ConditionExpressionParser, "_lex_condition_expression", _lexed_once)
    reaches.install(DepthFirstTraverser, "process", _processed_by_kept_map)
    reaches.install(DepthFirstTraverser, "traverse", _walked_with_kinds_at_hand)
    reaches.install(Item, "__init__", _sized_once)
    reaches.install(validators, "deepcopy", _fresh_copy)
    reaches.install(validators.UpdateExpressionValidator, "__init__", _item_free_checks_known)
    reaches.install(validators.UpdateExpressionValidator, "validate", _item_free_checks_remembered)


def _parsed_once(original: Callable[[str], UpdateExpression]) -> Callable[[str], UpdateExpression]:
    @functools.lru_cache(maxsize=EXPRESSIONS_KEPT)
    def parse(expression: str) -> UpdateExpression:
        ast = original(expression)
        # The validator's copy of a kept parse is loaded from its pickle (a tenth of a deep copy's
        # time); the copies, loaded from a pickle made before this, carry none.
        ast._jobdeck_pickle = pickle.dumps(ast, protocol=pickle.HIGHEST_PROTOCOL)
        ast._jobdeck_passed = set()  # after the pickle: what the item-free checks passed is the parse's alone
        return ast

    return parse


def _fresh_copy(deepcopy: Callable[..., Any]) -> Callable[..., Any]:
    def copy_of(value: Any, memo: dict[int, Any] | None = None) -> Any:
        pickled = value.__dict__.get("_jobdeck_pickle") if isinstance(value, UpdateExpression) else None
        return pickle.loads(pickled) if pickled is not None else deepcopy(value, memo)

    return copy_of


# An update's first checks (one clause of each kind, no two paths overlapping, no key among its
# targets) read only the expression, its names and the table's keys, and change nothing in the tree.
# A kept parse that passed them with the same names and keys passes them again: they are skipped.
_ITEM_FREE_CHECKS = (
    validators.ActionCountValidator,
    validators.OverlappingPathsValidator,
    validators.UpdateHashRangeKeyValidator,
)


def _item_free_checks_known(original: Callable[..., None]) -> Callable[..., None]:
    def __init__(
        validator: validators.UpdateExpressionValidator,
        expression: Node,
        expression_attribute_names: dict[str, str],
        expression_attribute_values: dict[str, dict[str, Any]],
        item: Item,
        table: Table,
    ) -> None:
        original(validator, expression, expression_attribute_names, expression_attribute_values, item, table)
        passed = expression.__dict__.get("_jobdeck_passed")
        if passed is None:  # not a kept parse
            return
        key = (json.dumps(expression_attribute_names or {}, sort_keys=True), tuple(table.table_key_attrs))
        if key in passed:
            validator.processors = [p for p in validator.processors if not isinstance(p, _ITEM_FREE_CHECKS)]
        else:
            validator.__dict__["_jobdeck_passing"] = (passed, key)

    return __init__


def _item_free_checks_remembered(original: Callable[[Any], Node]) -> Callable[[Any], Node]:
    def validate(validator: validators.UpdateExpressionValidator) -> Node:
        node = original(validator)  # a check that fails raises: nothing is remembered
        passing = validator.__dict__.get("_jobdeck_passing")
        if passing is not None:
            passed, key = passing
            passed.add(key)
        return node

    return validate


# moto's nodes are abstract base classes: an isinstance() on them costs a call into abc. A walk
# asks it several times of every node; the answer depends only on the node's class.
_node_classes: dict[type, bool] = {}


def _is_node(cls: type) -> bool:
    known = _node_classes.get(cls)
    if known is None:
        known = _node_classes[cls] = issubclass(cls, Node)
    return known


def _processor_of(traverser: DepthFirstTraverser, cls: type) -> Callable[[Node], Node] | None:
    """The traverser's processor of nodes of this class (None: it processes none of them). moto
    makes the traverser's map anew for every node it visits, and tries each of its kinds in turn;
    here the map is made once per traverser, and which of its kinds (in the map's order, as moto's:
    a subclass listed before its base is found first) takes a node class once per traverser class."""
    kept = traverser.__dict__.get("_jobdeck_map")
    if kept is None:
        kept = traverser.__dict__["_jobdeck_map"] = list(traverser._processing_map().items())
    positions = _positions.setdefault(type(traverser), {})
    position = positions.get(cls)
    if position is None:
        position = positions[cls] = next((n for n, (kind, _) in enumerate(kept) if issubclass(cls, kind)), -1)
    return kept[position][1] if position >= 0 else None


# Per traverser class, per node class: the position of the kind that takes it in the class's map.
_positions: dict[type, dict[type, int]] = {}


def _processed_by_kept_map(_: Callable[[Any, Node], Node]) -> Callable[[Any, Node], Node | None]:
    def process(traverser: DepthFirstTraverser, node: Node) -> Node | None:
        processor = _processor_of(traverser, type(node))
        return processor(node) if processor is not None else None  # as moto's: not processed

    return process


def _walked_with_kinds_at_hand(_: Callable[[Any, Node], Node]) -> Callable[[Any, Node], Node]:
    # moto's walk, node for node (children first, a processed node put in its parent's place), with
    # what it asked again at every node asked once per class: whether it is a node, and which of
    # the traverser's processors takes it; and once per walk whether the class hooks anything
    # before a child.
    def traverse(traverser: DepthFirstTraverser, root: Node) -> Node:
        hooked = type(traverser).pre_processing_of_child is not DepthFirstTraverser.pre_processing_of_child
        before_child = traverser.pre_processing_of_child

        def walk(node: Any, child_id: int) -> Any:
            cls = type(node)
            if not _is_node(cls):
                return node
            parent = node.parent
            if node.children is not None:
                for i, child in enumerate(node.children):
                    if hooked:
                        before_child(node, i)
                    walk(child, i)
            processor = _processor_of(traverser, cls)
            if processor is not None:
                node = processor(node)
                node.parent = parent
                if parent:
                    parent.children[child_id] = node
            return node

        return cast(Node, walk(root, -1))

    return traverse


def _sized_once(_: Callable[..., None]) -> Callable[..., None]:
    # moto sizes the whole item again as it adds each attribute (the square of its attributes); the
    # sum only grows, so one check once they are all in says the same.
    def __init__(item: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
        item.hash_key, item.range_key = hash_key, range_key
        item.attrs = LimitedSizeDict()
        dict.update(item.attrs, ((key, DynamoType(value)) for key, value in attrs.items()))
        if sum(bytesize(key) + value.size() for key, value in item.attrs.items()) > ITEM_SIZE_LIMIT:
            raise ItemSizeTooLarge

    return __init__


_kept_lock = threading.Lock()


def _keep[K, V](kept: dict[K, V], key: K, value: V) -> V:
    """`value` kept under `key`; a cache that reached EXPRESSIONS_KEPT starts again empty (the store
    writes a few dozen distinct expressions: only something else filling it would get there)."""
    with _kept_lock:
        if len(kept) >= EXPRESSIONS_KEPT:
            kept.clear()
        kept[key] = value
    return value


def _lexed_once(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    # A condition whose values change at every request (a version, a time) misses the parse kept
    # above, but its tokens depend on its text alone. The parse consumes the queue it is given, so
    # each gets its own, of the same (immutable) tokens with their own lists of children.
    kept: dict[str, tuple[Any, ...]] = {}

    def lex(parser: comparisons.ConditionExpressionParser) -> deque[Any]:
        expression = parser.condition_expression or ""
        tokens = kept.get(expression)
        if tokens is None:
            tokens = _keep(kept, expression, tuple(original(parser)))
        return deque(token._replace(children=list(token.children)) for token in tokens)

    return lex


@dataclass(frozen=True)
class _Condition:
    op: Any
    names_found: tuple[str, ...]
    values_found: tuple[str, ...]


_conditions: dict[tuple[str, str, str], _Condition] = {}


def _condition_parsed_once(
    original: Callable[[comparisons.ConditionExpressionParser], Any],
) -> Callable[[comparisons.ConditionExpressionParser], Any]:
    # The parsed conditions (moto's Op trees) only read the item they are given: one can be shared.
    def parse(parser: comparisons.ConditionExpressionParser) -> Any:
        if not parser.condition_expression:
            return original(parser)
        key = (
            parser.condition_expression,
            json.dumps(parser.expression_attribute_names, sort_keys=True),
            json.dumps(parser.expression_attribute_values, sort_keys=True, default=str),
        )
        kept = _conditions.get(key)
        if kept is None:
            op = original(parser)
            _keep(
                _conditions,
                key,
                _Condition(op, tuple(parser.expr_attr_names_found), tuple(parser.expr_attr_values_found)),
            )
            return op
        parser.expr_attr_names_found.extend(kept.names_found)
        parser.expr_attr_values_found.extend(kept.values_found)
        return kept.op

    return parse
