"""Calendars as the API reads and writes them (see jobdeck.calendar_rules for what each rule means)."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import Field

from jobdeck.domain import Calendar, CalendarMode, CalendarRule
from jobdeck.job_schema import CALENDAR_NAME, Schema, Strict

CalendarNamePath = Annotated[str, Path(min_length=1, max_length=64)]
Text = Annotated[str, Field(min_length=1, max_length=40)]


class RuleIn(Strict):
    """One of: dates (and ranges), weekdays (and ranges), a day of every year, a daily window."""

    dates: list[Text] | None = Field(None, max_length=366, examples=[["2026-12-24", "2027-01-01..2027-01-03"]])
    weekdays: list[Text] | None = Field(None, max_length=7, examples=[["SAT", "SUN"], ["MON-FRI"]])
    yearly: list[Text] | None = Field(None, max_length=366, examples=[["12-25", "05-01"]])
    hours: dict[str, Text] | None = Field(None, examples=[{"from": "02:00", "to": "04:00"}])

    def to_rule(self) -> CalendarRule:
        return CalendarRule(self.dates, self.weekdays, self.yearly, self.hours)


class CalendarFields(Strict):
    description: str = Field("", max_length=2000)
    timezone: str = Field("UTC", max_length=64, examples=["Europe/Paris"])
    mode: CalendarMode = Field(
        CalendarMode.EXCLUDE, description="exclude: no run on what it names; only: runs only then"
    )
    rules: list[RuleIn] = Field(default_factory=list, max_length=50)

    def to_calendar(self, name: str) -> Calendar:
        rules = [rule.to_rule() for rule in self.rules]
        return Calendar(name, self.timezone, self.mode, rules, self.description)


class CalendarIn(CalendarFields):
    name: str = Field(pattern=CALENDAR_NAME, examples=["holidays-fr"])


class CalendarReplace(CalendarFields):
    version: int = Field(ge=1, description="the version you read: 409 if the calendar changed since")


class CalendarOut(Schema):
    name: str
    description: str
    timezone: str
    mode: CalendarMode
    rules: list[RuleIn]
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, calendar: Calendar) -> CalendarOut:
        rules = [RuleIn.model_construct(**vars(rule)) for rule in calendar.rules]
        return cls(**{**vars(calendar), "rules": rules})


class CalendarList(Schema):
    items: list[CalendarOut]


class Span(Schema):
    start: datetime = Field(description="in the calendar's time zone")
    end: datetime


class CoveredDay(Schema):
    date: dt.date = Field(description="a day, in the calendar's time zone")
    all_day: bool
    windows: list[Span]


class CalendarPreviewOut(Schema):
    name: str
    timezone: str
    mode: CalendarMode
    days: list[CoveredDay] = Field(description="the days it names in the range: excluded ones, or the only ones")
