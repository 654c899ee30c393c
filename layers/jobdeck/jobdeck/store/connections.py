"""The store's DynamoDB connections: one for transactions, one per table's model, made at start
when asked (connect) and forgotten when the endpoint changes (reset).

PynamoDB has no public way to drop a model's connection or to make it before a request: both reach
into Model._connection and Model._get_connection(), as PynamoDB 6.1.0 has them. pyproject.toml and
the locks pin that version; another one, or one without those names, fails this module's import
(the store's, so every function's cold start) saying so, rather than leaving connections that keep
an old endpoint or pool. docs/dependencies.md lists every such reach.
"""

from __future__ import annotations

import pynamodb
from pynamodb.connection import Connection
from pynamodb.models import Model

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

PYNAMODB_VERSION = "6.1.0"


class PynamoDBMismatch(ImportError):
    """The installed PynamoDB is not the one whose internals the store reaches into."""


def _require_pinned_pynamodb() -> None:
    missing = [name for name in ("_connection", "_get_connection") if not hasattr(Model, name)]
    if pynamodb.__version__ == PYNAMODB_VERSION and not missing:
        return
    raise PynamoDBMismatch(
        f"PynamoDB {pynamodb.__version__} is installed, but jobdeck.store.connections reaches into "
        f"PynamoDB {PYNAMODB_VERSION}'s Model._connection and Model._get_connection()"
        + (f" ({', '.join('Model.' + name for name in missing)} missing here)" if missing else "")
        + f": install the locked versions (PynamoDB {PYNAMODB_VERSION}; docs/dependencies.md)."
    )


_require_pinned_pynamodb()

MODELS: tuple[type[Model], ...] = (
    JobModel,
    TaskModel,
    AuditModel,
    SubscriptionModel,
    NodeModel,
    ShareModel,
    CalendarModel,
    SkippedSlotModel,
)
_POOLS = {model: model.Meta.max_pool_connections for model in MODELS}  # PynamoDB's, until connect() says otherwise
_connection: Connection | None = None


def transactions() -> Connection:
    """The connection transactions are sent on (PynamoDB's TransactWrite takes one of its own)."""
    global _connection
    if _connection is None:
        _connection = Connection(region=REGION)
    return _connection


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
