"""/jobs/{id}/slots: every slot of a job accounted for; skip one, undo it, or move it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import AwareDatetime

from jobdeck import schedules, slots
from jobdeck.api.auth import caller
from jobdeck.api.responses import InvalidParameter, documented
from jobdeck.api.schemas import JobIdPath, TaskOut
from jobdeck.api.slot_schemas import MoveIn, SlotList, SlotOut, SlotPath
from jobdeck.domain import Job
from jobdeck.errors import InvalidJob

router = Router()
_AROUND = timedelta(days=1)  # the range when none is given: the day before and the day after now


@router.get(
    "/jobs/<job_id>/slots",
    tags=["slots"],
    summary="Every slot of a range, past and future: what happened or will happen, and why",
    responses=documented(200, 404),
)
def list_slots(
    job_id: JobIdPath,
    from_: Annotated[AwareDatetime | None, Query(alias="from", description="a day ago when absent")] = None,
    to: Annotated[AwareDatetime | None, Query(description="a day on when absent; at most 1,000 slots")] = None,
) -> SlotList:
    who = caller(router)
    now = datetime.now(UTC)
    start, end = from_ or now - _AROUND, to or now + _AROUND
    try:
        job, accounts = slots.account(job_id, start, end, who, now)
    except InvalidJob as exc:
        raise InvalidParameter("query.to" if exc.field == "to" else f"query.{exc.field}", exc.reason) from None
    return _listed(job, accounts)


def _listed(job: Job, accounts: list[slots.SlotAccount]) -> SlotList:
    timezone = job.schedule.timezone if job.schedule else "UTC"
    zone = schedules.zone(timezone)
    return SlotList(job_id=job.id, timezone=timezone, items=[SlotOut.of(a, zone) for a in accounts])


def _slot(text: str) -> datetime:
    # A client that encodes the path segment, as encodeURIComponent and quote(safe="") do, sends
    # "%3A" for ":" and "%2B" for an offset's "+", which powertools hands over still encoded: taken
    # as sent, the slot was refused as no date-time. A date-time holds no "%", so decoding is safe.
    text = unquote(text)
    try:
        slot = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidParameter("path.slot", f"{text!r} is not an ISO 8601 date-time") from None
    if slot.tzinfo is None:
        raise InvalidParameter("path.slot", "give its offset (Z for UTC)")
    return slot.astimezone(UTC)


def _one(job_id: str, slot: datetime) -> SlotOut:
    who = caller(router)
    job, [account] = slots.account(job_id, slot, slot + timedelta(microseconds=1), who)
    return _listed(job, [account]).items[0]


@router.post(
    "/jobs/<job_id>/slots/<slot>/skip",
    tags=["slots"],
    summary="Skip one upcoming slot (admins; audited)",
    responses=documented(200, 403, 404, 409),
)
def skip_slot(job_id: JobIdPath, slot: SlotPath) -> SlotOut:
    at = _slot(slot)
    slots.skip(job_id, at, caller(router))
    return _one(job_id, at)


@router.delete(
    "/jobs/<job_id>/slots/<slot>/skip",
    tags=["slots"],
    summary="Undo the skip of an upcoming slot (admins; audited)",
    responses=documented(200, 403, 404, 409),
)
def unskip_slot(job_id: JobIdPath, slot: SlotPath) -> SlotOut:
    at = _slot(slot)
    slots.unskip(job_id, at, caller(router))
    return _one(job_id, at)


@router.post(
    "/jobs/<job_id>/slots/<slot>/move",
    tags=["slots"],
    summary="Run one upcoming slot at another time instead (admins; audited; 202 and its task)",
    responses=documented(202, 403, 404, 409),
)
def move_slot(job_id: JobIdPath, slot: SlotPath, body: MoveIn) -> Response[TaskOut]:
    task = slots.move(job_id, _slot(slot), body.to.astimezone(UTC), caller(router))
    return Response(202, "application/json", TaskOut.of(task))
