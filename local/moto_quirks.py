"""moto as the local AWS, minus quirks of its own that the AWS services do not have: what it gets
wrong under concurrency, and what it spends where they spend next to nothing. `install_all()` is
the local stack's set; `cheap_requests()` the part that changes costs only. Why each one, in a
paragraph each: docs/developing.md, "moto's quirks"; each has a test that fails without it, in
tests/test_moto_transactions.py, test_moto_expressions.py or test_moto_sqs.py. Each reaches into
moto as the pinned version has it: local/moto_pin.py pins that version and lists, per quirk, what
it replaces and reads."""

# ruff: noqa: E402  (moto's modules are imported after the pin's check)

from __future__ import annotations

import base64
import copy
import functools
import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from jobdeck_local import moto_pin, reaches

# Before the imports of moto below, which another moto may fail with a bare ImportError: the check
# names each quirk, the version found and the one pinned.
moto_pin.require()

from moto import backends
from moto.core import responses
from moto.core.responses import ActionContext
from moto.core.utils import unix_time, unix_time_millis
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import StreamRecord, StreamShard, Table

# moto's expression parsers carry no annotations mypy reads (their modules are not checked).
from moto.dynamodb.responses import DynamoHandler, DynamoResult
from moto.sqs.models import Message, Queue, SQSBackend

from jobdeck_local.moto_expressions import cached_dynamodb_expressions

_lock = threading.RLock()


def serialize_dynamodb() -> None:
    """Idempotent: moto's DynamoDB handler serves one request at a time, in this process."""

    def one_at_a_time(original: Callable[[DynamoHandler], Any]) -> Callable[[DynamoHandler], Any]:
        def call_action(handler: DynamoHandler) -> Any:
            with _lock:
                return original(handler)

        return call_action

    reaches.install(DynamoHandler, "call_action", one_at_a_time)


# Per thread: a backup or a restore of a table made by another thread, meanwhile, is a real copy.
_in_transaction = threading.local()


@dataclass
class _SavedItem:
    table: Table
    hash_key: DynamoType
    range_key: DynamoType | None  # None: the table has no range key
    item: Item | None  # a copy; None: there was no such item
    had_hash_key: bool  # with a range key: whether the table held any item of that hash key


@dataclass
class _SavedStream:
    shard: StreamShard
    records: list[StreamRecord]
    length: int


def cheap_transactions() -> None:
    """Idempotent: moto's TransactWriteItems copies, and restores on failure, only the items it
    addresses rather than every table it touches."""
    original = DynamoDBBackend.transact_write_items
    if getattr(original, "_jobdeck_cheap", False):
        return

    @functools.wraps(original)
    def transact_write_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        items, streams = _snapshot(backend, transact_items)
        was_in_transaction = getattr(_in_transaction, "active", False)
        _in_transaction.active = True
        try:
            original(backend, transact_items)
        except BaseException:
            # moto's own rollback puts back the "copies" it made, the tables themselves, and a few
            # of its errors skip even that: whatever it raised, the items go back here.
            _restore(items, streams)
            raise
        finally:
            _in_transaction.active = was_in_transaction

    previous_deepcopy = getattr(Table, "__deepcopy__", None)

    def table_deepcopy(table: Table, memo: dict[int, Any]) -> Table:
        if getattr(_in_transaction, "active", False):
            return table
        if previous_deepcopy is not None:
            return previous_deepcopy(table, memo)
        # What copy.deepcopy does for a Table when the class defines no __deepcopy__ (it has
        # neither __slots__ nor __setstate__): backups and point-in-time restores stay real copies.
        clone = cast(Table, type(table).__new__(type(table)))
        memo[id(table)] = clone
        clone.__dict__.update(copy.deepcopy(table.__dict__, memo))
        return clone

    transact_write_items._jobdeck_cheap = True  # type: ignore[attr-defined]
    Table.__deepcopy__ = table_deepcopy  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign,assignment]


