"""The admin HTTP API: one resolver, a router per resource, domain errors mapped to HTTP here."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from jobdeck.api import (
    bodies,
    calendars,
    catalog,
    console,
    datasources,
    hooks,
    jobs,
    slots,
    tasks,
    timeline,
    user_jobs,
    vocabulary,
)
from jobdeck.api.auth import Unauthorized
from jobdeck.api.responses import InvalidParameter
from jobdeck.api.schemas import ErrorOut, Problem
from jobdeck.errors import Conflict, Forbidden, InvalidCursor, InvalidJob, InvalidSchedule, NotFound

MAX_BODY_BYTES = 256 * 1024
TITLE = "Jobdeck admin API"
DOCS = "/docs"

app = APIGatewayHttpResolver(enable_validation=True, json_body_deserializer=bodies.loads)
for router in (
    jobs.router,
    tasks.router,
    calendars.router,
    datasources.router,
    slots.router,
    timeline.router,
    user_jobs.router,
    hooks.router,
    catalog.router,
    vocabulary.router,
    console.router,
):
    app.include_router(router)


def _document() -> dict[str, Any]:
    """What the OpenAPI document says besides the routes."""
    # Imported here, not at the top: the OpenAPI models (pydantic classes, some 50 ms of a cold start)
    # serve /openapi.json and /docs only, not the requests of the API.
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, Server

    return {
        "title": TITLE,
        "servers": [Server(url="/")],
        "security_schemes": {"bearer": HTTPBearer(bearerFormat="JWT")},
        "security": [{"bearer": []}],
    }


@cache
def _enable_docs() -> None:
    """The Swagger page at /docs, registered by its first request: enable_swagger imports the OpenAPI
    models (see _document)."""
    app.enable_swagger(path=DOCS, **_document())


@app.get("/openapi.json", include_in_schema=False)
def openapi() -> Response[str]:
    return Response(200, "application/json", app.get_openapi_json_schema(**_document()))


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry: bodies over the limit are refused before anything parses them."""
    body = event.get("body") or ""
    size = len(body) * 3 // 4 if event.get("isBase64Encoded") else len(body.encode())
    if size > MAX_BODY_BYTES:
        return _refused(413, "too_large", f"the body is over {MAX_BODY_BYTES // 1024} KB")
    try:
        event = bodies.as_json(event)
    except bodies.NotText as exc:
        return _refused(422, "invalid", f"body: {exc}", [Problem(field="body", problem=str(exc))])
    if event.get("rawPath") == DOCS:
        _enable_docs()
    return app.resolve(event, context)


def _refused(status: int, code: str, message: str, errors: list[Problem] | None = None) -> dict[str, Any]:
    """An answer given before the resolver runs, in its one error shape."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": _error(status, code, message, errors).body,
    }


def _error(status: int, code: str, message: str, errors: list[Problem] | None = None) -> Response[Any]:
    body = ErrorOut(error=code, message=message, errors=errors or []).model_dump_json()
    return Response(status, "application/json", body)


@app.exception_handler(RequestValidationError)
def invalid_request(exc: RequestValidationError) -> Response[Any]:
    problems = [_problem(error) for error in exc.errors()]
    return _error(422, "invalid", "; ".join(f"{p.field}: {p.problem}" for p in problems), problems)


def _problem(error: dict[str, Any]) -> Problem:
    if error.get("type") == "json_invalid":  # its loc is the character where parsing stopped
        return Problem(field="body", problem=f"not JSON: {error.get('ctx', {}).get('error', error.get('msg'))}")
    problem = error.get("msg", error["type"]).removeprefix("Value error, ")  # pydantic's, before our own words
    loc = error.get("loc", ())
    given = error.get("input")
    if (
        loc[:1] == ("query",)
        and error.get("type", "").startswith("datetime")
        and isinstance(given, str)
        and " " in given
    ):
        # A `+` written in a query string arrives as a space (form encoding): say how to write it.
        problem += f" ({given!r}: a '+' in a query string means a space; write the offset as %2B01:00, or use Z)"
    return Problem(field=".".join(str(part) for part in loc), problem=problem)


@app.exception_handler(InvalidCursor)
def invalid_cursor(exc: InvalidCursor) -> Response[Any]:
    return _error(422, "invalid", str(exc), [Problem(field="query.cursor", problem=exc.reason)])


@app.exception_handler(InvalidParameter)
def invalid_parameter(exc: InvalidParameter) -> Response[Any]:
    return _error(422, "invalid", str(exc), [Problem(field=exc.field, problem=exc.reason)])


@app.exception_handler(InvalidJob)
def invalid_job(exc: InvalidJob) -> Response[Any]:
    return _error(422, "invalid", str(exc), [Problem(field=f"body.{exc.field}", problem=exc.reason)])


@app.exception_handler(InvalidSchedule)
def invalid_schedule(exc: InvalidSchedule) -> Response[Any]:
    return _error(422, "invalid", str(exc), [Problem(field="schedule.expression", problem=exc.reason)])


@app.exception_handler(Unauthorized)
def unauthorized(exc: Unauthorized) -> Response[Any]:
    return _error(401, "unauthorized", str(exc))


@app.exception_handler(Forbidden)
def forbidden(exc: Forbidden) -> Response[Any]:
    return _error(403, "forbidden", str(exc))


@app.exception_handler(NotFound)
def not_found(exc: NotFound) -> Response[Any]:
    return _error(404, "not_found", str(exc))


@app.exception_handler(Conflict)
def conflict(exc: Conflict) -> Response[Any]:
    return _error(409, "conflict", str(exc))
