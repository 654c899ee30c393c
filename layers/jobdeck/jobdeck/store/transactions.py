"""DynamoDB transactions: one connection for them, and reading why one was cancelled."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import CancellationReason, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from jobdeck.store.models import (
    REGION,
    AuditModel,
    CalendarModel,
    JobModel,
    NodeModel,
    ShareModel,
    SkippedSlotModel,
    SubscriptionModel,
    TaskModel,
)

_connection: Connection | None = None
MODELS = (JobModel, TaskModel, AuditModel, SubscriptionModel, NodeModel, ShareModel, CalendarModel, SkippedSlotModel)
_POOLS = {model: model.Meta.max_pool_connections for model in MODELS}  # PynamoDB's, until connect() says otherwise

# DynamoDB refused the whole transaction for now (nothing was written): it is sent again after a
# pause, capped and jittered. botocore retries a ThrottlingException only while its client's retry
# quota lasts, and a refused condition (our transitions' normal path) gives none of it back, so
# under sustained throttling the quota runs dry; a TransactionCanceledException whose reasons are
# ThrottlingError or TransactionConflict it never retries at all.
AGAIN_CODES = frozenset({"ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded"})
AGAIN_REASONS = frozenset({"ThrottlingError", "TransactionConflict"})
AGAIN_ATTEMPTS = 8


def refused_for_now(exc: TransactWriteError) -> bool:
    reasons = {reason.code for reason in exc.cancellation_reasons or [] if reason is not None}
    if "ConditionalCheckFailed" in reasons:
        return False
    return exc.cause_response_code in AGAIN_CODES or bool(reasons & AGAIN_REASONS)


class Transaction(TransactWrite):
    def _commit(self) -> Any:
        for attempt in range(1, AGAIN_ATTEMPTS + 1):
            try:
                return super()._commit()
            except TransactWriteError as exc:
                if attempt == AGAIN_ATTEMPTS or not refused_for_now(exc):
                    raise
                time.sleep(random.uniform(0, min(1.0, 0.025 * 2**attempt)))
        raise AssertionError("unreachable")

    def failed(self, exc: TransactWriteError, model: type[Model] | None = None) -> bool:
        """Whether an item (of `model`'s table, when given) failed its condition.

        DynamoDB gives the cancellation reasons in the order PynamoDB sent the items, which is
        condition checks, deletes, puts, then updates, whatever order they were added in: the
        reasons are matched to the items by that order, and an item is known by its table (no
        transaction of ours writes two items of one table under different conditions)."""
        return any(True for _ in self._refused(exc, model))

    def old_item(self, exc: TransactWriteError, model: type[Model]) -> dict[str, Any] | None:
        """The item of `model`'s table that failed its condition, as it was then (raw), when it was
        sent with `return_values="ALL_OLD"`: what DynamoDB saw, without reading it again."""
        return next((reason.raw_item for reason in self._refused(exc, model) if reason.raw_item), None)

    def _refused(self, exc: TransactWriteError, model: type[Model] | None) -> Iterator[CancellationReason]:
        sent = [*self._condition_check_items, *self._delete_items, *self._put_items, *self._update_items]
        table = model.Meta.table_name if model else None
        for index, reason in enumerate(exc.cancellation_reasons or []):
            if (
                reason is not None
                and reason.code == "ConditionalCheckFailed"
                and (table is None or sent[index].get("TableName") == table)
            ):
                yield reason


def transaction() -> Transaction:
    """A transaction with a token of its own. DynamoDB applies a transaction once per token (for ten
    minutes): one whose answer was lost after it applied (a timeout) and that botocore sends again
    then succeeds, where without the token it would fail its own condition and read as "another
    delivery got there first", leaving its task RUNNING for the reaper. Our own resends after a
    throttling cancellation keep the token too (same items, same token)."""
    global _connection
    if _connection is None:
        _connection = Connection(region=REGION)
    return Transaction(connection=_connection, client_request_token=str(uuid.uuid4()))


def connect(at_once: int = 10) -> None:
    """Make each table's DynamoDB client now rather than at its first request, with a connection
    for each of `at_once` requests. A Lambda environment serves one request at a time; the local
    stack's invocations share one process, and PynamoDB makes a connection's client unlocked (it
    looks, then makes): a hundred first reads at once made eighty clients, some 80 ms of CPU each,
    as a burst of scheduled runs began, and urllib3 discarded every connection past its pool's ten."""
    global _connection
    for model in MODELS:
        model.Meta.max_pool_connections = at_once
        model._connection = None  # one made before would keep its pool
    _connection = Connection(region=REGION, max_pool_connections=at_once)
    for connection in (_connection, *(model._get_connection().connection for model in MODELS)):
        connection.client  # noqa: B018 -- the property makes it


def reset() -> None:
    """Forget every DynamoDB connection, so the next request reads the endpoint afresh."""
    global _connection
    _connection = None
    for model in MODELS:
        model.Meta.max_pool_connections = _POOLS[model]
        model._connection = None
