"""The fake AWS the benchmarks run against (moto, in-process) and the DynamoDB request counter.

Importing this module sets the fake credentials and region, so a benchmark module imports it before
anything from `jobdeck` (whose models read the region when they are imported).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from jobdeck_local.offline import use_fake_aws

use_fake_aws("ERROR")

from botocore.client import BaseClient  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.core.botocore_stubber import BotocoreStubber  # noqa: E402

from jobdeck import clients, store  # noqa: E402
from jobdeck_local import moto_event_shapes, reaches  # noqa: E402
from jobdeck_local.moto_quirks import cheap_requests  # noqa: E402
from jobdeck_local.provision import Resources, provision  # noqa: E402

# The request counters below (and bench/cost.py's) wrap a private method of botocore's and one of
# moto's: botocore offers events per client, not one place every client's requests go through.
# botocore's version is the lock's; moto's is pinned (and checked by moto_quirks' import).
reaches.require(
    "bench (its request counters)",
    (
        reaches.Reach("botocore.client.BaseClient._make_api_call", params=("self", "operation_name", "api_params")),
        reaches.Reach("moto.core.botocore_stubber.BotocoreStubber.process_request", params=("self", "request")),
    ),
    "botocore as locks/dev.txt pins it, moto as local/moto_pin.py does",
)

# moto's service time then grows with what a request reads or writes, as DynamoDB's does, not with its
# tables, nor with a walk of its answer's shape, nor with parsing the same expressions again; as the
# local stack's moto. Its S3 and custom events are AWS's shapes, as there too.
cheap_requests()
moto_event_shapes.install()

WRITE_OPERATIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
READ_OPERATIONS = frozenset({"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"})
# The template says what the functions log; the benchmarks print tables and want errors only.
_KEEP_OURS = frozenset({"POWERTOOLS_LOG_LEVEL"})


@contextmanager
def stack() -> Iterator[Resources]:
    """A fresh moto account with the template's tables, queues and bucket, and the runner's
    environment set (and taken back afterwards)."""
    saved = dict(os.environ)
    with mock_aws():
        clients.reset()
        store.reset()
        try:
            resources = provision()
            for name, value in resources.environment("RunnerFunction").items():
                if name not in _KEEP_OURS:
                    os.environ[name] = value
            yield resources
        finally:
            os.environ.clear()
            os.environ.update(saved)
            clients.reset()


@dataclass(frozen=True)
class Call:
    """One DynamoDB API request, as the client made it (retries inside botocore are one call)."""

    operation: str
    items_read: int
    items_written: int
    transactional: bool
    seconds: float  # the whole request, client side included
    service_seconds: float  # of which moto spent emulating DynamoDB (the server side)
    failed: bool

    @property
    def is_write(self) -> bool:
        return self.operation in WRITE_OPERATIONS

    @property
    def is_read(self) -> bool:
        return self.operation in READ_OPERATIONS


@dataclass(eq=False)  # a log is itself, not its calls: count_dynamodb() tells nested ones apart
class CallLog:
    calls: list[Call] = field(default_factory=list)

    def requests(self) -> Counter[str]:
        return Counter(call.operation for call in self.calls)

    def write_requests(self) -> Counter[str]:
        return Counter(call.operation for call in self.calls if call.is_write)

    def read_requests(self) -> Counter[str]:
        return Counter(call.operation for call in self.calls if call.is_read)

    def items_read(self) -> Counter[str]:
        totals: Counter[str] = Counter()
        for call in self.calls:
            if call.is_read:
                totals[call.operation] += call.items_read
        return totals

    def items_written(self) -> int:
        return sum(call.items_written for call in self.calls)

    def write_units(self) -> int:
        """Write capacity at least consumed: one unit per item of up to 1 KB, two in a transaction."""
        return sum(call.items_written * (2 if call.transactional else 1) for call in self.calls)

    def seconds(self, operation: str | None = None) -> float:
        return sum(call.seconds for call in self.calls if operation in (None, call.operation))

    def service_seconds(self, operation: str | None = None) -> float:
        return sum(call.service_seconds for call in self.calls if operation in (None, call.operation))


_active: list[CallLog] = []
_original_make_api_call = BaseClient._make_api_call  # type: ignore[attr-defined]
_original_process_request = BotocoreStubber.process_request
_in_flight: list[float] = []  # moto's seconds so far in each DynamoDB request under way


@contextmanager
def count_dynamodb() -> Iterator[CallLog]:
    """Record every DynamoDB request made inside the block, by boto3 or PynamoDB alike.

    Both end in `BaseClient._make_api_call` (PynamoDB calls it on its own botocore clients, the
    models' and the transactions' connection), so that is where the counter listens. moto answers
    from `BotocoreStubber.process_request`, inside that call: the time spent there is the emulated
    service's, kept apart so that a figure can leave out what moto's in-memory tables cost.
    """
    log = CallLog()
    _active.append(log)
    if len(_active) == 1:
        _patch(_counting_make_api_call, _timed_process_request)
    try:
        yield log
    finally:
        _active.remove(log)
        if not _active:
            _patch(_original_make_api_call, _original_process_request)


def _patch(make_api_call: Any, process_request: Any) -> None:
    for owner, name, function in (
        (BaseClient, "_make_api_call", make_api_call),
        (BotocoreStubber, "process_request", process_request),
    ):
        setattr(owner, name, function)


def _timed_process_request(self: BotocoreStubber, request: Any) -> Any:
    started = time.perf_counter()
    try:
        return _original_process_request(self, request)
    finally:
        if _in_flight:
            _in_flight[-1] += time.perf_counter() - started


def _counting_make_api_call(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
    if self.meta.service_model.service_name != "dynamodb":
        return _original_make_api_call(self, operation_name, api_params)
    started = time.perf_counter()
    failed = False
    response: Mapping[str, Any] = {}
    _in_flight.append(0.0)
    try:
        response = _original_make_api_call(self, operation_name, api_params)
        return response
    except BaseException:
        failed = True
        raise
    finally:
        call = Call(
            operation=operation_name,
            items_read=0 if failed else _items_read(operation_name, response),
            items_written=0 if failed else _items_written(operation_name, api_params, response),
            transactional=operation_name in ("TransactWriteItems", "TransactGetItems"),
            seconds=time.perf_counter() - started,
            service_seconds=_in_flight.pop(),
            failed=failed,
        )
        for log in _active:
            log.calls.append(call)


def _items_read(operation: str, response: Mapping[str, Any]) -> int:
    if operation == "GetItem":
        return 1 if response.get("Item") else 0
    if operation in ("Query", "Scan"):
        return int(response.get("ScannedCount", response.get("Count", 0)))
    if operation == "BatchGetItem":
        return sum(len(items) for items in response.get("Responses", {}).values())
    if operation == "TransactGetItems":
        return sum(1 for entry in response.get("Responses", []) if entry.get("Item"))
    return 0


def _items_written(operation: str, params: Mapping[str, Any], response: Mapping[str, Any]) -> int:
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        return 1
    if operation == "BatchWriteItem":
        sent = sum(len(requests) for requests in params.get("RequestItems", {}).values())
        left = sum(len(requests) for requests in response.get("UnprocessedItems", {}).values())
        return sent - left
    if operation == "TransactWriteItems":
        return sum(1 for entry in params.get("TransactItems", []) if "ConditionCheck" not in entry)
    return 0


@contextmanager
def count_requests() -> Iterator[Counter[tuple[str, str]]]:
    """Every AWS request made inside the block, by (service, operation). Enter it inside
    `aws.count_dynamodb()`, so that each wraps the other in order and unwinds in order."""
    counts: Counter[tuple[str, str]] = Counter()
    inner = BaseClient._make_api_call  # type: ignore[attr-defined]

    def counting(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        counts[(self.meta.service_model.service_name, operation)] += 1
        return inner(self, operation, params)

    BaseClient._make_api_call = counting  # type: ignore[attr-defined]
    try:
        yield counts
    finally:
        BaseClient._make_api_call = inner  # type: ignore[attr-defined]


@contextmanager
def captured_stdout() -> Iterator[list[str]]:
    """What the block writes to file descriptor 1 (Powertools' log lines and metric documents)."""
    out: list[str] = []
    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 1)
        try:
            yield out
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
            sink.seek(0)
            out.append(sink.read().decode("utf-8", "replace"))
