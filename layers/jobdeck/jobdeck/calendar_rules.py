"""What a calendar covers: its rules read once, then asked about instants and days.

A calendar names days and hours in its own time zone: dates and date ranges, weekdays, a day of
every year, a daily window. An instant is covered when any rule names it (its wall time in the
calendar's zone). An `exclude` calendar lets a slot fire when it does not cover it; an `only`
calendar when it does. To require a weekday *and* an hour, a job lists two `only` calendars: a
slot fires when every calendar lets it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from jobdeck import schedules
from jobdeck.domain import Calendar, CalendarMode, CalendarRule
from jobdeck.errors import InvalidCalendar, InvalidSchedule

WEEKDAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
MAX_RULES = 50
MAX_VALUES = 366  # dates, weekdays or yearly days in one rule
MAX_PREVIEW_DAYS = 400
_DAY = timedelta(days=1)
_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)|24:00")


@dataclass(frozen=True)
class Window:
    """A daily window in minutes of the day, [start, end); `end` below `start` runs past midnight."""

    start: int
    end: int

    def holds(self, minute: int) -> bool:
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end


@dataclass(frozen=True)
class CoveredDay:
    """A local day a calendar names: all of it, or the spans of its windows."""

    day: date
    all_day: bool
    spans: list[tuple[datetime, datetime]]


class Coverage:
    """A calendar's rules, read: `covers(instant)`, `lets(instant)`, `days(first, last)`."""

    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar
        self.zone: ZoneInfo = _zone(calendar.timezone)
        self.ranges: list[tuple[date, date]] = []
        self.weekdays: set[int] = set()
        self.yearly: set[tuple[int, int]] = set()
        self.windows: list[Window] = []
        for index, rule in enumerate(calendar.rules):
            self._read(f"rules[{index}]", rule)

    def _read(self, where: str, rule: CalendarRule) -> None:
        given = [name for name in ("dates", "weekdays", "yearly", "hours") if getattr(rule, name) is not None]
        if len(given) != 1:
            raise InvalidCalendar(where, "give exactly one of dates, weekdays, yearly, hours")
        values = getattr(rule, given[0])
        if given[0] != "hours" and not 1 <= len(values) <= MAX_VALUES:
            raise InvalidCalendar(f"{where}.{given[0]}", f"between 1 and {MAX_VALUES} values")
        if rule.dates is not None:
            self.ranges += [_date_range(f"{where}.dates[{i}]", text) for i, text in enumerate(rule.dates)]
        elif rule.weekdays is not None:
            for i, text in enumerate(rule.weekdays):
                self.weekdays |= _weekdays(f"{where}.weekdays[{i}]", text)
        elif rule.yearly is not None:
            self.yearly |= {_month_day(f"{where}.yearly[{i}]", text) for i, text in enumerate(rule.yearly)}
        elif rule.hours is not None:
            self.windows.append(_window(f"{where}.hours", rule.hours))

    def covers_day(self, day: date) -> bool:
        """Whether a whole-day rule (dates, weekdays, yearly) names this local day."""
        return (
            day.weekday() in self.weekdays
            or (day.month, day.day) in self.yearly
            or any(first <= day <= last for first, last in self.ranges)
        )

    def covers(self, instant: datetime) -> bool:
        local = instant.astimezone(self.zone)
        minute = local.hour * 60 + local.minute
        return self.covers_day(local.date()) or any(window.holds(minute) for window in self.windows)

    def lets(self, instant: datetime) -> bool:
        """Whether a slot at `instant` may fire, by this calendar."""
        covered = self.covers(instant)
        return covered if self.calendar.mode is CalendarMode.ONLY else not covered

    def days(self, first: date, last: date) -> list[CoveredDay]:
        """The local days of [first, last] it covers, each with its covered spans as aware local
        times: the whole day, or its windows (a window past midnight ends the next day)."""
        if (last - first).days > MAX_PREVIEW_DAYS:
            raise InvalidCalendar("to", f"at most {MAX_PREVIEW_DAYS} days at a time")
        found = []
        day = first
        while day <= last:
            if self.covers_day(day):
                found.append(CoveredDay(day, True, [(self._at(day, 0), self._at(day + _DAY, 0))]))
            elif self.windows:
                spans = [(self._at(day, w.start), self._window_end(day, w)) for w in self.windows]
                found.append(CoveredDay(day, False, spans))
            day += _DAY
        return found

    def _window_end(self, day: date, window: Window) -> datetime:
        return self._at(day + _DAY, window.end) if window.end <= window.start else self._at(day, window.end)

    def _at(self, day: date, minute: int) -> datetime:
        wall = datetime.combine(day, time()) + timedelta(minutes=minute)
        return schedules.resolve_wall_time(wall, self.zone).astimezone(self.zone)


def check(calendar: Calendar) -> Coverage:
    """The calendar read, or InvalidCalendar naming the field that is wrong."""
    if len(calendar.rules) > MAX_RULES:
        raise InvalidCalendar("rules", f"at most {MAX_RULES} rules")
    return Coverage(calendar)


def _zone(timezone: str) -> ZoneInfo:
    try:
        return schedules.zone(timezone)
    except InvalidSchedule as exc:
        raise InvalidCalendar("timezone", exc.reason) from None


def _date(where: str, text: str) -> date:
    try:
        return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else _bad(where, text)
    except ValueError:
        return _bad(where, text)


def _bad(where: str, text: str) -> date:
    raise InvalidCalendar(where, f"{text!r} is not a date (YYYY-MM-DD, or YYYY-MM-DD..YYYY-MM-DD)")


def _date_range(where: str, text: str) -> tuple[date, date]:
    first_text, _, last_text = text.partition("..")
    first = _date(where, first_text.strip())
    last = _date(where, last_text.strip()) if last_text else first
    if last < first:
        raise InvalidCalendar(where, f"{text!r} ends before it begins")
    return first, last


def _weekdays(where: str, text: str) -> set[int]:
    first, _, last = text.upper().partition("-")
    if first not in WEEKDAYS or (last and last not in WEEKDAYS):
        raise InvalidCalendar(where, f"{text!r} is not a weekday ({', '.join(WEEKDAYS)}) or a range MON-FRI")
    a, b = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
    return {day % 7 for day in range(a, b + 1 if b >= a else b + 8)}  # FRI-MON wraps the week


def _month_day(where: str, text: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d{2})-(\d{2})", text)
    try:
        if m:
            date(2000, int(m.group(1)), int(m.group(2)))  # a leap year: 02-29 is a day
            return int(m.group(1)), int(m.group(2))
    except ValueError:
        pass
    raise InvalidCalendar(where, f"{text!r} is not a day of the year (MM-DD)")


def _window(where: str, hours: dict[str, str]) -> Window:
    if set(hours) != {"from", "to"}:
        raise InvalidCalendar(where, 'give "from" and "to", as HH:MM')
    minutes = []
    for key in ("from", "to"):
        text = hours[key]
        if not isinstance(text, str) or not _HHMM.fullmatch(text):
            raise InvalidCalendar(f"{where}.{key}", f"{text!r} is not a time of day (HH:MM, 00:00 to 24:00)")
        hour, minute = text.split(":")
        minutes.append(int(hour) * 60 + int(minute))
    start, end = minutes
    if start == 24 * 60:
        raise InvalidCalendar(f"{where}.from", "24:00 ends a day; a window starts at 23:59 at the latest")
    if start == end:
        raise InvalidCalendar(f"{where}.to", "the window is empty (from and to are the same time)")
    return Window(start, end)