def _snapshot(
    backend: DynamoDBBackend, transact_items: list[dict[str, Any]]
) -> tuple[list[_SavedItem], list[_SavedStream]]:
    items: dict[tuple[int, DynamoType, DynamoType | None], _SavedItem] = {}
    streams: dict[int, _SavedStream] = {}
    for entry in transact_items:
        for op_type, op in entry.items():
            if op_type not in ("Put", "Update", "Delete"):
                continue  # a ConditionCheck writes nothing; an unknown operation fails before writing
            try:
                table = backend.get_table(op["TableName"])
                if op_type == "Put":
                    attrs = op["Item"]
                    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                    if table.range_key_attr is not None:
                        key[table.range_key_attr] = attrs[table.range_key_attr]
                else:
                    key = op["Key"]
                hash_key, range_key = backend.get_keys_value(table, key)
            except Exception:
                # moto derives the key the same way and fails this operation there, before it writes.
                continue
            if (id(table), hash_key, range_key) in items:
                continue  # saved already, as it was before the transaction
            current: Item | None
            if range_key is None:
                current = table.items.get(hash_key)  # type: ignore[assignment]  # no range key: hash -> Item
                had_hash_key = current is not None
            else:
                # .get, not []: table.items is a defaultdict, and looking would add an empty entry.
                same_hash = table.items.get(hash_key)
                had_hash_key = same_hash is not None
                current = same_hash.get(range_key) if same_hash is not None else None
            saved = copy.deepcopy(current) if current is not None else None
            items[(id(table), hash_key, range_key)] = _SavedItem(table, hash_key, range_key, saved, had_hash_key)
            shard = table.stream_shard
            if shard is not None and id(table) not in streams:
                streams[id(table)] = _SavedStream(shard, shard.items, len(shard.items))
    return list(items.values()), list(streams.values())


def _restore(items: list[_SavedItem], streams: list[_SavedStream]) -> None:
    # Indexes need nothing: moto computes them from table.items at each query. Neither does the
    # order of table.items: every query and scan sorts by key.
    for saved in items:
        table_items: dict[DynamoType, Any] = saved.table.items
        if saved.range_key is None:
            if saved.item is None:
                table_items.pop(saved.hash_key, None)
            else:
                table_items[saved.hash_key] = saved.item
        elif saved.item is not None:
            table_items[saved.hash_key][saved.range_key] = saved.item
        elif (same_hash := table_items.get(saved.hash_key)) is not None:
            same_hash.pop(saved.range_key, None)
            if not same_hash and not saved.had_hash_key:
                del table_items[saved.hash_key]
    for stream in streams:
        # moto drops the records of a failed transaction with the table copy it puts back. When a
        # write handed the records to a Lambda (which empties the shard), they were delivered
        # either way; what the shard held before is what it holds again.
        del stream.records[stream.length :]
        stream.shard.items = stream.records


ITEM_OPERATIONS = frozenset(
    {
        "GetItem",
        "BatchGetItem",
        "TransactGetItems",
        "Query",
        "Scan",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "BatchWriteItem",
        "TransactWriteItems",
    }
)


def plain_dynamodb_answers() -> None:
    """Idempotent: moto's DynamoDB answers with items are dumped as the JSON they already are."""

    def plain(original: Callable[[DynamoResult, ActionContext], Any]) -> Callable[[DynamoResult, ActionContext], Any]:
        def execute_result(result: DynamoResult, context: ActionContext) -> Any:
            answer, shape = result.result, context.operation_model.output_shape
            if (
                context.operation_model.name not in ITEM_OPERATIONS
                or not isinstance(answer, dict)
                or shape is None
                or not set(answer) <= set(shape.members)
            ):
                return original(result, context)
            body = json.dumps(answer, default=_wire_value, separators=(",", ":"))
            return 200, {"Content-Type": "application/x-amz-json-1.0"}, body

        return execute_result

    reaches.install(DynamoResult, "execute_result", plain)


def _wire_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"no JSON for {type(value).__name__}")


