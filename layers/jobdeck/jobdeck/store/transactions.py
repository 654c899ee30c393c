"""DynamoDB transactions: one connection for them, and reading why one was cancelled."""

from __future__ import annotations

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from jobdeck.store.models import REGION, AuditModel, JobModel, NodeModel, SubscriptionModel, TaskModel

_connection: Connection | None = None


class Transaction(TransactWrite):
    def failed(self, exc: TransactWriteError, model: type[Model] | None = None) -> bool:
        """Whether an item (of `model`'s table, when given) failed its condition.

        DynamoDB gives the cancellation reasons in the order PynamoDB sent the items, which is
        condition checks, deletes, puts, then updates, whatever order they were added in: the
        reasons are matched to the items by that order, and an item is known by its table (no
        transaction of ours writes two items of one table under different conditions)."""
        sent = [*self._condition_check_items, *self._delete_items, *self._put_items, *self._update_items]
        table = model.Meta.table_name if model else None
        return any(
            reason is not None
            and reason.code == "ConditionalCheckFailed"
            and (table is None or sent[index].get("TableName") == table)
            for index, reason in enumerate(exc.cancellation_reasons or [])
        )


def transaction() -> Transaction:
    global _connection
    if _connection is None:
        _connection = Connection(region=REGION)
    return Transaction(connection=_connection)


def reset() -> None:
    """Forget every DynamoDB connection, so the next request reads the endpoint afresh."""
    global _connection
    _connection = None
    for model in (JobModel, TaskModel, AuditModel, SubscriptionModel, NodeModel):
        model._connection = None
