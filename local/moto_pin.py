"""The moto that local/moto_quirks.py was written for, and every name of moto's each quirk reaches
into: checked when moto_quirks is imported, before any of its own imports of moto and before any
quirk is installed.

The quirks replace moto's methods and read its private attributes (a queue's lock, a table's items),
as MOTO_VERSION has them. Another moto may still have every name and do something else with it, so
the version itself is checked too: another one stops the local stack, the tests and the benchmarks
at start, with every quirk named, the version found and the one pinned, and what of its reach is
missing or changed. Moving the pin: docs/dependencies.md.

The standard library only: it must be importable whatever moto is installed.
"""

from __future__ import annotations

from jobdeck_local.reaches import Reach

# Also pinned (==) in pyproject.toml's dev extras, and so in locks/dev.txt (tests/test_moto_pin.py
# checks all three agree).
MOTO_VERSION = "5.2.6"


class MotoMismatch(RuntimeError):
    """The installed moto is not the one the quirks were written for, or lacks what they reach."""


def _patched(path: str, *params: str) -> Reach:
    return Reach(path, params=params)


def _read(path: str) -> Reach:
    return Reach(path)


def _per_instance(path: str) -> Reach:
    return Reach(path, set_in_init=True)


_DYNAMODB = "moto.dynamodb"
_SQS = "moto.sqs.models"
_TABLE = f"{_DYNAMODB}.models.table.Table"
_PARSER = f"{_DYNAMODB}.comparisons.ConditionExpressionParser"
_VALIDATORS = f"{_DYNAMODB}.parsing.validators"
_NODES = f"{_DYNAMODB}.parsing.ast_nodes"

# Per quirk (the functions of moto_quirks that install them), what it replaces and what it reads.
QUIRKS: dict[str, tuple[Reach, ...]] = {
    "serialize_dynamodb": (_patched(f"{_DYNAMODB}.responses.DynamoHandler.call_action", "self"),),
    "cheap_transactions": (
        _patched(f"{_DYNAMODB}.models.DynamoDBBackend.transact_write_items", "self", "transact_items"),
        _read(f"{_DYNAMODB}.models.DynamoDBBackend.get_table"),
        _read(f"{_DYNAMODB}.models.DynamoDBBackend.get_keys_value"),
        _per_instance(f"{_TABLE}.items"),
        _per_instance(f"{_TABLE}.hash_key_attr"),
        _per_instance(f"{_TABLE}.range_key_attr"),
        _per_instance(f"{_TABLE}.stream_shard"),
        _per_instance(f"{_DYNAMODB}.models.table.StreamShard.items"),
        _read(f"{_DYNAMODB}.models.table.StreamRecord"),
        _read(f"{_DYNAMODB}.models.dynamo_type.DynamoType"),
    ),
    "plain_dynamodb_answers": (
        _patched(f"{_DYNAMODB}.responses.DynamoResult.execute_result", "self", "context"),
        _read("moto.core.responses.ActionContext"),
    ),
    "cached_dynamodb_expressions": (
        _patched(f"{_DYNAMODB}.parsing.expressions.UpdateExpressionParser.make", "expression_str"),
        _patched(f"{_PARSER}.parse", "self"),
        _patched(f"{_PARSER}._lex_condition_expression", "self"),
        _per_instance(f"{_PARSER}.condition_expression"),
        _per_instance(f"{_PARSER}.expression_attribute_names"),
        _per_instance(f"{_PARSER}.expression_attribute_values"),
        _per_instance(f"{_PARSER}.expr_attr_names_found"),
        _per_instance(f"{_PARSER}.expr_attr_values_found"),
        _patched(f"{_NODES}.DepthFirstTraverser.process", "self", "node"),
        _patched(f"{_NODES}.DepthFirstTraverser.traverse", "self", "node"),
        _read(f"{_NODES}.DepthFirstTraverser._processing_map"),
        _read(f"{_NODES}.DepthFirstTraverser.pre_processing_of_child"),
        _read(f"{_NODES}.Node"),
        _read(f"{_NODES}.UpdateExpression"),
        _patched(f"{_DYNAMODB}.models.dynamo_type.Item.__init__", "self", "hash_key", "range_key", "attrs"),
        _read(f"{_DYNAMODB}.models.dynamo_type.LimitedSizeDict"),
        _read(f"{_DYNAMODB}.models.utilities.bytesize"),
        _read(f"{_DYNAMODB}.exceptions.ItemSizeTooLarge"),
        _patched(f"{_VALIDATORS}.deepcopy", "x", "memo", "_nil"),
        _patched(
            f"{_VALIDATORS}.UpdateExpressionValidator.__init__",
            "self",
            "expression",
            "expression_attribute_names",
            "expression_attribute_values",
            "item",
            "table",
        ),
        _patched(f"{_VALIDATORS}.UpdateExpressionValidator.validate", "self"),
        _per_instance(f"{_VALIDATORS}.UpdateExpressionValidator.processors"),
        _read(f"{_VALIDATORS}.ActionCountValidator"),
        _read(f"{_VALIDATORS}.OverlappingPathsValidator"),
        _read(f"{_VALIDATORS}.UpdateHashRangeKeyValidator"),
        _per_instance(f"{_TABLE}.table_key_attrs"),
    ),
    "prompt_sqs_long_polls": (
        _patched(f"{_SQS}.Queue.wait_for_messages", "self", "timeout"),
        _patched(
            f"{_SQS}.SQSBackend.change_message_visibility", "self", "queue_name", "receipt_handle", "visibility_timeout"
        ),
        _read(f"{_SQS}.SQSBackend.get_queue"),
        _per_instance(f"{_SQS}.Queue._messages_lock"),
        _per_instance(f"{_SQS}.Queue._messages"),
        _read(f"{_SQS}.Queue.messages"),
        _per_instance(f"{_SQS}.Message.visible_at"),
        _per_instance(f"{_SQS}.Message.delayed_until"),
        _read("moto.core.utils.unix_time_millis"),
    ),
    "safe_sqs_deletes": (
        _patched(f"{_SQS}.Queue.delete_message", "self", "receipt_handle"),
        _per_instance(f"{_SQS}.Queue._messages_lock"),
    ),
    "listed_moto_modules_once": (_patched("moto.backends.list_of_moto_modules"),),
    "handler_methods_listed_once": (_patched("moto.core.responses.method_names_from_class", "clazz"),),
    "sqs_retention_read_directly": (
        _patched(f"{_SQS}.SQSBackend.is_message_valid_based_on_retention_period", "self", "queue_name", "message"),
        _read(f"{_SQS}.SQSBackend.get_queue"),
        _per_instance(f"{_SQS}.Message.sent_timestamp"),
        _read("moto.core.utils.unix_time"),
    ),
}


