"""For the tests of moto's quirks (conftest.py imports its fixture): the two moto tables they
write to (one with a range key and an index, one with a hash key only) as the `db` fixture, the
items and transaction operations they use, and a counter of a method's calls."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.table import Table

from jobdeck_local.moto_quirks import (
    cheap_transactions,
)

REGION = "us-east-1"
RUNS = "runs"  # hash and range key, and a GSI
COUNTERS = "counters"  # hash key only
BY_STATE = "by-state"
STATES = ("QUEUED", "RUNNING", "FINISHED")


@dataclass
class Db:
    client: Any
    backend: DynamoDBBackend

    def table(self, name: str) -> Table:
        return self.backend.get_table(name)

    def transact(self, *operations: dict[str, Any]) -> None:
        self.client.transact_write_items(TransactItems=list(operations))

    def state(self) -> dict[str, Any]:
        """Everything a client can read, and the tables' hash keys as moto keeps them."""
        return {
            "runs": self.client.scan(TableName=RUNS)["Items"],
            "counters": self.client.scan(TableName=COUNTERS)["Items"],
            "by-state": {
                state: self.client.query(
                    TableName=RUNS,
                    IndexName=BY_STATE,
                    KeyConditionExpression="#s = :s",
                    ExpressionAttributeNames={"#s": "state"},
                    ExpressionAttributeValues={":s": {"S": state}},
                )["Items"]
                for state in STATES
            },
            "hash keys": {name: sorted(key.value for key in self.table(name).items) for name in (RUNS, COUNTERS)},
        }

    def get(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self.client.get_item(TableName=table, Key=key).get("Item")
        return item


@pytest.fixture
def db() -> Iterator[Db]:
    cheap_transactions()  # conftest applies it as well; these tests say what it does without relying on that
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(
            TableName=RUNS,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "state", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": BY_STATE,
                    "KeySchema": [
                        {"AttributeName": "state", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        client.create_table(
            TableName=COUNTERS,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        account = boto3.client("sts", region_name=REGION).get_caller_identity()["Account"]
        db = Db(client, dynamodb_backends[account][REGION])
        for pk, sk, state in (("p1", "s1", "QUEUED"), ("p1", "s2", "RUNNING"), ("p2", "s1", "QUEUED")):
            client.put_item(TableName=RUNS, Item=run(pk, sk, state))
        for name, value in (("c1", 5), ("c2", 7), ("c4", 1)):
            client.put_item(TableName=COUNTERS, Item=counter(name, value))
        yield db


def run(pk: str, sk: str, state: str, n: int = 1) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}, "state": {"S": state}, "n": {"N": str(n)}}


def run_key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def counter(name: str, value: int) -> dict[str, Any]:
    return {"id": {"S": name}, "v": {"N": str(value)}}


def counter_key(name: str) -> dict[str, Any]:
    return {"id": {"S": name}}


def advance(pk: str, sk: str, state: str) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": RUNS,
            "Key": run_key(pk, sk),
            "UpdateExpression": "SET #s = :s, n = n + :one",
            "ExpressionAttributeNames": {"#s": "state"},
            "ExpressionAttributeValues": {":s": {"S": state}, ":one": {"N": "1"}},
        }
    }


def create(table: str, item: dict[str, Any]) -> dict[str, Any]:
    key = "pk" if table == RUNS else "id"
    return {"Put": {"TableName": table, "Item": item, "ConditionExpression": f"attribute_not_exists({key})"}}


def delete(table: str, key: dict[str, Any]) -> dict[str, Any]:
    return {"Delete": {"TableName": table, "Key": key}}


def set_counter_if(name: str, value: int, expected: int) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": COUNTERS,
            "Key": counter_key(name),
            "UpdateExpression": "SET v = :new",
            "ConditionExpression": "v = :expected",
            "ExpressionAttributeValues": {":new": {"N": str(value)}, ":expected": {"N": str(expected)}},
        }
    }


def cancellation_codes(error: ClientError) -> list[str]:
    return [reason["Code"] for reason in error.response["CancellationReasons"]]


def counting(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[int]:
    """Calls of `owner.name` from now on (one entry each)."""
    calls: list[int] = []
    real = getattr(owner, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls
