"""`cheap_transactions()`: moto's TransactWriteItems leaves the tables exactly as its own rollback
did, and copies only the items a transaction addresses, not the tables it touches.
`plain_dynamodb_answers()`: every answer reads the same as moto's own serializer writes it.
`prompt_sqs_long_polls()`: a long poll answers when a delayed message becomes visible.
`safe_sqs_deletes()`: a message sent while another is deleted is kept.
`listed_moto_modules_once()`: moto's server finds its services in the same list, read once."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoResult
from moto.sqs.models import Message

from jobdeck_local.moto_quirks import (
    cached_dynamodb_expressions,
    cheap_transactions,
    handler_methods_listed_once,
    listed_moto_modules_once,
    plain_dynamodb_answers,
    prompt_sqs_long_polls,
    safe_sqs_deletes,
    sqs_retention_read_directly,
)

REGION = "us-east-1"
RUNS = "runs"  # hash and range key, and a GSI
COUNTERS = "counters"  # hash key only
BY_STATE = "by-state"
STATES = ("QUEUED", "RUNNING", "FINISHED")


@pytest.fixture(autouse=True)
def _cheap_transactions() -> None:
    cheap_transactions()  # conftest applies it as well; these tests say what it does without relying on that


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
    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", DynamoDBBackend.transact_write_items.__wrapped__)

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
    monkeypatch.setattr(DynamoResult, "execute_result", DynamoResult.execute_result.__wrapped__)
    assert _answers(db) == plain
    assert plain[0]["Item"] == {**EVERY_KIND, "blob": {"B": b"\x00\xffbinary"}}
    assert plain[3]["ConsumedCapacity"]["TableName"] == RUNS


def test_an_error_still_reads_as_motos_error(db: Db) -> None:
    plain_dynamodb_answers()
    with pytest.raises(ClientError) as caught:
        db.client.get_item(TableName="nope", Key=run_key("p", "s"))
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


@pytest.fixture
def queue() -> Iterator[tuple[Any, str]]:
    """An SQS client and a new queue's URL, in moto."""
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        yield sqs, sqs.create_queue(QueueName="quirks")["QueueUrl"]


def test_a_long_poll_answers_when_a_delayed_message_becomes_visible(queue: tuple[Any, str]) -> None:
    """Without the quirk moto looks again a whole second after the poll began, here half a second
    after the message became visible; with it, at once (the margin is for a loaded machine)."""
    prompt_sqs_long_polls()
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    visible = time.monotonic() + 1
    time.sleep(0.5)
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5).get("Messages", [])
    late = time.monotonic() - visible
    assert [m["Body"] for m in messages] == ["later"]
    assert late < 0.35, f"answered {late:.2f} s after the message became visible"


def test_a_long_poll_waits_for_the_soonest_message_rather_than_looking_again_and_again(
    queue: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Looking every 50 ms (the quirk before) made twenty looks a second over the whole queue."""
    from moto.sqs.models import Queue

    prompt_sqs_long_polls()
    looks = _counting(monkeypatch, Queue, "wait_for_messages")
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5).get("Messages", [])
    assert [m["Body"] for m in messages] == ["later"]
    assert 1 <= len(looks) <= 3


def test_a_message_handed_back_during_a_long_poll_is_answered_at_once(queue: tuple[Any, str]) -> None:
    """Handed back (visibility 0), as the stack's pollers do at stop; moto wakes a poll on sends only."""
    prompt_sqs_long_polls()
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="again")
    [taken] = sqs.receive_message(QueueUrl=url, VisibilityTimeout=30)["Messages"]
    polled: list[Any] = []
    poll = threading.Thread(
        target=lambda: polled.extend(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5).get("Messages", []))
    )
    poll.start()
    time.sleep(0.3)
    handed_back = time.monotonic()
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=taken["ReceiptHandle"], VisibilityTimeout=0)
    poll.join()
    late = time.monotonic() - handed_back
    assert [m["Body"] for m in polled] == ["again"]
    assert late < 0.35, f"answered {late:.2f} s after the message was handed back"