def prompt_sqs_long_polls() -> None:
    """Idempotent: a long poll answers when a message is sent or handed back (its visibility
    changed), or when a delayed or received one becomes visible, whichever comes first."""

    def prompt(_: Callable[[Queue, int], None]) -> Callable[[Queue, int], None]:
        def wait_for_messages(queue: Queue, timeout: int) -> None:
            with queue._messages_lock:
                # Until the soonest a message the poll could not take becomes visible; messages it
                # could take but did not (a FIFO group in flight, past retention) come out at 0, so
                # their wait is as short as moto's own.
                soonest = min((max(m.visible_at, m.delayed_until) for m in queue._messages), default=None)
                wait = float(timeout)
                if soonest is not None:
                    # moto finds a message visible from the millisecond after its time.
                    wait = min(wait, max(0.0, (soonest - unix_time_millis()) / 1000) + 0.002)
                queue._messages_lock.wait_for(lambda: queue.messages, timeout=wait)

        return wait_for_messages

    def waking(original: Callable[..., None]) -> Callable[..., None]:
        # moto wakes long polls on a send only; a message handed back (visibility 0) would wait
        # for the poll's next look, a second later.
        def change_message_visibility(
            backend: SQSBackend, queue_name: str, receipt_handle: str, visibility_timeout: int
        ) -> None:
            original(backend, queue_name, receipt_handle, visibility_timeout)
            queue = backend.get_queue(queue_name)
            with queue._messages_lock:
                queue._messages_lock.notify_all()

        return change_message_visibility

    reaches.install(Queue, "wait_for_messages", prompt)
    reaches.install(SQSBackend, "change_message_visibility", waking)


def safe_sqs_deletes() -> None:
    """Idempotent: a delete holds the queue's lock, so a message sent meanwhile is kept."""

    def locked(original: Callable[[Queue, str], None]) -> Callable[[Queue, str], None]:
        def delete_message(queue: Queue, receipt_handle: str) -> None:
            with queue._messages_lock:
                original(queue, receipt_handle)

        return delete_message

    reaches.install(Queue, "delete_message", locked)


def listed_moto_modules_once() -> None:
    """Idempotent: moto's server looks its services up in a list made once."""

    def once(original: Callable[[], Iterable[str]]) -> Callable[[], tuple[str, ...]]:
        modules = tuple(original())
        return lambda: modules

    reaches.install(backends, "list_of_moto_modules", once)


def handler_methods_listed_once() -> None:
    """Idempotent: moto's server lists a response handler class's methods once."""

    def once(original: Callable[[object], list[str]]) -> Callable[[object], list[str]]:
        listed = functools.cache(original)
        return lambda clazz: list(listed(clazz))  # a list of its own: a caller may change it

    reaches.install(responses, "method_names_from_class", once)


def sqs_retention_read_directly() -> None:
    """Idempotent: receiving a message no longer counts the queue's messages."""

    def retention(_: Callable[[SQSBackend, str, Message], bool]) -> Callable[[SQSBackend, str, Message], bool]:
        def is_message_valid_based_on_retention_period(backend: SQSBackend, queue_name: str, message: Message) -> bool:
            queue = backend.get_queue(queue_name)
            period = int(cast(Any, queue).message_retention_period)  # set from the queue's attributes
            return period + cast(int, message.sent_timestamp) / 1000 > unix_time()

        return is_message_valid_based_on_retention_period

    reaches.install(SQSBackend, "is_message_valid_based_on_retention_period", retention)


def cheap_requests() -> None:
    """Idempotent: the quirks that change what moto's requests cost, not what they answer (the tests
    and the benchmarks' in-process moto take these)."""
    cheap_transactions()
    plain_dynamodb_answers()
    cached_dynamodb_expressions()
    sqs_retention_read_directly()
    handler_methods_listed_once()


def install_all() -> None:
    """Every quirk above: moto as the local stack's endpoint."""
    cheap_requests()
    serialize_dynamodb()
    prompt_sqs_long_polls()
    safe_sqs_deletes()
    listed_moto_modules_once()
