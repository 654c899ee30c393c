"""The statuses each route documents in the OpenAPI document, errors with their one body shape, and
the refusal of a parameter that a route checks itself."""

from __future__ import annotations

from typing import Any

from jobdeck.api.schemas import ErrorOut

_WHY = {
    401: "No valid token: send Authorization: Bearer <token>",
    403: "Signed in, but this needs an admin",
    404: "No such job or task (or not yours)",
    409: "The job changed since you read it, exists already, or is a system job; or the task already ended",
    413: "The body is over 256 KB",
    422: "Invalid input: `errors` names each field and its problem",
}


def documented(success: int, *errors: int, description: str = "OK") -> dict[int, Any]:
    """`success` with the route's return schema (none for 204), then 401, 422 and `errors`."""
    statuses: dict[int, Any] = {success: {"description": description}}
    if success == 204:
        statuses[success]["content"] = {}
    for code in sorted({401, 422, *errors}):
        statuses[code] = {"description": _WHY[code], "content": {"application/json": {"model": ErrorOut}}}
    return statuses


class InvalidParameter(ValueError):
    """A request parameter a route refuses after validation (422): `field` names it as the error
    body does, `query.timezone`."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