# What moto_process reaches to serve moto in a process of its own, rather than on a thread as moto's
# ThreadedMotoServer does (moto_process says why).
SERVER: tuple[Reach, ...] = (
    _read("moto.moto_server.werkzeug_app.DomainDispatcherApplication"),
    _read("moto.moto_server.werkzeug_app.MotoRequestHandler"),
    _read("moto.moto_server.werkzeug_app.create_backend_app"),
)


def installed_version() -> str:
    import moto

    return str(moto.__version__)


def problems() -> dict[str, list[str]]:
    """Per quirk ("quirk NAME") and for moto_process ("server"), what is wrong with the installed moto
    for it; none is named when nothing is."""
    found = installed_version()
    wrong: dict[str, list[str]] = {}
    for user, reaches in [*((f"quirk {quirk}", reaches) for quirk, reaches in QUIRKS.items()), ("server", SERVER)]:
        listed = [problem for reach in reaches if (problem := reach.problem())]
        if found != MOTO_VERSION:
            listed.insert(0, f"written for moto {MOTO_VERSION}, found {found}")
        if listed:
            wrong[user] = listed
    return wrong


def require() -> None:
    """MotoMismatch unless the installed moto is the pinned one, with everything each quirk reaches."""
    wrong = problems()
    if not wrong:
        return
    found = installed_version()
    if found != MOTO_VERSION:
        lead = (
            f"moto {found} is installed, but the local stack's moto quirks (local/moto_quirks.py) and its "
            f"server (local/moto_process.py) were written for moto {MOTO_VERSION}, the version pyproject.toml "
            f"and locks/dev.txt pin; each reaches into moto's internals as {MOTO_VERSION} has them:"
        )
    else:
        lead = f"moto {found}, the pinned version, lacks what these reach (local/moto_quirks.py, moto_process.py):"
    lines = [lead, *(f"  {user}: {'; '.join(listed)}" for user, listed in wrong.items())]
    lines.append(
        "To have the locked versions again: rm .venv/.installed, then `make run` or `make test` makes .venv "
        "anew from locks/dev.txt. To move to another moto: docs/dependencies.md."
    )
    raise MotoMismatch("\n".join(lines))
