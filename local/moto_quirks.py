"""moto as the local AWS, minus a quirk that matters when several functions run at once.

moto's DynamoDB is not thread-safe: TransactWriteItems deep-copies the tables it touches (a
concurrent write fails it with "dictionary changed size during iteration", a 500) and, when a
condition fails, puts the copies back, losing what other threads wrote meanwhile. DynamoDB is
serializable; here moto's DynamoDB answers one request at a time, which makes it so as well.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from moto.dynamodb.responses import DynamoHandler

_lock = threading.RLock()


def serialize_dynamodb() -> None:
    """Idempotent: moto's DynamoDB handler serves one request at a time, in this process."""
    original = DynamoHandler.call_action
    if getattr(original, "_jobdeck_serialized", False):
        return

    @functools.wraps(original)
    def call_action(handler: DynamoHandler) -> Any:
        with _lock:
            return original(handler)

    call_action._jobdeck_serialized = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