def test_a_message_sent_while_another_is_deleted_waits_for_the_delete_and_is_kept(
    queue: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto's delete rebuilds the queue's list of messages; a send appending to it meanwhile could
    be overwritten. With the quirk the send waits for the delete to end (it is held here, mid-delete,
    for as long as the delete lasts) and then lands."""
    safe_sqs_deletes()
    sqs, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="first")
    [first] = sqs.receive_message(QueueUrl=url)["Messages"]
    sender = threading.Thread(target=lambda: sqs.send_message(QueueUrl=url, MessageBody="second"))
    blocked: list[bool] = []
    real = Message.had_receipt_handle

    def mid_delete(message: Message, receipt_handle: str) -> bool:
        if not blocked:
            sender.start()
            sender.join(timeout=0.3)
            blocked.append(sender.is_alive())
        return real(message, receipt_handle)

    monkeypatch.setattr(Message, "had_receipt_handle", mid_delete)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    sender.join()
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]
    assert blocked == [True]
    assert bodies == ["second"]


def test_moto_modules_are_listed_once_and_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto import backends

    before = list(backends.list_of_moto_modules())
    listed_moto_modules_once()
    assert list(backends.list_of_moto_modules()) == before
    assert {"dynamodb", "sqs", "s3", "events"} <= set(before)
    monkeypatch.setattr("os.listdir", lambda path: pytest.fail("listed the disk again"))
    assert "sqs" in backends.list_of_moto_modules()


def _counting(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[int]:
    """Calls of `owner.name` from now on (one entry each)."""
    calls: list[int] = []
    real = getattr(owner, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def _set_n(db: Db, sk: str, n: int, attribute: str) -> None:
    db.client.update_item(
        TableName=RUNS,
        Key=run_key("p1", sk),
        UpdateExpression=f"SET #n = :n, #{attribute} = :s",
        ConditionExpression="#state = :queued",
        ExpressionAttributeNames={"#n": "n", f"#{attribute}": attribute, "#state": "state"},
        ExpressionAttributeValues={":n": {"N": str(n)}, ":s": {"S": f"set to {n}"}, ":queued": {"S": "QUEUED"}},
    )


def test_an_update_expression_is_tokenized_once_and_each_update_applies_its_own_values(
    db: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the quirk moto tokenizes the expression twice per request (its handler and its
    backend each parse it); with it, once for both requests. A parse kept and shared would be
    wrong if a validation wrote into it: the second update would then write the first's values."""
    from moto.dynamodb.parsing.tokens import ExpressionTokenizer

    cached_dynamodb_expressions()
    tokenized = _counting(monkeypatch, ExpressionTokenizer, "make_list")
    attribute = f"note{time.monotonic_ns()}"  # an expression no earlier test has parsed
    _set_n(db, "s1", 41, attribute)
    _set_n(db, "s1", 42, attribute)
    assert len(tokenized) == 1
    item = db.get(RUNS, run_key("p1", "s1"))
    assert item is not None
    assert (item["n"], item[attribute]) == ({"N": "42"}, {"S": "set to 42"})


def test_a_kept_condition_is_evaluated_against_each_item(db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same condition, names and values are parsed once (without the quirk, every time), and
    the parse still reads the item it is given: it holds on s1 (QUEUED), not on s2 (RUNNING)."""
    from moto.dynamodb.comparisons import ConditionExpressionParser

    cached_dynamodb_expressions()
    attribute = f"seen{time.monotonic_ns()}"
    lexed = _counting(monkeypatch, ConditionExpressionParser, "_lex_condition_expression")
    _set_n(db, "s1", 2, attribute)
    with pytest.raises(ClientError) as refused:
        _set_n(db, "s2", 2, attribute)
    assert refused.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert len(lexed) == 1
    s2 = db.get(RUNS, run_key("p1", "s2"))
    assert s2 is not None and attribute not in s2


def test_clause_counts_are_still_checked_at_the_root(db: Db) -> None:
    cached_dynamodb_expressions()
    with pytest.raises(ClientError) as refused:
        db.client.update_item(
            TableName=COUNTERS,
            Key=counter_key("c1"),
            UpdateExpression="SET v = :v SET w = :v",
            ExpressionAttributeValues={":v": {"N": "1"}},
        )
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert '"SET" section can only be used once' in refused.value.response["Error"]["Message"]


def test_a_validator_makes_its_map_of_node_kinds_once(db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the quirk moto makes the map again for every node of the expression's tree."""
    from moto.dynamodb.parsing.validators import ExpressionAttributeValueProcessor

    cached_dynamodb_expressions()
    maps = _counting(monkeypatch, ExpressionAttributeValueProcessor, "_processing_map")
    db.client.update_item(
        TableName=COUNTERS,
        Key=counter_key("c1"),
        UpdateExpression="SET v = :v, a = :a, b = :b, c = :c",
        ExpressionAttributeValues={":v": {"N": "1"}, ":a": {"S": "a"}, ":b": {"S": "b"}, ":c": {"S": "c"}},
    )
    assert len(maps) == 1
    assert db.get(COUNTERS, counter_key("c1")) == {
        "id": {"S": "c1"},
        "v": {"N": "1"},
        "a": {"S": "a"},
        "b": {"S": "b"},
        "c": {"S": "c"},
    }


def test_a_handler_class_methods_are_listed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import inspect

    from moto.core import responses

    handler_methods_listed_once()

    class Handler:
        def list_things(self) -> None: ...

    listed = _counting(monkeypatch, inspect, "getmembers")
    assert responses.method_names_from_class(Handler) == ["list_things"]
    assert responses.method_names_from_class(Handler) == ["list_things"]
    assert len(listed) == 1


def test_receiving_reads_the_retention_period_without_counting_the_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the quirk every message received asks for the queue's attributes (which count its
    messages); with it, none does, and a message past the queue's retention period is still
    not received."""
    from moto.sqs.models import Queue, sqs_backends

    sqs_retention_read_directly()
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        account = boto3.client("sts", region_name=REGION).get_caller_identity()["Account"]

        def received(name: str, age: int) -> list[str]:
            url = sqs.create_queue(QueueName=name, Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody=name)
            [message] = sqs_backends[account][REGION].get_queue(name)._messages
            message.sent_timestamp -= age * 1000
            receiving.set()
            try:
                answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
            finally:
                receiving.clear()
            return [m["Body"] for m in answer.get("Messages", [])]

        counted: list[int] = []
        receiving = threading.Event()
        attributes = Queue.attributes

        def counting(queue: Queue) -> Any:
            if receiving.is_set():
                counted.append(1)
            return attributes.fget(queue)

        monkeypatch.setattr(Queue, "attributes", property(counting))
        expired, kept = received("expired", 61), received("kept", 59)
    assert (expired, kept) == ([], ["kept"])
    assert counted == []


def test_an_item_is_sized_once_and_one_too_large_is_still_refused(db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the quirk moto sizes the item again as it adds each attribute: 40 attributes, some
    820 sizings; with it, one each."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    cached_dynamodb_expressions()
    many = {"id": {"S": "wide"}, **{f"a{n:02}": {"S": "x" * n} for n in range(39)}}
    sized = _counting(monkeypatch, DynamoType, "size")
    db.client.put_item(TableName=COUNTERS, Item=many)
    assert len(sized) < 100
    assert db.get(COUNTERS, counter_key("wide")) == many
    with pytest.raises(ClientError) as refused:
        db.client.put_item(TableName=COUNTERS, Item={"id": {"S": "huge"}, "blob": {"S": "x" * 410_000}})
    assert "Item size has exceeded the maximum allowed size" in refused.value.response["Error"]["Message"]
    assert db.get(COUNTERS, counter_key("huge")) is None


def test_arithmetic_functions_and_removals_give_dynamodbs_results(db: Db) -> None:
    """The walk that replaces moto's: processed nodes land in their parents' places, and the hook
    a resolver runs before each child still runs (the left side of `v = v + :one` is a path)."""
    cached_dynamodb_expressions()
    for _ in range(2):  # the second time from the kept parse
        db.client.update_item(
            TableName=COUNTERS,
            Key=counter_key("c2"),
            UpdateExpression="SET v = v + :one, l = list_append(if_not_exists(l, :empty), :x) REMOVE gone",
            ExpressionAttributeValues={":one": {"N": "1"}, ":empty": {"L": []}, ":x": {"L": [{"S": "x"}]}},
        )
    assert db.get(COUNTERS, counter_key("c2")) == {
        "id": {"S": "c2"},
        "v": {"N": "9"},
        "l": {"L": [{"S": "x"}, {"S": "x"}]},
    }


def test_only_a_kept_parse_is_copied_from_its_pickle() -> None:
    """The validator's copies go through one function: a kept parse comes from its pickle, anything
    else (a value list_append copies, a parse not kept) is deep-copied as moto does."""
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    cached_dynamodb_expressions()
    kept = UpdateExpressionParser.make(f"SET #{time.monotonic_ns()} = :v")
    fresh = validators.deepcopy(kept)
    assert type(fresh) is type(kept) and fresh is not kept
    assert "_jobdeck_pickle" not in vars(fresh)
    value = DynamoType({"L": [{"S": "x"}]})
    assert validators.deepcopy(value) == value
    assert type(validators.deepcopy(value)) is DynamoType


def test_a_condition_with_new_values_is_not_lexed_again(db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    """Values that change at every request (a version, a time) miss the kept parse; the tokens of the
    same text are kept (without the quirk, lexed again each time), and each parse still reads its
    own values: n = 1 holds on s1, n = 5 does not."""
    from moto.dynamodb.comparisons import ConditionExpressionParser

    cached_dynamodb_expressions()
    attribute = f"#n{time.monotonic_ns()}"  # a text no earlier test has lexed

    def bump_if(n: int) -> None:
        db.client.update_item(
            TableName=RUNS,
            Key=run_key("p1", "s1"),
            UpdateExpression="SET #n = #n + :one",
            ConditionExpression=f"{attribute} = :n",
            ExpressionAttributeNames={"#n": "n", attribute: "n"},
            ExpressionAttributeValues={":one": {"N": "1"}, ":n": {"N": str(n)}},
        )

    bump_if(1)
    lexed = _counting(monkeypatch, ConditionExpressionParser, "_lex_one_node")
    with pytest.raises(ClientError) as refused:
        bump_if(5)
    bump_if(2)
    assert refused.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert lexed == []
    item = db.get(RUNS, run_key("p1", "s1"))
    assert item is not None and item["n"] == {"N": "3"}


def _set_named(db: Db, names: dict[str, str], expression: str) -> None:
    db.client.update_item(
        TableName=COUNTERS,
        Key=counter_key("c1"),
        UpdateExpression=expression,
        ExpressionAttributeNames=names,
        ExpressionAttributeValues={":v": {"N": "1"}, ":w": {"N": "2"}},
    )


def _refusal(db: Db, names: dict[str, str], expression: str) -> str:
    with pytest.raises(ClientError) as refused:
        _set_named(db, names, expression)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    return str(refused.value.response["Error"]["Message"])


def test_an_updates_item_free_checks_run_once_per_expression_and_names(db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the quirk moto counts the clauses (at every node of the tree) for every update."""
    from moto.dynamodb.parsing.validators import ActionCountValidator

    cached_dynamodb_expressions()
    counted = _counting(monkeypatch, ActionCountValidator, "verify_action_counts")
    expression = f"SET #a = :v, #b = :w REMOVE r{time.monotonic_ns()}"  # not parsed by an earlier test
    _set_named(db, {"#a": "x", "#b": "y"}, expression)
    first = len(counted)
    _set_named(db, {"#a": "x", "#b": "y"}, expression)
    assert first > 0 and len(counted) == first
    _set_named(db, {"#a": "x", "#b": "z"}, expression)  # other names: checked again
    assert len(counted) > first
    assert db.get(COUNTERS, counter_key("c1")) == {
        "id": {"S": "c1"},
        "v": {"N": "5"},
        "x": {"N": "1"},
        "y": {"N": "2"},
        "z": {"N": "2"},
    }


def test_an_update_that_fails_its_checks_fails_them_every_time(db: Db) -> None:
    """What passed with some names is not taken to pass with others, nor is a failure kept."""
    cached_dynamodb_expressions()
    expression = f"SET #a = :v, #b = :w REMOVE r{time.monotonic_ns()}"
    _set_named(db, {"#a": "x", "#b": "y"}, expression)
    for _ in range(2):
        assert "Cannot update attribute id" in _refusal(db, {"#a": "id", "#b": "y"}, expression)
        assert "Two document paths overlap" in _refusal(db, {"#a": "x", "#b": "x"}, expression)
    assert db.get(COUNTERS, counter_key("c1")) == {"id": {"S": "c1"}, "v": {"N": "5"}, "x": {"N": "1"}, "y": {"N": "2"}}
