"""DynamoDB transactions: sent again when DynamoDB refuses one for now, and asked which item failed
its condition. Only PynamoDB's public TransactWrite: the items are kept here and handed to a new
one for each send."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from pynamodb.exceptions import CancellationReason, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from jobdeck.store.connections import transactions

# DynamoDB refused the whole transaction for now (nothing was written): it is sent again after a
# pause, capped and jittered. botocore retries a ThrottlingException only while its client's retry
# quota lasts, and a refused condition (our transitions' normal path) gives none of it back, so
# under sustained throttling the quota runs dry; a TransactionCanceledException whose reasons are
# ThrottlingError or TransactionConflict it never retries at all.
AGAIN_CODES = frozenset({"ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded"})
AGAIN_REASONS = frozenset({"ThrottlingError", "TransactionConflict"})
AGAIN_ATTEMPTS = 8

# The order TransactWrite sends its items in, whatever order they were added in; DynamoDB gives the
# cancellation reasons in the order it received them. tests/test_transactions.py holds PynamoDB to it.
SEND_ORDER = ("condition_check", "delete", "save", "update")


def refused_for_now(exc: TransactWriteError) -> bool:
    reasons = {reason.code for reason in exc.cancellation_reasons or [] if reason is not None}
    if "ConditionalCheckFailed" in reasons:
        return False
    return exc.cause_response_code in AGAIN_CODES or bool(reasons & AGAIN_REASONS)


@dataclass(frozen=True)
class _Item:
    kind: str  # a SEND_ORDER member
    table: str
    add: Callable[[TransactWrite], None]  # adds it to a TransactWrite


class Transaction:
    """What PynamoDB's TransactWrite takes (save, update, delete), sent when the `with` block ends:
    the models' attributes are read then."""

    def __init__(self, client_request_token: str) -> None:
        self.client_request_token = client_request_token
        self._items: list[_Item] = []

    def __enter__(self) -> Transaction:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if exc_type is None:
            self._send()

    def save(self, model: Model, condition: Condition | None = None) -> None:
        self._items.append(_Item("save", model.Meta.table_name, lambda tx: tx.save(model, condition=condition)))

    def update(
        self, model: Model, actions: list[Action], condition: Condition | None = None, return_values: str | None = None
    ) -> None:
        """`return_values="ALL_OLD"`: a failed condition gives the item as it was (old_item)."""
        self._items.append(
            _Item(
                "update",
                model.Meta.table_name,
                lambda tx: tx.update(model, actions=actions, condition=condition, return_values=return_values),
            )
        )

    def delete(self, model: Model, condition: Condition | None = None) -> None:
        self._items.append(_Item("delete", model.Meta.table_name, lambda tx: tx.delete(model, condition=condition)))

    def _send(self) -> Any:
        for attempt in range(1, AGAIN_ATTEMPTS + 1):
            try:
                # Each send the same items with the same token: DynamoDB applies them at most once.
                with TransactWrite(connection=transactions(), client_request_token=self.client_request_token) as tx:
                    for item in self._items:
                        item.add(tx)
                return
            except TransactWriteError as exc:
                if attempt == AGAIN_ATTEMPTS or not refused_for_now(exc):
                    raise
                time.sleep(random.uniform(0, min(1.0, 0.025 * 2**attempt)))

    def failed(self, exc: TransactWriteError, model: type[Model] | None = None) -> bool:
        """Whether an item (of `model`'s table, when given) failed its condition.

        The reasons come in the order the items were sent (SEND_ORDER), not the order they were
        added in: they are matched to the items by that order, and an item is known by its table (no
        transaction of ours writes two items of one table under different conditions)."""
        return any(True for _ in self._refused(exc, model))

    def old_item(self, exc: TransactWriteError, model: type[Model]) -> dict[str, Any] | None:
        """The item of `model`'s table that failed its condition, as it was then (raw), when it was
        sent with `return_values="ALL_OLD"`: what DynamoDB saw, without reading it again."""
        return next((reason.raw_item for reason in self._refused(exc, model) if reason.raw_item), None)

    def _refused(self, exc: TransactWriteError, model: type[Model] | None) -> Iterator[CancellationReason]:
        sent = sorted(self._items, key=lambda item: SEND_ORDER.index(item.kind))  # stable: added order within a kind
        table = model.Meta.table_name if model else None
        for index, reason in enumerate(exc.cancellation_reasons or []):
            if (
                reason is not None
                and reason.code == "ConditionalCheckFailed"
                and (table is None or sent[index].table == table)
            ):
                yield reason


def transaction() -> Transaction:
    """A transaction with a token of its own. DynamoDB applies a transaction once per token (for ten
    minutes): one whose answer was lost after it applied (a timeout) and that botocore sends again
    then succeeds, where without the token it would fail its own condition and read as "another
    delivery got there first", leaving its task RUNNING for the reaper. Our own resends after a
    throttling cancellation keep the token too (same items, same token)."""
    return Transaction(client_request_token=str(uuid.uuid4()))
