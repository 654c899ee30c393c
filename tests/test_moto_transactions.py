"""`cheap_transactions()`: moto's TransactWriteItems leaves the tables exactly as its own rollback
did, and copies only the items a transaction addresses, not the tables it touches.
`plain_dynamodb_answers()`: every answer reads the same as moto's own serializer writes it."""

from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoResult

from jobdeck_local.moto_quirks import (
    plain_dynamodb_answers,
)
from tests.moto_tables import (
    BY_STATE,
    COUNTERS,
    RUNS,
    Db,
    advance,
    cancellation_codes,
    counter,
    counter_key,
    create,
    delete,
    run,
    run_key,
    set_counter_if,
)


def test_a_failed_condition_puts_back_every_item_of_the_transaction(db: Db) -> None:
    before = db.state()
    updated = db.get(RUNS, run_key("p1", "s1"))

    with pytest.raises(ClientError) as raised:
        db.transact(
            advance("p1", "s1", "FINISHED"),  # moves it from one GSI partition to another
            create(RUNS, run("p3", "s1", "QUEUED")),  # a hash key the table did not have
            set_counter_if("c2", 8, expected=999),  # fails
            # moto goes on with the operations after a failed one: they are written, then undone
            delete(COUNTERS, counter_key("c1")),
            create(RUNS, run("p1", "s3", "RUNNING")),  # a new range key under an existing hash key
            create(COUNTERS, counter("c3", 1)),
        )

    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert cancellation_codes(raised.value) == ["None", "None", "ConditionalCheckFailed", "None", "None", "None"]
    assert db.state() == before  # first: moto's GetItem of a missing item adds an empty entry to table.items
    assert db.get(RUNS, run_key("p1", "s1")) == updated
    assert db.get(RUNS, run_key("p3", "s1")) is None
    assert db.get(RUNS, run_key("p1", "s3")) is None
    assert db.get(COUNTERS, counter_key("c1")) == counter("c1", 5)
    assert db.get(COUNTERS, counter_key("c3")) is None


@pytest.mark.parametrize(
    ("failing", "code"),
    [
        # the key misses the range key: moto raises a validation error mid-transaction
        (
            {
                "Update": {
                    "TableName": RUNS,
                    "Key": {"pk": {"S": "p1"}},
                    "UpdateExpression": "SET n = :n",
                    "ExpressionAttributeValues": {":n": {"N": "2"}},
                }
            },
            "Validation",
        ),
        # a second operation on an item the transaction already wrote
        (advance("p3", "s1", "RUNNING"), "Validation"),
        # any other error moto meets becomes a cancellation
        (delete("no-such-table", counter_key("c1")), "TransactionCanceledException"),
    ],
    ids=["invalid-key", "same-item-twice", "missing-table"],
)
def test_every_kind_of_failure_puts_back_what_was_written_before_it(db: Db, failing: dict[str, Any], code: str) -> None:
    before = db.state()

    with pytest.raises(ClientError) as raised:
        db.transact(
            advance("p1", "s1", "FINISHED"),
            create(RUNS, run("p3", "s1", "QUEUED")),
            delete(COUNTERS, counter_key("c1")),
            failing,
        )

    assert code in raised.value.response["Error"]["Code"]
    assert db.state() == before


def test_a_transaction_that_succeeds_writes_everything(db: Db) -> None:
    db.transact(
        advance("p1", "s1", "FINISHED"),
        create(RUNS, run("p3", "s1", "QUEUED")),
        delete(COUNTERS, counter_key("c1")),
        set_counter_if("c2", 8, expected=7),
        {
            "ConditionCheck": {
                "TableName": RUNS,
                "Key": run_key("p2", "s1"),
                "ConditionExpression": "#s = :s",
                "ExpressionAttributeNames": {"#s": "state"},
                "ExpressionAttributeValues": {":s": {"S": "QUEUED"}},
            }
        },
    )

    assert db.get(RUNS, run_key("p1", "s1")) == run("p1", "s1", "FINISHED", n=2)
    assert db.get(RUNS, run_key("p3", "s1")) == run("p3", "s1", "QUEUED")
    assert db.get(COUNTERS, counter_key("c1")) is None
    assert db.get(COUNTERS, counter_key("c2")) == counter("c2", 8)
    by_state = db.state()["by-state"]
    assert [(i["pk"]["S"], i["sk"]["S"]) for i in by_state["FINISHED"]] == [("p1", "s1")]
    assert sorted((i["pk"]["S"], i["sk"]["S"]) for i in by_state["QUEUED"]) == [("p2", "s1"), ("p3", "s1")]


