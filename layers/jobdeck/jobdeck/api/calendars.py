"""/calendars: admins write them, anyone signed in reads them and their preview."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from jobdeck import calendars
from jobdeck.api.auth import caller
from jobdeck.api.calendar_schemas import (
    CalendarIn,
    CalendarList,
    CalendarNamePath,
    CalendarOut,
    CalendarPreviewOut,
    CalendarReplace,
    CoveredDay,
    Span,
)
from jobdeck.api.responses import InvalidParameter, documented
from jobdeck.calendar_rules import MAX_PREVIEW_DAYS

router = Router()


@router.get("/calendars", tags=["calendars"], summary="Every calendar", responses=documented(200))
def list_calendars() -> CalendarList:
    caller(router)
    return CalendarList(items=[CalendarOut.of(c) for c in calendars.every()])


@router.post(
    "/calendars", tags=["calendars"], summary="Create a calendar (admins)", responses=documented(201, 403, 409)
)
def create_calendar(body: CalendarIn) -> Response[CalendarOut]:
    made = calendars.create(body.to_calendar(body.name), caller(router))
    return Response(201, "application/json", CalendarOut.of(made), headers={"Location": f"/calendars/{made.name}"})


@router.get("/calendars/<name>", tags=["calendars"], summary="One calendar", responses=documented(200, 404))
def get_calendar(name: CalendarNamePath) -> CalendarOut:
    caller(router)
    return CalendarOut.of(calendars.get(name))


@router.put(
    "/calendars/<name>",
    tags=["calendars"],
    summary="Replace a calendar (admins; send the version you read)",
    responses=documented(200, 403, 404, 409),
)
def replace_calendar(name: CalendarNamePath, body: CalendarReplace) -> CalendarOut:
    return CalendarOut.of(calendars.replace(name, body.to_calendar(name), body.version, caller(router)))


@router.delete(
    "/calendars/<name>",
    tags=["calendars"],
    summary="Delete a calendar no job uses (admins; 409 names the jobs that do)",
    responses=documented(204, 403, 404, 409, description="Deleted"),
)
def delete_calendar(name: CalendarNamePath) -> Response[None]:
    calendars.delete(name, caller(router))
    return Response(204)


@router.get(
    "/calendars/<name>/preview",
    tags=["calendars"],
    summary="The days and windows a calendar names between two dates (its time zone)",
    responses=documented(200, 404),
)
def preview_calendar(
    name: CalendarNamePath,
    from_: Annotated[date | None, Query(alias="from", description="first day; today when absent")] = None,
    to: Annotated[date | None, Query(description="last day, included; 31 days on when absent")] = None,
) -> CalendarPreviewOut:
    caller(router)
    first = from_ or datetime.now(UTC).date()
    last = to or first + timedelta(days=31)
    if last < first:
        raise InvalidParameter("query.to", "must not be before from")
    if (last - first).days > MAX_PREVIEW_DAYS:
        raise InvalidParameter("query.to", f"at most {MAX_PREVIEW_DAYS} days after from")
    calendar, days = calendars.covered(name, first, last)
    return CalendarPreviewOut(
        name=calendar.name,
        timezone=calendar.timezone,
        mode=calendar.mode,
        days=[
            CoveredDay(
                date=day.day, all_day=day.all_day, windows=[Span(start=start, end=end) for start, end in day.spans]
            )
            for day in days
        ],
    )
