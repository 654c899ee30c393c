"""Slots as the API tells them: GET /jobs/{id}/slots, and the timeline of every job's runs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import AwareDatetime, Field

from jobdeck.domain import SlotState
from jobdeck.job_schema import Schema, Strict
from jobdeck.slots import SlotAccount

SlotPath = Annotated[str, Path(min_length=10, max_length=40, description="the slot, ISO 8601 with its offset")]


class SlotOut(Schema):
    slot: datetime = Field(description="the fire time, UTC")
    local: datetime = Field(description="the same instant in the schedule's time zone")
    state: SlotState = Field(description="ran, queued, running, skipped or upcoming: GET /vocabulary (SlotState)")
    reason: str | None = Field(
        description="why it was or will be skipped: disabled, paused_after_failures, calendar:<name>, misfire, "
        "overlap, manual, before_start, after_end, max_runs (GET /vocabulary, SkipReason); null when nothing "
        "recorded is left of a past slot"
    )
    task_id: str | None = Field(description="its task, where one exists")
    starts: datetime | None = Field(description="when its run starts or started: after its jitter, or moved")
    late_seconds: float | None = Field(description="a misfire: how long after the slot the tick saw it")

    @classmethod
    def of(cls, account: SlotAccount, zone: ZoneInfo) -> SlotOut:
        return cls(**vars(account), local=account.slot.astimezone(zone))


class SlotList(Schema):
    job_id: str
    timezone: str
    items: list[SlotOut] = Field(description="oldest first, at most 1,000")


class MoveIn(Strict):
    to: AwareDatetime = Field(description="when the slot runs instead, with its offset (at most 7 days ahead)")


class TimelineRun(Schema):
    job_id: str
    label: str
    slot: datetime
    starts: datetime = Field(description="its slot plus its jitter, or where it was moved")


class MinuteCount(Schema):
    minute: datetime
    count: int


class TimelineOut(Schema):
    runs: list[TimelineRun] = Field(description="every enabled scheduled job's runs in the range, by start")
    per_minute: list[MinuteCount] = Field(description="runs starting in each minute that has any, in time order")
    busiest: list[MinuteCount] = Field(description="the minutes where most runs start (two at least), most first")
    truncated: bool = Field(description="more than 20,000 runs: the range was cut short")
