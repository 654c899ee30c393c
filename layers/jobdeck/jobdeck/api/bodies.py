"""How the API reads a request body: as JSON text, whatever its Content-Type says.

Every body the API takes is JSON. `curl -d` declares it `application/x-www-form-urlencoded`, and
API Gateway hands bodies of such types over base64-encoded; read as a form, `{}` became the field
`{}`. A body that is not UTF-8 text failed in Powertools' decoding (a 500), so did a multipart type
without its boundary. Python's json module also takes what JSON does not have (NaN, Infinity), reads
numbers past a float's range as infinity (which DynamoDB refuses to store) and lone UTF-16
surrogates (`"\\ud800"`, no character), and fails with a ValueError on integers past 4,300 digits
and a RecursionError on deep nesting (500s): each is a 422 naming the body here.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any

JSON_TYPE = "application/json"


class NotText(ValueError):
    """The body is not UTF-8 text."""


def as_json(event: dict[str, Any]) -> dict[str, Any]:
    """The event with its body as text declared JSON (a copy; the event itself is left as it is).
    NotText if the body is not UTF-8 text."""
    body = event.get("body")
    if not body:
        return event
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise NotText("the body is not UTF-8 text (send JSON)") from None
    headers = {name: value for name, value in (event.get("headers") or {}).items() if name.lower() != "content-type"}
    return {**event, "body": body, "isBase64Encoded": False, "headers": {**headers, "content-type": JSON_TYPE}}


def loads(text: str) -> Any:
    """JSON as RFC 8259 has it, for Powertools' resolver: json.JSONDecodeError (which the resolver
    answers with a 422) for anything else."""
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite, parse_int=_integer)
    except _NotJson as exc:
        raise json.JSONDecodeError(str(exc), text, 0) from None
    except RecursionError:
        raise json.JSONDecodeError("nested too deep", text, 0) from None
    try:
        json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise json.JSONDecodeError("a string holds a lone UTF-16 surrogate, which is no character", text, 0) from None
    return value


class _NotJson(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON number")


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:  # past Python's 4,300 digits for a conversion
        raise _NotJson(f"an integer of {len(text)} digits is out of range") from None


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _NotJson(f"{text} is out of range")
    return number
