"""DynamoDB transactions: one connection for them, and reading why one was cancelled."""

from __future__ import annotations

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from jobdeck.store.models import REGION, AuditModel, JobModel, NodeModel, SubscriptionModel, TaskModel

_connection: Connection | None = None


def transaction() -> TransactWrite:
    global _connection
    if _connection is None:
        _connection = Connection(region=REGION)
    return TransactWrite(connection=_connection)


def condition_failed(exc: TransactWriteError, index: int | None = None) -> bool:
    """Whether the item at `index` (any item, when None) failed its condition."""
    reasons = exc.cancellation_reasons or []
    picked = reasons if index is None else reasons[index : index + 1]
    return any(r is not None and r.code == "ConditionalCheckFailed" for r in picked)


def reset() -> None:
    """Forget every DynamoDB connection, so the next request reads the endpoint afresh."""
    global _connection
    _connection = None
    for model in (JobModel, TaskModel, AuditModel, SubscriptionModel, NodeModel):
        model._connection = None
