"""/timeline: every enabled scheduled job's runs in a range, and the busiest minutes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import AwareDatetime, BeforeValidator

from jobdeck import timeline
from jobdeck.api.auth import caller
from jobdeck.api.responses import InvalidParameter, documented
from jobdeck.api.slot_schemas import MinuteCount, TimelineOut, TimelineRun
from jobdeck.errors import InvalidJob

router = Router()


def _day(days_after: int) -> BeforeValidator:
    """A plain day (`2030-01-02`) as an instant in UTC: its start, or the next day's for the end of a
    range (a day given as `to` is included, as the calendar preview's is). Anything else is left
    for AwareDatetime to read or refuse."""

    def read(value: object) -> object:
        if isinstance(value, str) and len(value) == 10:
            try:
                day = date.fromisoformat(value)
            except ValueError:
                return value
            return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=days_after)
        return value

    return BeforeValidator(read)


DayStart = Annotated[AwareDatetime, _day(0)]
DayEnd = Annotated[AwareDatetime, _day(1)]


@router.get(
    "/timeline",
    tags=["slots"],
    summary="Every enabled scheduled job's runs in a range (at most 7 days), and runs per minute",
    responses=documented(200),
)
def get_timeline(
    from_: Annotated[
        DayStart | None,
        Query(alias="from", description="a time with its offset, or a day (from its 00:00 UTC); now when absent"),
    ] = None,
    to: Annotated[
        DayEnd | None,
        Query(description="a time with its offset, or a day (included); a day after from when absent; 7 days at most"),
    ] = None,
) -> TimelineOut:
    who = caller(router)
    start = from_ or datetime.now(UTC)
    end = to or start + timedelta(days=1)
    try:
        found = timeline.runs(start, end, who)
    except InvalidJob as exc:
        raise InvalidParameter(f"query.{exc.field}", exc.reason) from None
    return TimelineOut(
        runs=[TimelineRun(job_id=r.job.id, label=r.job.label, slot=r.slot, starts=r.starts) for r in found.runs],
        per_minute=[MinuteCount(minute=m, count=n) for m, n in sorted(found.per_minute.items())],
        busiest=[MinuteCount(minute=m, count=n) for m, n in found.busiest()],
        truncated=found.truncated,
    )
