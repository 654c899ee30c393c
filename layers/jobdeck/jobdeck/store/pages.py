"""Opaque cursors for paginated listings: DynamoDB's LastEvaluatedKey, base64url-encoded JSON.

A cursor comes back from whoever holds it, altered or not, so `start_key` checks it before DynamoDB
sees it: exactly the listing's key attributes, each a string DynamoDB takes as a key, and the
partition the query reads. DynamoDB answers anything else with a ValidationException, which would
reach the caller as a 500 (moto lets some through and answers a wrong page)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

from pynamodb.attributes import Attribute
from pynamodb.constants import STRING

from jobdeck.errors import InvalidCursor

# DynamoDB's limit for a sort key value; every key of ours (ids, owners, months) is far shorter.
MAX_KEY_BYTES = 1024

NOT_A_CURSOR = "not a cursor this API returned"


def encode(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    return base64.urlsafe_b64encode(json.dumps(last_key, separators=(",", ":")).encode()).decode().rstrip("=")


def load(cursor: str) -> Any:
    """The JSON a cursor holds; InvalidCursor if it holds no JSON at all."""
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        raise InvalidCursor(NOT_A_CURSOR) from None


def start_key(
    cursor: str | None, attributes: Sequence[Attribute[Any]], partition: tuple[Attribute[Any], str] | None = None
) -> dict[str, Any] | None:
    """The start key a listing's cursor holds (None for no cursor), checked: see the module."""
    return checked_key(load(cursor), attributes, partition) if cursor else None


def checked_key(
    value: Any, attributes: Sequence[Attribute[Any]], partition: tuple[Attribute[Any], str] | None = None
) -> dict[str, Any]:
    """`value` if it is a key of exactly `attributes` (all strings), in `partition` (the attribute
    the query names and its value); InvalidCursor otherwise."""
    names = {attribute.attr_name for attribute in attributes}
    if not isinstance(value, dict) or set(value) != names:
        raise InvalidCursor(f"{NOT_A_CURSOR} for this listing")
    for name in names:
        typed = value[name]
        if not (isinstance(typed, dict) and set(typed) == {STRING} and _key_string(typed[STRING])):
            raise InvalidCursor(f"{NOT_A_CURSOR}: its {name} is not a key")
    if partition is not None:
        attribute, wanted = partition
        if value[attribute.attr_name][STRING] != wanted:
            raise InvalidCursor(f"a cursor of another {attribute.attr_name}'s listing")
    return value


def _key_string(text: Any) -> bool:
    if not isinstance(text, str) or not text:
        return False
    try:
        return len(text.encode()) <= MAX_KEY_BYTES
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 for DynamoDB
        return False
