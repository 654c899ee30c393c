"""`cached_dynamodb_expressions()`: update and condition expressions parsed and validated once, each
request still applying its own values and failing its own checks; an item sized once."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from jobdeck_local.moto_quirks import (
    cached_dynamodb_expressions,
)
from tests.moto_tables import COUNTERS, RUNS, Db, counter_key, counting, run_key


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
    tokenized = counting(monkeypatch, ExpressionTokenizer, "make_list")
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
    lexed = counting(monkeypatch, ConditionExpressionParser, "_lex_condition_expression")
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
    maps = counting(monkeypatch, ExpressionAttributeValueProcessor, "_processing_map")
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


def test_an_item_is_sized_once_and_one_too_large_is_still_refused(db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the quirk moto sizes the item again as it adds each attribute: 40 attributes, some
    820 sizings; with it, one each."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    cached_dynamodb_expressions()
    many = {"id": {"S": "wide"}, **{f"a{n:02}": {"S": "x" * n} for n in range(39)}}
    sized = counting(monkeypatch, DynamoType, "size")
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

    # moto's expressions module opens with `# type: ignore`: mypy sees none of its names.
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

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
    lexed = counting(monkeypatch, ConditionExpressionParser, "_lex_one_node")
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
    counted = counting(monkeypatch, ActionCountValidator, "verify_action_counts")
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