def test_what_others_write_during_a_failed_transaction_stays(db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's own rollback put whole tables back, so it lost what another writer wrote meanwhile."""
    original_get_item = DynamoDBBackend.get_item
    others_wrote: list[bool] = []

    def get_item(backend: DynamoDBBackend, table_name: str, keys: dict[str, Any], *args: Any) -> Item | None:
        if table_name == COUNTERS and keys == counter_key("c2") and not others_wrote:
            # another writer, between the transaction's first writes and its failed condition
            backend.put_item(RUNS, run("p9", "s1", "QUEUED"))
            backend.put_item(RUNS, run("p2", "s1", "RUNNING", n=5))
            backend.delete_item(COUNTERS, counter_key("c4"))
            others_wrote.append(True)
        return original_get_item(backend, table_name, keys, *args)

    monkeypatch.setattr(DynamoDBBackend, "get_item", get_item)
    updated = db.get(RUNS, run_key("p1", "s1"))

    with pytest.raises(ClientError) as raised:
        db.transact(
            advance("p1", "s1", "FINISHED"),
            create(RUNS, run("p3", "s1", "QUEUED")),
            set_counter_if("c2", 8, expected=999),
        )

    assert others_wrote
    assert cancellation_codes(raised.value) == ["None", "None", "ConditionalCheckFailed"]
    assert db.get(RUNS, run_key("p1", "s1")) == updated
    assert db.get(RUNS, run_key("p3", "s1")) is None
    assert db.get(RUNS, run_key("p9", "s1")) == run("p9", "s1", "QUEUED")
    assert db.get(RUNS, run_key("p2", "s1")) == run("p2", "s1", "RUNNING", n=5)
    assert db.get(COUNTERS, counter_key("c4")) is None
    assert db.get(COUNTERS, counter_key("c2")) == counter("c2", 7)


@dataclass
class DeepcopyProbe:
    """The items deep-copied (by hash key), however deep in what was copied, and the tables
    copy.deepcopy was asked to copy, with what it returned."""

    items: list[str] = field(default_factory=list)
    tables: list[tuple[Table, Any]] = field(default_factory=list)

    def install(self, patched: pytest.MonkeyPatch) -> None:
        copy_item, deepcopy = Item.__deepcopy__, copy.deepcopy

        def item_deepcopy(item: Item, memo: dict[int, Any]) -> Item:
            self.items.append(item.hash_key.value)
            return copy_item(item, memo)

        def probed_deepcopy(x: Any, memo: dict[int, Any] | None = None) -> Any:
            result = deepcopy(x, memo)
            if isinstance(x, Table):
                self.tables.append((x, result))
            return result

        # copy.deepcopy binds its own recursion at import: nested items are seen through Item's hook
        patched.setattr(Item, "__deepcopy__", item_deepcopy)
        patched.setattr(copy, "deepcopy", probed_deepcopy)


def _bulk_and_two_transactions(db: Db, monkeypatch: pytest.MonkeyPatch) -> DeepcopyProbe:
    for n in range(40):
        db.client.put_item(TableName=RUNS, Item=run(f"bulk-{n}", "s1", "QUEUED"))
        db.client.put_item(TableName=COUNTERS, Item=counter(f"bulk-{n}", n))
    probe = DeepcopyProbe()
    with monkeypatch.context() as patched:
        probe.install(patched)
        db.transact(advance("p1", "s1", "RUNNING"), create(RUNS, run("p3", "s1", "QUEUED")))
        with pytest.raises(ClientError):
            db.transact(delete(COUNTERS, counter_key("c1")), set_counter_if("c2", 8, expected=999))
    return probe


def test_a_transaction_copies_its_own_items_not_its_tables(db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    probe = _bulk_and_two_transactions(db, monkeypatch)

    assert probe.items  # the probe does see copies: of the items the transactions address
    assert not [key for key in probe.items if key.startswith("bulk-")]
    assert set(probe.items) <= {"p1", "p3", "c1", "c2"}
    assert all(result is table for table, result in probe.tables)


def test_the_probe_sees_moto_copy_whole_tables_without_the_quirk(db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test above can fail: moto's own TransactWriteItems copies every item of each table."""
    # moto's own method, under the quirk's functools.wraps (which mypy's view of the class does not show)
    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", inspect.unwrap(DynamoDBBackend.transact_write_items))

    probe = _bulk_and_two_transactions(db, monkeypatch)

    assert len([key for key in probe.items if key.startswith("bulk-")]) == 2 * 40 * 2
    assert probe.tables
    assert all(result is not table for table, result in probe.tables)


def test_a_table_copied_outside_a_transaction_is_a_real_copy(db: Db) -> None:
    table = db.table(RUNS)
    clone = copy.deepcopy(table)
    db.client.put_item(TableName=RUNS, Item=run("p5", "s1", "QUEUED"))

    assert clone is not table
    assert clone.items is not table.items
    assert len(clone) == 3
    assert len(table) == 4
    backup = db.client.create_backup(TableName=RUNS, BackupName="before-p5-deleted")["BackupDetails"]["BackupArn"]
    db.client.delete_item(TableName=RUNS, Key=run_key("p5", "s1"))
    db.client.restore_table_from_backup(TargetTableName="restored", BackupArn=backup)
    restored = db.client.get_item(TableName="restored", Key=run_key("p5", "s1"))
    assert restored["Item"] == run("p5", "s1", "QUEUED")


def test_a_failed_transaction_leaves_no_stream_records(db: Db) -> None:
    db.client.update_table(
        TableName=COUNTERS, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    )
    db.client.put_item(TableName=COUNTERS, Item=counter("c5", 1))

    def records() -> list[str]:
        shard = db.table(COUNTERS).stream_shard  # looked up each time: moto's own rollback replaced the table
        assert shard is not None
        return [record.record["eventName"] for record in shard.items]

    before = records()
    with pytest.raises(ClientError):
        db.transact(delete(COUNTERS, counter_key("c5")), set_counter_if("c2", 8, expected=999))
    assert records() == before

    db.transact(delete(COUNTERS, counter_key("c5")), set_counter_if("c2", 8, expected=7))
    assert records() == [*before, "REMOVE", "MODIFY"]


# Every kind of attribute value, nested, and the binary ones that moto holds as raw bytes.
EVERY_KIND = {
    "pk": {"S": "p9"},
    "sk": {"S": "s9"},
    "state": {"S": "QUEUED"},
    "n": {"N": "12.50"},
    "blob": {"B": b"\x00\xffbinary"},
    "yes": {"BOOL": True},
    "none": {"NULL": True},
    "names": {"SS": ["a", "b"]},
    "numbers": {"NS": ["1", "2.5"]},
    "blobs": {"BS": [b"\x01", b"\x02"]},
    "nested": {"M": {"list": {"L": [{"S": "x"}, {"N": "3"}, {"M": {"b": {"B": b"\x03"}}}]}, "empty": {"M": {}}}},
}


def _answers(db: Db) -> list[dict[str, Any]]:
    """What a client reads back, through every operation that answers with items."""
    key = run_key("p9", "s9")
    answers = [
        db.client.get_item(TableName=RUNS, Key=key, ConsistentRead=True),
        db.client.query(
            TableName=RUNS, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p9"}}
        ),
        db.client.query(
            TableName=RUNS,
            IndexName=BY_STATE,
            KeyConditionExpression="#s = :s",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":s": {"S": "QUEUED"}},
            Limit=1,
        ),
        db.client.scan(TableName=RUNS, ReturnConsumedCapacity="TOTAL"),
        db.client.batch_get_item(RequestItems={RUNS: {"Keys": [key]}, COUNTERS: {"Keys": [counter_key("c1")]}}),
        db.client.transact_get_items(TransactItems=[{"Get": {"TableName": RUNS, "Key": key}}]),
        db.client.update_item(
            TableName=RUNS,
            Key=key,
            UpdateExpression="ADD n :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        ),
        db.client.describe_table(TableName=RUNS)["Table"],  # dates: not an item answer, moto's own way
    ]
    for answer in answers:
        answer.pop("ResponseMetadata", None)
    return answers


def test_plain_answers_read_the_same_as_motos_serializer_writes_them(db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    plain_dynamodb_answers()
    db.client.put_item(TableName=RUNS, Item=EVERY_KIND)
    plain = _answers(db)
    db.client.put_item(TableName=RUNS, Item=EVERY_KIND)  # update_item added one to n
    monkeypatch.setattr(DynamoResult, "execute_result", inspect.unwrap(DynamoResult.execute_result))
    assert _answers(db) == plain
    assert plain[0]["Item"] == {**EVERY_KIND, "blob": {"B": b"\x00\xffbinary"}}
    assert plain[3]["ConsumedCapacity"]["TableName"] == RUNS


def test_an_error_still_reads_as_motos_error(db: Db) -> None:
    plain_dynamodb_answers()
    with pytest.raises(ClientError) as caught:
        db.client.get_item(TableName="nope", Key=run_key("p", "s"))
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
