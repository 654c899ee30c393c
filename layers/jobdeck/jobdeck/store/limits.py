"""What DynamoDB can hold of a free-form JSON value (action parameters, run parameters, a hook's
body, a custom event filter): its number range and precision, map keys that are not empty, and a
bound on nesting. DynamoDB answers a write that breaks one with a ValidationException, after every
check of ours has passed, so the caller got a 500; moto stores all of them. The API refuses such a
value with a 422 naming it (jobdeck.job_schema.Document).

https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

# DynamoDB nests 32 levels deep; a free-form value sits a few levels down in its item (a hook's body
# in a task's trigger.detail.event.body), so half of that is left to the value itself.
MAX_DEPTH = 16
MAX_DIGITS = 38  # significant digits of a DynamoDB number
MIN_EXPONENT, MAX_EXPONENT = -130, 125  # a non-zero number's magnitude: 1E-130 to 9.99...E+125
MAX_NAME_BYTES = 65_535  # a map key is an attribute name: under 64 KB


def problem(value: Any, path: str = "") -> str | None:
    """Why DynamoDB could not store `value` ("path: reason", the path from `value` down), or None."""
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"{where or 'the value'}: nested more than {MAX_DEPTH} levels deep"
        if isinstance(item, dict):
            for key, inner in item.items():
                if not key or len(key.encode(errors="surrogatepass")) > MAX_NAME_BYTES:
                    return f"{where or 'the value'}: a key must be 1 byte to 64 KB long"
                stack.append((inner, f"{where}.{key}" if where else key, depth + 1))
        elif isinstance(item, list):
            stack += [(inner, f"{where}[{index}]", depth + 1) for index, inner in enumerate(item)]
        elif isinstance(item, int | float) and not isinstance(item, bool) and (why := _number(item)):
            return f"{where or 'the value'}: {why}"
    return None


def _number(number: float) -> str | None:
    exact = Decimal(repr(number) if isinstance(number, float) else number)
    if not exact.is_finite():
        return "not a finite number"
    if not exact:
        return None
    digits = "".join(map(str, exact.as_tuple().digits)).rstrip("0")  # not normalize(): it rounds to 28
    if len(digits) > MAX_DIGITS:
        return f"more than {MAX_DIGITS} significant digits"
    if not MIN_EXPONENT <= exact.adjusted() <= MAX_EXPONENT:
        return f"out of range (1E{MIN_EXPONENT} to 9.9E{MAX_EXPONENT} either side of 0)"
    return None
