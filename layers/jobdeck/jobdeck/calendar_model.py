"""Calendars as the domain holds them: days and hours, by name, that jobs list in
`schedule.calendars` (what each rule means: jobdeck.calendar_rules). Kept apart from jobdeck.domain,
which re-exports them, to keep that module readable at one sitting."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


class CalendarMode(StrEnum):
    """How a calendar judges a job's slots, on the days and hours its rules name (in its own zone)."""

    EXCLUDE = "exclude"
    """No run on the days and hours it names (holidays, a maintenance window)."""
    ONLY = "only"
    """Runs only on the days and hours it names (working days, office hours)."""


@dataclass
class CalendarRule:
    """One rule of a calendar: the days and hours it names (one of the four is set)."""

    dates: list[str] | None = None  # "2026-12-24", or a range "2027-01-01..2027-01-03" (both included)
    weekdays: list[str] | None = None  # "SAT", or a range "MON-FRI"
    yearly: list[str] | None = None  # "12-25": that day every year
    hours: dict[str, str] | None = None  # {"from": "02:00", "to": "04:00"}: that window every day


@dataclass
class Calendar:
    """Days and hours, by name, that jobs list in `schedule.calendars`."""

    name: str
    timezone: str = "UTC"
    mode: CalendarMode = CalendarMode.EXCLUDE
    rules: list[CalendarRule] = field(default_factory=list)
    description: str = ""
    version: int = 1
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
